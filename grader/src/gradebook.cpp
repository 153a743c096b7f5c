#include "gradebook.hpp"

#include <algorithm>
#include <cmath>

#include "report_json.hpp"

namespace grade {
namespace {

std::string late_text(const Frozen& frozen) {
    if (frozen.late_seconds <= 0) {
        return "";
    }
    return fmt::format("{:.1f} h", static_cast<double>(frozen.late_seconds) / 3600);
}

double total_of(const GradebookRow& row) {
    double total = 0;
    for (const auto& [_, record] : row.days) {
        total += record.score;
    }
    return total;
}

std::string notes_of(const GradebookRow& row) {
    std::vector<std::string> notes;
    if (!row.student.problem.empty()) {
        notes.push_back(row.student.problem);
    }
    if (!row.frozen.rewritten.empty()) {
        notes.push_back(row.frozen.rewritten);
    }
    for (const auto& [day, record] : row.days) {
        if (!record.reason.empty() && record.reason != row.student.problem) {
            notes.push_back(day + ": " + record.reason);
        }
    }
    std::string text;
    for (const auto& n : notes) {
        text += (text.empty() ? "" : " | ") + n;
    }
    return text;
}

}  // namespace

std::string csv_field(const std::string& text) {
    std::string value = text;
    if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@')) {
        value.insert(value.begin(), '\'');
    }
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
        return value;
    }
    std::string quoted = "\"";
    for (const char c : value) {
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return quoted + "\"";
}

std::string gradebook_csv(const std::vector<GradebookRow>& rows, const std::vector<std::string>& days) {
    std::string out = "student,commit,fetched_at,claimed_commit_date,late,late_by,rewritten_history";
    for (const auto& day : days) {
        out += "," + csv_field(day);
    }
    out += ",total,notes\n";
    for (const auto& row : rows) {
        out += fmt::format("{},{},{},{},{},{},{}", csv_field(row.student.id), row.frozen.sha,
                           row.frozen.fetched_at > 0 ? format_time(row.frozen.fetched_at) : "",
                           row.frozen.claimed_time > 0 ? format_time(row.frozen.claimed_time) : "",
                           row.frozen.late_seconds > 0 ? "yes" : "no", late_text(row.frozen),
                           row.frozen.rewritten.empty() ? "no" : "yes");
        for (const auto& day : days) {
            const auto it = row.days.find(day);
            out += it == row.days.end() ? "," : fmt::format(",{:g}", it->second.score);
        }
        out += fmt::format(",{:g},{}\n", total_of(row), csv_field(notes_of(row)));
    }
    return out;
}

nlohmann::json student_json(const GradebookRow& row) {
    nlohmann::json days = nlohmann::json::object();
    for (const auto& [day, record] : row.days) {
        nlohmann::json entry{{"status", record.status}, {"score", record.score}, {"max_score", record.max_score},
                             {"reason", record.reason}, {"key", record.key}};
        if (const auto it = row.results.find(day); it != row.results.end()) {
            entry["result"] = to_json(it->second);
        }
        days[day] = entry;
    }
    return {{"student", row.student.id},
            {"repo", row.student.repo},
            {"commit", row.frozen.sha},
            {"fetched_at", row.frozen.fetched_at > 0 ? format_time(row.frozen.fetched_at) : ""},
            {"claimed_commit_date", row.frozen.claimed_time > 0 ? format_time(row.frozen.claimed_time) : ""},
            {"late_seconds", row.frozen.late_seconds},
            {"rewritten_history", row.frozen.rewritten},
            {"problem", row.student.problem.empty() ? row.frozen.error : row.student.problem},
            {"total", total_of(row)},
            {"days", days}};
}

nlohmann::json gradebook_json(const std::vector<GradebookRow>& rows, const std::vector<std::string>& days) {
    nlohmann::json students = nlohmann::json::array();
    for (const auto& row : rows) {
        auto entry = student_json(row);
        for (auto& [_, day] : entry["days"].items()) {
            day.erase("result");  // the per-student files carry the full results
        }
        students.push_back(entry);
    }
    return {{"days", days}, {"students", students}};
}

std::string student_markdown(const GradebookRow& row) {
    std::string out = fmt::format("# Feedback for {}\n\n", row.student.id);
    if (!row.frozen.sha.empty()) {
        out += fmt::format("Graded commit `{}`, fetched by the grader at {} (commit date as claimed: {}).\n",
                           row.frozen.sha, format_time(row.frozen.fetched_at),
                           row.frozen.claimed_time > 0 ? format_time(row.frozen.claimed_time) : "none");
    } else {
        out += fmt::format("Nothing could be graded: {}\n",
                           row.student.problem.empty() ? row.frozen.error : row.student.problem);
    }
    if (row.frozen.late_seconds > 0) {
        out += fmt::format("\n**Late:** first fetched {} after your deadline.\n", late_text(row.frozen));
    }
    if (!row.frozen.rewritten.empty()) {
        out += fmt::format("\n**Note:** {}. The commit fetched at the deadline is the one graded.\n",
                           row.frozen.rewritten);
    }
    for (const auto& [day, record] : row.days) {
        out += fmt::format("\n## {}: {:g}/{:g}\n\n", day, record.score, record.max_score);
        if (!record.reason.empty()) {
            out += fmt::format("{}: {}\n\n", record.status == "graded" ? "Note" : "Not graded", record.reason);
        }
        const auto it = row.results.find(day);
        if (it == row.results.end()) {
            continue;
        }
        if (!it->second.build_messages.empty()) {
            out += "The submission does not compile:\n\n```\n" + it->second.build_messages + "\n```\n\n";
        }
        for (const auto& test : it->second.tests) {
            if (test.outcome == Outcome::pass) {
                continue;
            }
            out += fmt::format("- **{}** ({}, {:g}/{:g}, task {})\n", test.name, to_string(test.outcome), test.score,
                               test.max_score, test.task);
            if (!test.message.empty() && test.outcome != Outcome::build_error) {
                out += "\n  ```\n";
                std::string line;
                for (const char c : test.message) {
                    if (c == '\n') {
                        out += "  " + line + "\n";
                        line.clear();
                    } else {
                        line += c;
                    }
                }
                if (!line.empty()) {
                    out += "  " + line + "\n";
                }
                out += "  ```\n";
            }
        }
    }
    return out;
}

std::string summary_markdown(const std::vector<GradebookRow>& rows, const std::vector<std::string>& days,
                             const std::vector<std::string>& roster_problems) {
    std::string out = fmt::format("# Batch summary\n\n{} students.\n", rows.size());
    int late = 0;
    int rewritten = 0;
    for (const auto& row : rows) {
        late += row.frozen.late_seconds > 0 ? 1 : 0;
        rewritten += row.frozen.rewritten.empty() ? 0 : 1;
    }
    out += fmt::format("Late: {}. Rewritten history after the freeze: {}.\n", late, rewritten);
    for (const auto& day : days) {
        std::vector<double> scores;
        std::map<std::string, int> status_counts;
        std::map<std::string, int> failed;
        double max_score = 0;
        for (const auto& row : rows) {
            const auto it = row.days.find(day);
            if (it == row.days.end()) {
                status_counts["not run"]++;
                continue;
            }
            status_counts[it->second.status]++;
            if (it->second.status == "graded") {
                scores.push_back(it->second.score);
                max_score = std::max(max_score, it->second.max_score);
            }
            if (const auto r = row.results.find(day); r != row.results.end()) {
                for (const auto& t : r->second.tests) {
                    if (t.outcome != Outcome::pass) {
                        failed[t.name]++;
                    }
                }
            }
        }
        out += fmt::format("\n## {}\n\n", day);
        std::string counts;
        for (const auto& [status, count] : status_counts) {
            counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", count, status);
        }
        out += counts + ".\n";
        if (!scores.empty()) {
            std::sort(scores.begin(), scores.end());
            double sum = 0;
            for (const double s : scores) {
                sum += s;
            }
            out += fmt::format("\nScore: mean {:.1f}, median {:g}, min {:g}, max {:g} (of {:g}).\n\n",
                               sum / static_cast<double>(scores.size()), scores[scores.size() / 2], scores.front(),
                               scores.back(), max_score);
            out += "| score | students |\n|---|---|\n";
            for (int bucket = 0; bucket <= 10; ++bucket) {
                const double low = max_score * bucket / 10.0;
                const double high = bucket == 10 ? max_score + 1 : max_score * (bucket + 1) / 10.0;
                const auto count = std::count_if(scores.begin(), scores.end(),
                                                 [&](double s) { return s >= low && s < high; });
                if (bucket < 10 || count > 0) {
                    out += fmt::format("| {} | {} {} |\n",
                                       bucket == 10 ? fmt::format("{:g}", max_score) : fmt::format("{:g}-{:g}", low, high),
                                       std::string(static_cast<std::size_t>(count), '#'), count);
                }
            }
        }
        if (!failed.empty()) {
            std::vector<std::pair<std::string, int>> most(failed.begin(), failed.end());
            std::stable_sort(most.begin(), most.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
            out += "\nMost failed tests:\n\n| test | students failing |\n|---|---|\n";
            for (std::size_t i = 0; i < most.size() && i < 10; ++i) {
                out += fmt::format("| {} | {} |\n", most[i].first, most[i].second);
            }
        }
    }
    std::vector<std::string> problems = roster_problems;
    for (const auto& row : rows) {
        for (const auto& [day, record] : row.days) {
            if (record.status != "graded") {
                problems.push_back(fmt::format("{} {}: {}: {}", row.student.id, day, record.status, record.reason));
            }
        }
    }
    if (!problems.empty()) {
        out += "\n## Problems\n\n";
        for (const auto& p : problems) {
            out += "- " + p + "\n";
        }
    }
    return out;
}

}  // namespace grade
