// The instructor's roster (grader-design §6): which students, where their repositories are, the
// deadline and each student's extension. A bad entry never stops a batch: it becomes a problem
// naming its roster line, and the student (when the entry names one) gets a row with the reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"

namespace grade {

struct RosterEntry {
    std::string id;      // a directory-safe name: letters, digits, . _ -
    std::string repo;    // any libgit2 URL, file:// or a local path (relative to the roster's directory)
    std::string branch;  // empty: the remote's default branch
    int extension_days = 0;
    int line = 0;        // in the roster file, for messages
    std::string problem; // why this student cannot be fetched (the row's reason); empty when fine
};

struct Roster {
    std::string title;
    std::optional<std::int64_t> deadline;  // unix seconds
    std::vector<std::string> days;          // what `batch run` grades when --day is not given
    std::vector<RosterEntry> students;      // in roster order, duplicates left out
    std::vector<std::string> problems;      // "roster.yaml:12: ..." for the instructor
};

// A malformed document (bad yaml, no students list) is an Error; a bad entry is a problem.
Result<Roster> parse_roster(const std::string& text, const std::string& file,
                            const std::filesystem::path& base_dir);
Result<Roster> load_roster(const std::filesystem::path& file);

// ISO 8601 with a zone ("2026-12-01T23:59:00Z", "2026-12-01T23:59+01:00", "2026-12-01 23:59:00Z").
std::optional<std::int64_t> parse_time(const std::string& text);
std::string format_time(std::int64_t unix_seconds);  // "2026-12-01T22:59:00Z"

}  // namespace grade
