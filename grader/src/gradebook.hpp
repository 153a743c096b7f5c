// The batch's outputs (grader-design §6): the gradebook (CSV or JSON, one row per student, per-day
// scores, late and rewritten-history flags, reasons), one JSON and one Markdown feedback file per
// student, and a summary (score distribution, most-failed tests).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "roster.hpp"
#include "score.hpp"
#include "snapshot.hpp"

namespace grade {

struct GradebookRow {
    RosterEntry student{};
    Frozen frozen{};
    std::map<std::string, RunRecord> days{};          // by day directory
    std::map<std::string, DayResult> results{};       // by day directory, when graded
};

// One CSV field (RFC 4180 quoting). Text that a spreadsheet would run as a formula (=, +, -, @
// first) gets a leading apostrophe: student-controlled text must stay text.
std::string csv_field(const std::string& text);

std::string gradebook_csv(const std::vector<GradebookRow>& rows, const std::vector<std::string>& days);
nlohmann::json gradebook_json(const std::vector<GradebookRow>& rows, const std::vector<std::string>& days);
nlohmann::json student_json(const GradebookRow& row);
std::string student_markdown(const GradebookRow& row);
std::string summary_markdown(const std::vector<GradebookRow>& rows, const std::vector<std::string>& days,
                             const std::vector<std::string>& roster_problems);

}  // namespace grade
