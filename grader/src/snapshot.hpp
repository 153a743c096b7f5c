// A batch snapshot directory (grader-design §6): the roster, the trusted fetch record, the bare
// mirrors, the materialised submissions, the content-addressed results and the run journals.
//
//   SNAP/roster.yaml                 the roster of the last fetch
//   SNAP/fetches.jsonl               one Observation per student per fetch (append-only, fsync)
//   SNAP/mirrors/<id>.git            bare clones; fetched objects are never pruned
//   SNAP/submissions/<id>/<day>/     the allowlisted files of the graded commit, nothing else
//   SNAP/results/<key>.json          a grade, named by its cache key (what was graded, with what)
//   SNAP/runs[.shard-i-of-n].jsonl   one RunRecord per (student, day) graded (append-only, fsync)
//   SNAP/report/                     gradebook.csv, students/<id>.{json,md}, summary.md
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"

namespace grade {

struct Observation {
    std::string student{};
    std::string url{};
    std::string branch{};
    std::string sha{};            // empty when the fetch failed
    std::int64_t fetched_at = 0;  // the grader's clock when it asked: the trusted time
    std::int64_t claimed_time = 0;
    std::string summary{};
    std::string error{};          // why the fetch failed
};

// The commit graded for one student, and what the record says about it.
struct Frozen {
    std::string sha{};                 // empty: nothing to grade (see error)
    std::int64_t fetched_at = 0;
    std::int64_t claimed_time = 0;
    std::int64_t late_seconds = 0;   // > 0: first fetched this long after the student's deadline
    std::string rewritten{};           // non-empty: a later fetch did not descend from `sha` (when, which)
    std::string error{};
};

// The rule: the latest commit fetched at or before the student's deadline (deadline + extension);
// if none, the earliest fetched after it, flagged late by how much. A later fetch whose commit does
// not descend from the graded one flags rewritten history. `descends(later, earlier)`.
Frozen freeze(const std::vector<Observation>& observations, std::optional<std::int64_t> deadline,
              int extension_days, const std::function<bool(const std::string&, const std::string&)>& descends);

struct RunRecord {
    std::string student{};
    std::string day{};
    std::string status{};  // graded | no_submission | error
    std::string reason{};  // for no_submission and error
    std::string sha{};
    std::string key{};     // the result's cache key (graded)
    double score = 0;
    double max_score = 0;
    std::string grader{};  // what the key was made of, to explain who moves and why
    std::string bundle{};
    std::string toolchain{};
    std::string files{};   // digest of the submitted files
    std::int64_t at = 0; // when the record was written
};

class Snapshot {
public:
    explicit Snapshot(std::filesystem::path root) : m_root(std::move(root)) {}

    const std::filesystem::path& root() const { return m_root; }
    std::filesystem::path roster() const { return m_root / "roster.yaml"; }
    std::filesystem::path fetches() const { return m_root / "fetches.jsonl"; }
    std::filesystem::path mirror(const std::string& student) const { return m_root / "mirrors" / (student + ".git"); }
    std::filesystem::path submission(const std::string& student) const { return m_root / "submissions" / student; }
    std::filesystem::path result(const std::string& key) const;
    std::filesystem::path runs(int shard, int shards) const;
    std::filesystem::path report_dir() const { return m_root / "report"; }

    // Every observation, by student, in fetch order.
    Result<std::map<std::string, std::vector<Observation>>> load_fetches() const;
    Result<void> append_fetch(const Observation& observation) const;
    // The latest record per (student, day) over every runs*.jsonl.
    Result<std::map<std::pair<std::string, std::string>, RunRecord>> load_runs() const;
    Result<void> append_run(const std::filesystem::path& journal, const RunRecord& record) const;

private:
    std::filesystem::path m_root;
};

// "alice day03: 72 -> 80 (...)" reasons, from the two records' key parts.
std::string why_moved(const RunRecord& before, const RunRecord& after);

}  // namespace grade
