// `grade batch report SNAP` (the gradebook and feedback files) and `grade batch merge SNAP OTHER...`
// (results of shards graded elsewhere, grader-design §6).
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "atomic_file.hpp"
#include "commands.hpp"
#include "git_repo.hpp"
#include "gradebook.hpp"
#include "report_json.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;
namespace {

Result<Snapshot> open_snapshot(const std::string& path) {
    Snapshot snap(path);
    if (!fs::exists(snap.roster())) {
        return usage_error("{} is not a snapshot (no roster.yaml); make one with grade batch fetch ROSTER --out {}",
                           path, path);
    }
    return snap;
}

Result<int> report(const BatchReportOptions& options, const Printer& printer) {
    TRY(snap, open_snapshot(options.snapshot));
    TRY(roster, load_roster(snap.roster()));
    TRY(fetches, snap.load_fetches());
    TRY(runs, snap.load_runs());
    std::set<std::string> day_set;
    for (const auto& [key, _] : runs) {
        day_set.insert(key.second);
    }
    const std::vector<std::string> days(day_set.begin(), day_set.end());
    if (days.empty()) {
        printer.warning(fmt::format("nothing graded in {} yet: run grade batch run {} --day D first", snap.root().string(),
                                    snap.root().string()));
    }

    std::vector<GradebookRow> rows;
    for (const auto& student : roster.students) {
        GradebookRow row{.student = student};
        if (const auto& seen = fetches[student.id]; !seen.empty()) {
            row.student.repo = seen.back().url;  // as fetched: the snapshot's roster copy lives elsewhere
        }
        row.frozen = freeze(fetches[student.id], roster.deadline, student.extension_days,
                            [&](const std::string& later, const std::string& earlier) {
                                return descends_from(snap.mirror(student.id), later, earlier).value_or(false);
                            });
        for (const auto& day : days) {
            const auto it = runs.find({student.id, day});
            if (it == runs.end()) {
                continue;
            }
            row.days[day] = it->second;
            if (it->second.status == "graded") {
                const auto json = nlohmann::json::parse(read_file(snap.result(it->second.key)).value_or(""), nullptr, false);
                if (auto result = json.is_discarded() ? Result<DayResult>(fail("")) : from_json(json)) {
                    row.results[day] = std::move(*result);
                } else {
                    printer.warning(fmt::format("{} {}: the result file {} is missing; run batch run --resume", student.id,
                                                day, snap.result(it->second.key).string()));
                }
            }
        }
        rows.push_back(std::move(row));
    }

    const auto dir = snap.report_dir();
    std::error_code ec;
    fs::create_directories(dir / "students", ec);
    if (ec) {
        return fail("cannot create {}: {}", dir.string(), ec.message());
    }
    const auto gradebook = options.format == "json" ? dir / "gradebook.json" : dir / "gradebook.csv";
    TRY_VOID(write_atomic(gradebook, options.format == "json" ? gradebook_json(rows, days).dump(2) + "\n"
                                                              : gradebook_csv(rows, days)));
    for (const auto& row : rows) {
        TRY_VOID(write_atomic(dir / "students" / (row.student.id + ".json"), student_json(row).dump(2) + "\n"));
        TRY_VOID(write_atomic(dir / "students" / (row.student.id + ".md"), student_markdown(row)));
    }
    const auto summary = summary_markdown(rows, days, roster.problems);
    TRY_VOID(write_atomic(dir / "summary.md", summary));
    std::cout << summary << std::flush;
    printer.progress(fmt::format("wrote {}, {} feedback files in {} and {}", gradebook.string(), 2 * rows.size(),
                                 (dir / "students").string(), (dir / "summary.md").string()));
    return exit_full_marks;
}

Result<int> merge(const BatchMergeOptions& options, const Printer& printer) {
    TRY(snap, open_snapshot(options.snapshot));
    const auto own_roster = read_file(snap.roster()).value_or("");
    std::set<std::string> known;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(snap.root(), ec)) {
        const auto name = entry.path().filename().string();
        if (name.starts_with("runs") && name.ends_with(".jsonl")) {
            std::istringstream lines(read_file(entry.path()).value_or(""));
            for (std::string line; std::getline(lines, line);) {
                known.insert(line);
            }
        }
    }
    int records = 0;
    int results = 0;
    for (const auto& other_path : options.others) {
        TRY(other, open_snapshot(other_path));
        if (fs::equivalent(other.root(), snap.root(), ec)) {
            continue;
        }
        if (read_file(other.roster()).value_or("") != own_roster) {
            printer.warning(fmt::format("{} was graded with a different roster than {}", other_path, options.snapshot));
        }
        for (auto it = fs::recursive_directory_iterator(other.root() / "results", ec);
             it != fs::recursive_directory_iterator(); ++it) {
            const auto name = it->path().filename().string();
            if (!it->is_regular_file() || !name.ends_with(".json")) {
                continue;  // half-written journals stay where they are
            }
            const auto target = snap.root() / fs::relative(it->path(), other.root());
            if (!fs::exists(target)) {
                fs::create_directories(target.parent_path(), ec);
                TRY_VOID(write_atomic(target, read_file(it->path()).value_or("")));
                ++results;
            }
        }
        for (const auto& entry : fs::directory_iterator(other.root(), ec)) {
            const auto name = entry.path().filename().string();
            if (!name.starts_with("runs") || !name.ends_with(".jsonl")) {
                continue;
            }
            std::istringstream lines(read_file(entry.path()).value_or(""));
            for (std::string line; std::getline(lines, line);) {
                if (!line.empty() && known.insert(line).second &&
                    !nlohmann::json::parse(line, nullptr, false).is_discarded()) {
                    TRY_VOID(append_line_durable(snap.root() / name, line));
                    ++records;
                }
            }
        }
    }
    printer.progress(fmt::format("merged {} graded row(s) and {} result file(s) into {}; next: grade batch report {}",
                                 records, results, options.snapshot, options.snapshot));
    return exit_full_marks;
}

template <class Options, class F>
int guarded(const Options& options, const Printer& printer, F f) {
    const auto status = f(options, printer);
    if (!status) {
        printer.error(status.error());
        return exit_status(status.error());
    }
    return *status;
}

}  // namespace

int cmd_batch_report(const BatchReportOptions& options, const Printer& printer) {
    return guarded(options, printer, report);
}

int cmd_batch_merge(const BatchMergeOptions& options, const Printer& printer) {
    return guarded(options, printer, merge);
}

}  // namespace grade
