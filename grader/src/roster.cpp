#include "roster.hpp"

#include <ctime>
#include <map>
#include <regex>

#include "util.hpp"
#include "yaml_reader.hpp"

namespace grade {
namespace fs = std::filesystem;

std::optional<std::int64_t> parse_time(const std::string& text) {
    static const std::regex pattern(
        R"(^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})$)");
    std::smatch m;
    if (!std::regex_match(text, m, pattern)) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = std::stoi(m[1]) - 1900;
    tm.tm_mon = std::stoi(m[2]) - 1;
    tm.tm_mday = std::stoi(m[3]);
    tm.tm_hour = std::stoi(m[4]);
    tm.tm_min = std::stoi(m[5]);
    tm.tm_sec = m[6].matched ? std::stoi(m[6]) : 0;
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
        return std::nullopt;
    }
    std::int64_t seconds = ::timegm(&tm);
    const std::string zone = m[7];
    if (zone != "Z") {
        const int hours = std::stoi(zone.substr(1, 2));
        const int minutes = std::stoi(zone.substr(zone.size() - 2));
        const int offset = (hours * 60 + minutes) * 60;
        seconds += zone[0] == '+' ? -offset : offset;
    }
    return seconds;
}

std::string format_time(std::int64_t unix_seconds) {
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

Result<Roster> parse_roster(const std::string& text, const std::string& file, const fs::path& base_dir) {
    const YamlReader reader(file);
    TRY(root, reader.parse(text));
    TRY_VOID(reader.only_keys(root, {"format_version", "title", "deadline", "days", "students"}, "the roster"));
    TRY(version, reader.get_or<int>(root, "format_version", 1));
    if (version != 1) {
        return fail("{}: format_version {} is not known to this grader (it reads 1)",
                    where(file, root["format_version"].Mark()), version);
    }
    Roster roster;
    TRY(title, reader.get_or<std::string>(root, "title", ""));
    roster.title = title;
    if (root["deadline"]) {
        TRY(deadline_text, reader.get<std::string>(root, "deadline", "the roster"));
        roster.deadline = parse_time(deadline_text);
        if (!roster.deadline) {
            return fail("{}: deadline '{}' is not an ISO 8601 time with a zone, like 2026-12-01T23:59:00+01:00",
                        where(file, root["deadline"].Mark()), deadline_text);
        }
    }
    TRY(days, reader.get_or<std::vector<std::string>>(root, "days", {}));
    roster.days = days;
    const YAML::Node students = root["students"];
    if (!students || !students.IsSequence()) {
        return fail("{}: the roster needs a list 'students:' of entries with an id and a repo",
                    where(file, root.Mark()));
    }

    static const std::regex safe_id(R"(^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$)");
    std::map<std::string, int> first_line;
    for (const auto& node : students) {
        RosterEntry entry;
        entry.line = node.Mark().line + 1;
        const auto here = fmt::format("{}:{}", file, entry.line);
        if (!node.IsMap()) {
            roster.problems.push_back(fmt::format("{}: a student entry must be a mapping with id and repo", here));
            continue;
        }
        if (const auto keys = reader.only_keys(node, {"id", "repo", "branch", "extension_days"}, "a student entry");
            !keys) {
            entry.problem = keys.error().message;
        }
        const auto id = reader.get<std::string>(node, "id", "a student entry");
        if (!id || id->empty()) {
            roster.problems.push_back(fmt::format("{}: a student entry without an id is skipped", here));
            continue;
        }
        entry.id = *id;
        if (!std::regex_match(entry.id, safe_id)) {
            roster.problems.push_back(
                fmt::format("{}: id '{}' is skipped: use letters, digits, '.', '_' and '-' only (at most 64)", here,
                            entry.id));
            continue;
        }
        if (const auto [it, inserted] = first_line.emplace(entry.id, entry.line); !inserted) {
            roster.problems.push_back(fmt::format("{}: student {} is listed twice (first at line {}); this entry is "
                                                  "ignored",
                                                  here, entry.id, it->second));
            continue;
        }
        const auto repo = reader.get<std::string>(node, "repo", "student " + entry.id);
        if (!repo || repo->empty()) {
            entry.problem = entry.problem.empty() ? fmt::format("{}: student {} has no repo", here, entry.id)
                                                  : entry.problem;
        } else {
            entry.repo = *repo;
            // A plain path is relative to the roster, so a roster and its repos can move together.
            if (entry.repo.find("://") == std::string::npos && entry.repo.find('@') == std::string::npos &&
                fs::path(entry.repo).is_relative()) {
                entry.repo = (base_dir / entry.repo).lexically_normal().string();
            }
        }
        if (const auto branch = reader.get_or<std::string>(node, "branch", ""); branch) {
            entry.branch = *branch;
        } else if (entry.problem.empty()) {
            entry.problem = branch.error().message;
        }
        if (const auto extension = reader.get_or<int>(node, "extension_days", 0); extension && *extension >= 0) {
            entry.extension_days = *extension;
        } else if (entry.problem.empty()) {
            entry.problem = extension ? fmt::format("{}: extension_days must not be negative", here)
                                      : extension.error().message;
        }
        if (!entry.problem.empty()) {
            roster.problems.push_back(entry.problem);
        }
        roster.students.push_back(std::move(entry));
    }
    return roster;
}

Result<Roster> load_roster(const fs::path& file) {
    const auto text = read_file(file);
    if (!text) {
        return usage_error("cannot read the roster {}", file.string());
    }
    // Messages name the roster by its file name: the snapshot keeps a copy (SNAP/roster.yaml), and a
    // row's reason must read the same whichever copy, or whichever shard's copy, it came from.
    auto roster = parse_roster(*text, file.filename().string(), fs::absolute(file).parent_path());
    if (!roster) {
        roster.error().kind = ErrorKind::usage;
    }
    return roster;
}

}  // namespace grade
