// The subcommands (grader-design §2). Each returns the process exit status:
// 0 full marks / all good, 1 graded below full marks / a check failed, 2 usage, 3 infrastructure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "printer.hpp"

namespace grade {

constexpr int exit_full_marks = 0;
constexpr int exit_below = 1;
constexpr int exit_usage = 2;
constexpr int exit_infrastructure = 3;

int exit_status(const Error& error);

struct GradeOptions {
    std::string day;
    std::optional<std::string> repo{};
    std::string only = "all";  // all | public | hidden
    std::vector<std::string> tests{};
    std::optional<std::uint64_t> seed{};
    int repeat = 1;
    std::string format = "text";  // text | json | gradescope | junit | github
    std::optional<std::string> out{};
    std::optional<std::string> slot{};  // batch: reuse this named build tree (hidden option)
    bool resume = false;              // batch: keep the tests already in <out>.partial.jsonl (hidden option)
};

struct CheckOptions {
    std::vector<std::string> days;  // empty with all: every day
    bool all = false;
    int runs = 1;
    std::optional<std::string> out;
};

struct HintOptions {
    std::string day;
    std::optional<int> task;
};

struct BatchFetchOptions {
    std::string roster;
    std::string out;  // the snapshot directory
    int jobs = 4;
    int timeout_s = 300;  // per repository
};

struct BatchRunOptions {
    std::string snapshot;
    std::vector<std::string> days;  // empty: the roster's days
    int jobs = 1;
    std::string shard;  // "i/n", 1 <= i <= n; empty: everything
    bool resume = false;
    bool fresh = false;
};

struct BatchReportOptions {
    std::string snapshot;
    std::string format = "csv";  // csv | json (the gradebook's format)
};

struct BatchMergeOptions {
    std::string snapshot;
    std::vector<std::string> others;
};

struct InitOptions {
    std::string dir;
    std::optional<std::string> course_repo;  // written into .github/workflows/grade.yml
    std::optional<std::string> course_ref;
};

struct CiOptions {
    std::optional<std::string> base;  // default: origin/$GITHUB_BASE_REF, else origin/main
    bool all = false;
    std::string format = "text";
    std::optional<std::string> out;  // a directory: <day>.json and <day>.xml per graded day
};

struct WatchOptions {
    std::string day;
    std::optional<std::string> repo;
    bool poll = false;
    double interval_s = 1.0;
};

struct PrepareOptions {
    std::optional<std::string> into;  // default: the grader's cache
};

int cmd_grade(const GradeOptions& options, const Printer& printer);
int cmd_prepare(const PrepareOptions& options, const Printer& printer);
int cmd_init(const InitOptions& options, const Printer& printer);
int cmd_ci(const CiOptions& options, const Printer& printer);
int cmd_watch(const WatchOptions& options, const Printer& printer);

// Grades a day as `grade <day>` does, without printing the result.
struct Graded {
    DayResult result;
    DaySpec day;
};
Result<Graded> grade_day(const GradeOptions& options, const Printer& printer);

// A graded day in one of the --format formats (text, json, gradescope, junit, github).
std::string render_result(const std::string& format, const DayResult& result, const DaySpec& day,
                          const Printer& printer);
int cmd_batch_fetch(const BatchFetchOptions& options, const Printer& printer);
int cmd_batch_run(const BatchRunOptions& options, const Printer& printer);
int cmd_batch_report(const BatchReportOptions& options, const Printer& printer);
int cmd_batch_merge(const BatchMergeOptions& options, const Printer& printer);
int cmd_hint(const HintOptions& options, const Printer& printer);
int cmd_list(const std::optional<std::string>& repo, const Printer& printer);
int cmd_check(const CheckOptions& options, const Printer& printer);
int cmd_version(const Printer& printer);
int cmd_doctor(const Printer& printer);

// Subcommand names, for "did you mean" when a day name is unknown.
const std::vector<std::string>& subcommand_names();

}  // namespace grade
