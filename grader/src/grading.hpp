// Grades one submission of one day: ingest, build, run each selected test in its own process
// (repeats with successive seeds, confirmation reruns for timing verdicts), score. Shared by
// `grade <day>` and `grade check` (which grades the reference, the stub and every mutant through
// exactly this path).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "course.hpp"
#include "error.hpp"
#include "printer.hpp"
#include "score.hpp"
#include "workspace.hpp"

namespace grade {

enum class Only { all, public_tests, hidden_tests };

struct Environment {
    std::string grader_version;
    std::string bundle_digest;
    std::string toolchain;
    std::string sandbox_tier;
    std::vector<std::string> sandbox_warnings;  // missing or disabled layers, in words
};

// "g++ 12.2.0": the compiler every build uses.
Result<std::string> toolchain_version();

// Versions and digest, computed once per process.
Result<Environment> describe_environment(const BundlePaths& bundle);

struct GradeRequest {
    const BundlePaths* bundle = nullptr;
    const DaySpec* day = nullptr;
    const Environment* environment = nullptr;
    std::filesystem::path day_dir{};  // the submission's copy of the day: <repo>/dayNN-slug
    Workspace workspace{};
    Only only = Only::all;
    std::vector<std::string> tests{};  // run only these (empty: all selected by `only`)
    std::optional<std::uint64_t> seed{};
    int repeat = 1;
    bool stop_at_first_failure = false;  // a mutant needs only one kill
    std::string rerun_prefix{};          // "grade day1 --repo x": the rerun line appends --test/--seed
    const Printer* printer = nullptr;    // progress; null: silent
    std::function<void(const TestResult&)> on_test_done{};  // journaling
    std::vector<TestResult> done{};      // tests already graded (a resumed journal): not run again
};

Result<DayResult> grade_submission(const GradeRequest& request);

// The tests a request selects, in yaml order.
std::vector<const TestSpec*> select_tests(const DaySpec& day, Only only, const std::vector<std::string>& names);

}  // namespace grade
