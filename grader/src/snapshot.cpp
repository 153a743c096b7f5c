#include "snapshot.hpp"

#include <nlohmann/json.hpp>

#include <fstream>

#include "atomic_file.hpp"
#include "roster.hpp"

namespace grade {
namespace fs = std::filesystem;
using nlohmann::json;

void to_json(json& j, const Observation& o) {
    j = json{{"student", o.student}, {"url", o.url},         {"branch", o.branch},
             {"sha", o.sha},         {"fetched_at", o.fetched_at}, {"claimed_time", o.claimed_time},
             {"summary", o.summary}, {"error", o.error}};
}

void from_json(const json& j, Observation& o) {
    o.student = j.at("student").get<std::string>();
    o.url = j.value("url", "");
    o.branch = j.value("branch", "");
    o.sha = j.value("sha", "");
    o.fetched_at = j.value("fetched_at", std::int64_t{0});
    o.claimed_time = j.value("claimed_time", std::int64_t{0});
    o.summary = j.value("summary", "");
    o.error = j.value("error", "");
}

void to_json(json& j, const RunRecord& r) {
    j = json{{"student", r.student}, {"day", r.day},       {"status", r.status},       {"reason", r.reason},
             {"sha", r.sha},         {"key", r.key},       {"score", r.score},         {"max_score", r.max_score},
             {"grader", r.grader},   {"bundle", r.bundle}, {"toolchain", r.toolchain}, {"files", r.files},
             {"at", r.at}};
}

void from_json(const json& j, RunRecord& r) {
    r.student = j.at("student").get<std::string>();
    r.day = j.at("day").get<std::string>();
    r.status = j.at("status").get<std::string>();
    r.reason = j.value("reason", "");
    r.sha = j.value("sha", "");
    r.key = j.value("key", "");
    r.score = j.value("score", 0.0);
    r.max_score = j.value("max_score", 0.0);
    r.grader = j.value("grader", "");
    r.bundle = j.value("bundle", "");
    r.toolchain = j.value("toolchain", "");
    r.files = j.value("files", "");
    r.at = j.value("at", std::int64_t{0});
}

namespace {

// Reads a journal of json lines. A torn last line (the grader was killed mid-write) is skipped;
// any other bad line is an error naming it.
template <class T>
Result<std::vector<T>> read_journal(const fs::path& path) {
    std::vector<T> items;
    std::ifstream in(path);
    if (!in) {
        return items;
    }
    std::string line;
    int number = 0;
    std::optional<std::string> bad;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty()) {
            continue;
        }
        if (bad) {
            return fail("{}:{}: not a journal entry: {}", path.string(), number - 1, *bad);
        }
        try {
            items.push_back(json::parse(line).get<T>());
        } catch (const json::exception& e) {
            bad = e.what();
        }
    }
    return items;
}

}  // namespace

Frozen freeze(const std::vector<Observation>& observations, std::optional<std::int64_t> deadline, int extension_days,
              const std::function<bool(const std::string&, const std::string&)>& descends) {
    Frozen frozen;
    std::optional<std::int64_t> due;
    if (deadline) {
        due = *deadline + static_cast<std::int64_t>(extension_days) * 86400;
    }
    const Observation* chosen = nullptr;
    for (const auto& o : observations) {
        if (o.sha.empty()) {
            continue;
        }
        if (!due || o.fetched_at <= *due) {
            chosen = &o;  // the latest in time
        } else if (chosen == nullptr) {
            chosen = &o;  // the earliest after the deadline: late
            break;
        } else {
            break;
        }
    }
    if (chosen == nullptr) {
        frozen.error = observations.empty() ? "never fetched" : observations.back().error;
        return frozen;
    }
    frozen.sha = chosen->sha;
    frozen.fetched_at = chosen->fetched_at;
    frozen.claimed_time = chosen->claimed_time;
    if (due && chosen->fetched_at > *due) {
        frozen.late_seconds = chosen->fetched_at - *due;
    }
    for (const auto& o : observations) {
        if (o.fetched_at > chosen->fetched_at && !o.sha.empty() && !descends(o.sha, chosen->sha)) {
            frozen.rewritten = fmt::format("history rewritten: the fetch at {} found {}, which does not contain the "
                                           "graded commit {}",
                                           format_time(o.fetched_at), o.sha.substr(0, 12), chosen->sha.substr(0, 12));
            break;
        }
    }
    return frozen;
}

fs::path Snapshot::result(const std::string& key) const {
    const auto hex = key.substr(key.find(':') + 1);
    return m_root / "results" / hex.substr(0, 2) / (hex + ".json");
}

fs::path Snapshot::runs(int shard, int shards) const {
    return shards <= 1 ? m_root / "runs.jsonl" : m_root / fmt::format("runs.shard-{}-of-{}.jsonl", shard, shards);
}

Result<std::map<std::string, std::vector<Observation>>> Snapshot::load_fetches() const {
    TRY(all, read_journal<Observation>(fetches()));
    std::map<std::string, std::vector<Observation>> by_student;
    for (auto& o : all) {
        by_student[o.student].push_back(std::move(o));
    }
    for (auto& [_, list] : by_student) {
        std::stable_sort(list.begin(), list.end(),
                         [](const Observation& a, const Observation& b) { return a.fetched_at < b.fetched_at; });
    }
    return by_student;
}

Result<void> Snapshot::append_fetch(const Observation& observation) const {
    return append_line_durable(fetches(), json(observation).dump());
}

Result<std::map<std::pair<std::string, std::string>, RunRecord>> Snapshot::load_runs() const {
    std::map<std::pair<std::string, std::string>, RunRecord> latest;
    std::error_code ec;
    std::vector<fs::path> journals;
    for (const auto& entry : fs::directory_iterator(m_root, ec)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with("runs") && name.ends_with(".jsonl")) {
            journals.push_back(entry.path());
        }
    }
    std::sort(journals.begin(), journals.end());
    for (const auto& path : journals) {
        TRY(records, read_journal<RunRecord>(path));
        for (auto& r : records) {
            auto& slot = latest[{r.student, r.day}];
            if (r.at >= slot.at) {
                slot = std::move(r);
            }
        }
    }
    return latest;
}

Result<void> Snapshot::append_run(const fs::path& journal, const RunRecord& record) const {
    return append_line_durable(journal, json(record).dump());
}

std::string why_moved(const RunRecord& before, const RunRecord& after) {
    std::vector<std::string> reasons;
    if (before.sha != after.sha) {
        reasons.push_back(fmt::format("a different commit ({} -> {})", before.sha.substr(0, 12), after.sha.substr(0, 12)));
    } else if (before.files != after.files) {
        reasons.push_back("the submitted files differ");
    }
    if (before.grader != after.grader) {
        reasons.push_back(fmt::format("grader {} -> {}", before.grader, after.grader));
    }
    if (before.bundle != after.bundle) {
        reasons.push_back("the day's tests or harness changed");
    }
    if (before.toolchain != after.toolchain) {
        reasons.push_back(fmt::format("toolchain {} -> {}", before.toolchain, after.toolchain));
    }
    if (before.status != after.status) {
        reasons.push_back(fmt::format("{} -> {}", before.status, after.status));
    }
    if (reasons.empty()) {
        reasons.push_back("same inputs: a flaky test or a timing verdict");
    }
    std::string text;
    for (const auto& r : reasons) {
        text += (text.empty() ? "" : "; ") + r;
    }
    return text;
}

}  // namespace grade
