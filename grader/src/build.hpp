// Builds one day's test binaries for a submission in its workspace, with the grader's own CMake
// function (grader/cmake/CourseDay.cmake) — the same path `grade check` uses for references.
// Configure runs only when its inputs change; ninja then recompiles only what changed (the
// student's files), so harness and test objects are built once and reused. ccache is used when
// present. Compiler messages come back with private paths replaced by the student's own.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "course.hpp"
#include "error.hpp"
#include "workspace.hpp"

namespace grade {

struct BuildRequest {
    const BundlePaths* bundle = nullptr;
    const DaySpec* day = nullptr;
    Workspace workspace;
    std::vector<std::string> student_files;  // present editable files
    std::vector<Flavour> flavours;           // which binaries to build
};

struct BuildResult {
    bool ok = false;
    std::string messages;  // compiler output, cleaned, paths relative to the student's repository
    std::chrono::milliseconds wall{0};
};

Result<BuildResult> build_day(const BuildRequest& request);

std::filesystem::path test_binary(const Workspace& workspace, Flavour flavour);
std::filesystem::path shim_library(const Workspace& workspace, Preload preload);

// Removes ninja's and CMake's noise from a failed build's output, rewrites private paths
// (`private_student_dir/` to `day_dir/`, the bundle's public tests to `day_dir/tests/`, hidden tests
// to `hidden-tests/`) and never quotes hidden test source lines. Exposed for tests.
std::string clean_compiler_output(const std::string& raw, const std::string& private_student_dir,
                                  const std::string& day_dir, const std::string& hidden_dir,
                                  const std::string& public_dir);

}  // namespace grade
