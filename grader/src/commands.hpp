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
    std::optional<std::string> repo;
    std::string only = "all";  // all | public | hidden
    std::vector<std::string> tests;
    std::optional<std::uint64_t> seed;
    int repeat = 1;
    std::string format = "text";  // text | json | gradescope
    std::optional<std::string> out;
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

int cmd_grade(const GradeOptions& options, const Printer& printer);
int cmd_hint(const HintOptions& options, const Printer& printer);
int cmd_list(const std::optional<std::string>& repo, const Printer& printer);
int cmd_check(const CheckOptions& options, const Printer& printer);
int cmd_version(const Printer& printer);

// Subcommand names, for "did you mean" when a day name is unknown.
const std::vector<std::string>& subcommand_names();

}  // namespace grade
