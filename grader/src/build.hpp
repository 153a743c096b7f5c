// Builds one day's test binaries for a submission in its workspace, with the grader's own CMake
// function (grader/cmake/CourseDay.cmake) — the same path `grade check` uses for references.
// Configure runs only when its inputs change; ninja then recompiles only what changed (the
// student's files), so harness and test objects are built once and reused. ccache is used when
// present. Compiler messages come back with private paths replaced by the student's own.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
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
    std::filesystem::path runtime;           // the built course runtime (runtime.hpp)
};

struct BuildResult {
    bool ok = false;
    std::string messages;  // compiler output, cleaned, paths relative to the student's repository
    std::chrono::milliseconds wall{0};
};

Result<BuildResult> build_day(const BuildRequest& request);

std::filesystem::path test_binary(const Workspace& workspace, Flavour flavour);
std::filesystem::path shim_library(const std::filesystem::path& runtime, Preload preload);

// The test sources each flavour's binary compiles, from the sources' (path, text): those that
// define a test the yaml gives that flavour (found by GoogleTest's and RapidCheck's test macros),
// and every source in which no test definition is found. When a declared test is found in no
// source, every flavour gets every source: nothing is left out on a guess. Exposed for tests.
std::map<Flavour, std::vector<std::string>> test_sources_by_flavour(
    const DaySpec& day, const std::vector<std::pair<std::string, std::string>>& sources);

// Where a workspace appears in debug information: every workspace is mapped to this one name
// (-fdebug-prefix-map), so that an object the compiler cache made in one serves another.
constexpr const char* debug_workspace = "/grade-workspace";

// The ways the student's private directory is spelt in compiler messages and stack traces: its
// real path, its debug-information names, and the relative path the compiler cache passes to the
// compiler. Each is shown to the student as their day directory.
std::vector<std::string> student_dir_spellings(const Workspace& ws);

// Removes ninja's and CMake's noise from a failed build's output, rewrites private paths
// (each of `student_dirs` to `day_dir/`, the bundle's public tests to `day_dir/tests/`, hidden tests
// to `hidden-tests/`) and never quotes hidden test source lines. Exposed for tests.
std::string clean_compiler_output(const std::string& raw, const std::vector<std::string>& student_dirs,
                                  const std::string& day_dir, const std::string& hidden_dir,
                                  const std::string& public_dir);

}  // namespace grade
