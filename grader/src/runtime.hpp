// The course runtime: the harness every day's tests link (GoogleTest's main, the side channel,
// seeds and stress helpers, the sanitizer hooks), its Asio support, the condition-variable shims
// and the test sources' precompiled header, compiled once per build flavour and reused by every day, workspace and submission, so a
// grading compiles only the day's test sources and the student's files (grader-design §4, "the
// harness and test objects are built once and reused").
//
// A runtime is a directory built by grader/cmake/runtime and stamped with a key: the digest of what
// it is built from (the bundle's harness and CMake function) and the compiler's version. The grader
// uses the first runtime whose key matches: the one built with the grader (`<exe dir>/runtime` in
// a build tree, `<prefix>/lib/grade/runtime` when installed), else one in its cache
// (`<cache>/runtime/<key>`), built there on first use under a lock (a bundle whose harness differs
// from the grader's, or a grader built without its runtime).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "course.hpp"
#include "error.hpp"

namespace grade {

// What a day build needs of a runtime.
struct RuntimeNeeds {
    std::vector<Flavour> flavours;
    bool asio = false;
};

// "sha256:..." over the runtime's inputs (bundle harness and grader/cmake) and `toolchain`.
Result<std::string> runtime_key(const BundlePaths& bundle, const std::string& toolchain);

// True when `dir` holds a runtime stamped with `key` that has everything `needs` names.
bool runtime_complete(const std::filesystem::path& dir, const std::string& key, const RuntimeNeeds& needs);

// Configures and builds a runtime in `dir` for `needs` (incrementally: what is built stays), then
// stamps it with `key`. Not confined: the runtime is the course's own code, never a submission's.
// `progress` is told once before anything is compiled.
Result<void> build_runtime(const BundlePaths& bundle, const std::filesystem::path& dir, const std::string& key,
                           const RuntimeNeeds& needs, const std::function<void(const std::string&)>& progress);

// The runtime a day build of `bundle` uses: the grader's own when its key matches, else the cache's,
// built or completed there when needed.
Result<std::filesystem::path> find_runtime(const BundlePaths& bundle, const std::string& toolchain,
                                           const RuntimeNeeds& needs,
                                           const std::function<void(const std::string&)>& progress);

// The runtime a grading would use now, if one with the bundle's key is built (complete or not):
// the grader's own, else the cache's. Nothing when none is (the first grading then builds one).
std::optional<std::filesystem::path> built_runtime(const BundlePaths& bundle, const std::string& toolchain);

// Where the grader looks for its own runtime: next to the executable (a build tree), then the
// install prefix's lib/grade/runtime.
std::vector<std::filesystem::path> own_runtime_dirs();

// Where the cache keeps a runtime for `key`.
std::filesystem::path cached_runtime_dir(const std::string& key);

}  // namespace grade
