// `grade batch fetch ROSTER --out SNAP`: clone or fetch every student's repository into the
// snapshot and record, per student, the commit and the grader's own clock (grader-design §6).
#include <atomic>
#include <ctime>
#include <mutex>
#include <thread>

#include "atomic_file.hpp"
#include "commands.hpp"
#include "git_repo.hpp"
#include "roster.hpp"
#include "snapshot.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;
namespace {

Result<int> fetch_all(const BatchFetchOptions& options, const Printer& printer) {
    TRY(roster, load_roster(options.roster));
    const Snapshot snap(options.out);
    std::error_code ec;
    fs::create_directories(snap.root() / "mirrors", ec);
    if (ec) {
        return fail("cannot create the snapshot {}: {}", snap.root().string(), ec.message());
    }
    TRY_VOID(write_atomic(snap.roster(), read_file(options.roster).value_or("")));
    for (const auto& problem : roster.problems) {
        printer.warning(problem);
    }
    if (roster.students.empty()) {
        return usage_error("{}: no students to fetch", options.roster);
    }

    std::mutex mutex;  // the journal and the progress bar
    std::atomic<std::size_t> next{0};
    int done = 0;
    int failed = 0;
    const auto started = std::chrono::steady_clock::now();
    const auto total = static_cast<int>(roster.students.size());
    const auto worker = [&] {
        for (std::size_t i = next++; i < roster.students.size(); i = next++) {
            const auto& entry = roster.students[i];
            Observation o{.student = entry.id, .url = entry.repo, .branch = entry.branch};
            o.fetched_at = static_cast<std::int64_t>(std::time(nullptr));
            if (!entry.problem.empty()) {
                o.error = entry.problem;
            } else if (auto fetched = fetch_mirror(snap.mirror(entry.id), entry.repo, entry.branch,
                                                   std::chrono::seconds(options.timeout_s))) {
                o.sha = fetched->sha;
                o.branch = fetched->branch;
                o.claimed_time = fetched->claimed_time;
                o.summary = fetched->summary;
            } else {
                o.error = fetched.error().message;
            }
            const std::lock_guard lock(mutex);
            if (const auto written = snap.append_fetch(o); !written) {
                printer.error(written.error());
            }
            ++done;
            failed += o.sha.empty() ? 1 : 0;
            const auto elapsed = std::chrono::steady_clock::now() - started;
            const auto eta = std::chrono::duration_cast<std::chrono::seconds>(elapsed * (total - done) / done);
            printer.progress_bar(done, total, failed, eta,
                                 o.sha.empty() ? fmt::format("{}: {}", o.student, o.error)
                                               : fmt::format("{}: {} {}", o.student, o.sha.substr(0, 12), o.summary));
        }
    };
    std::vector<std::thread> threads;
    for (int j = 0; j < std::max(1, options.jobs); ++j) {
        threads.emplace_back(worker);
    }
    for (auto& t : threads) {
        t.join();
    }
    printer.progress_bar_end();

    TRY(fetches, snap.load_fetches());
    int rewritten = 0;
    int late = 0;
    for (const auto& entry : roster.students) {
        const auto frozen = freeze(fetches[entry.id], roster.deadline, entry.extension_days,
                                   [&](const std::string& later, const std::string& earlier) {
                                       return descends_from(snap.mirror(entry.id), later, earlier).value_or(false);
                                   });
        if (!frozen.rewritten.empty()) {
            ++rewritten;
            printer.warning(fmt::format("{}: {}", entry.id, frozen.rewritten));
        }
        late += frozen.late_seconds > 0 ? 1 : 0;
    }
    printer.progress(fmt::format("fetched {} of {} repositories into {}{}{}{}", total - failed, total,
                                 snap.root().string(), failed > 0 ? fmt::format("; {} failed (their rows say why)", failed) : "",
                                 late > 0 ? fmt::format("; {} late", late) : "",
                                 rewritten > 0 ? fmt::format("; {} with rewritten history", rewritten) : ""));
    if (roster.deadline) {
        printer.progress(fmt::format("deadline {}: each student is graded on the last commit fetched by then "
                                     "(plus extensions)",
                                     format_time(*roster.deadline)));
    }
    printer.progress(fmt::format("next: grade batch run {} --day <day>", snap.root().string()));
    return failed > 0 ? exit_below : exit_full_marks;
}

}  // namespace

int cmd_batch_fetch(const BatchFetchOptions& options, const Printer& printer) {
    const auto status = fetch_all(options, printer);
    if (!status) {
        printer.error(status.error());
        return exit_status(status.error());
    }
    return *status;
}

}  // namespace grade
