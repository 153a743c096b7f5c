// Runs one test in its own process and turns what happened into an Outcome with a message that
// teaches. The verdict comes from the side channel, the exit status and the sanitizer logs, never
// from the test's stdout: a test passes only if the harness reported it passed, said `done`, and
// the process exited normally with status 0.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "course.hpp"
#include "error.hpp"
#include "outcome.hpp"
#include "workspace.hpp"

namespace grade {

struct TestRunRequest {
    const TestSpec* test = nullptr;
    const DaySpec* day = nullptr;
    Workspace workspace;
    std::filesystem::path gdb_script;
    std::uint64_t seed = 1;
    std::string rerun_command;  // printed with every failure
    std::string hidden_dir;     // "<bundle>/exercises/<day>/hidden/": removed from paths shown
    std::string public_dir;     // "<bundle>/templates/<day>/tests/": likewise
    std::filesystem::path runtime;  // the course runtime the binary was built with (its shims)
};

struct TestRun {
    Outcome outcome = Outcome::not_run;
    std::string message;  // what went wrong, in words; empty on a pass
    std::uint64_t seed = 0;
    std::chrono::milliseconds wall{0};
    bool infrastructure = false;  // the grader's environment, not the submission, failed
};

TestRun run_test(const TestRunRequest& request);

// A test with a timing verdict (or a plain timeout) is only failed when a rerun of the same seed
// fails too (playbook §6.2: 2 of 3); evidence verdicts fail at once.
bool needs_confirmation(const TestSpec& test, Outcome outcome);

}  // namespace grade

namespace grade {

// The tests a binary contains (`--gtest_list_tests`), as Suite.Test names.
Result<std::vector<std::string>> list_tests(const std::filesystem::path& binary);

// A RapidCheck failure ("Falsifiable after N tests ... the values ... the RC_ macro's location and
// source ... the message ... Log: ...") put in teaching order: the test's explanation first, then
// the counterexample (the values the test named with RC_LOG, else the drawn values by type), then
// how RapidCheck found it. The macro's source is dropped (it may be a hidden test's). Any other
// message is returned as it is. Exposed for tests.
std::string explain_rapidcheck(const std::string& message);

// Parses `--gtest_list_tests` output. Exposed for tests.
std::vector<std::string> parse_test_list(const std::string& output);

}  // namespace grade
