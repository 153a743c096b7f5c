// Scores: one place derives a test's score and status from its outcome (a test passes iff
// score == max_score), and the day's totals from its tests (grader-design §3).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "course.hpp"
#include "outcome.hpp"

namespace grade {

struct TestResult {
    std::string name;
    int task = 0;
    bool hidden = false;
    double max_score = 0;
    double score = 0;
    Outcome outcome = Outcome::not_run;
    std::string message;
    std::uint64_t seed = 0;
    int runs = 0;
    int failed_runs = 0;
    std::chrono::milliseconds wall{0};
};

struct DayResult {
    std::string day;    // directory name
    std::string title;
    double score = 0;
    double max_score = 0;
    std::vector<TestResult> tests;
    std::string build_messages;         // compiler output when the build failed
    std::vector<std::string> missing;   // editable files the submission lacks
    std::vector<std::string> rejected;  // files refused at ingest, with the reason
    std::string grader_version;
    std::string bundle;
    std::string toolchain;
    std::string sandbox_tier;
    std::vector<std::string> sandbox_warnings;  // missing sandbox layers (empty: all of the tier's)
    std::string commit;
    std::chrono::milliseconds execution_time{0};

    std::map<Outcome, int> outcome_counts() const;
    int passed() const;
    bool full_marks() const { return max_score > 0 && score >= max_score; }
};

// A test earns its points only when every run passed.
double test_score(double max_score, Outcome outcome);

// Combines the runs of one test: the first failing run decides outcome, message and seed.
TestResult combine_runs(const TestSpec& spec, const std::vector<TestResult>& runs);

// Recomputes score and max_score from the tests.
void total(DayResult& result);

}  // namespace grade
