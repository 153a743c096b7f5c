// `grade batch run SNAP --day D`: grade every student's frozen commit (grader-design §6).
//
// Each submission is graded by a child `grade` (one subprocess per submission: a grader crash or
// a hostile submission costs that row, not the batch) in a build tree reused per job slot, so a
// submission recompiles only its own files. Results are content-addressed: the key hashes what was
// graded and with what (files, the day's bundle digest, grader version, toolchain, sandbox tier),
// so an unchanged submission is never graded twice, and a regrade after a grader change recomputes
// exactly the keys that changed, printing who moves and why. Every finished row is appended to a
// journal with fsync; a killed run resumes with --resume, the half-graded submission from its
// per-test journal.
#include <atomic>
#include <condition_variable>
#include <set>
#include <ctime>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "bundle.hpp"
#include "commands.hpp"
#include "digest.hpp"
#include "git_repo.hpp"
#include "grading.hpp"
#include "report_json.hpp"
#include "roster.hpp"
#include "snapshot.hpp"
#include "subprocess.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;
namespace {

struct Shard {
    int index = 1;
    int count = 1;
};

Result<Shard> parse_shard(const std::string& text) {
    if (text.empty()) {
        return Shard{};
    }
    Shard shard;
    char slash = 0;
    std::istringstream in(text);
    if (!(in >> shard.index >> slash >> shard.count) || slash != '/' || !in.eof() || shard.count < 1 ||
        shard.index < 1 || shard.index > shard.count) {
        return usage_error("--shard {}: expected i/n with 1 <= i <= n, like 2/8", text);
    }
    return shard;
}

struct Item {
    const RosterEntry* student;
    const DaySpec* day;
    std::string day_digest;
};

struct Context {
    const BatchRunOptions* options{};
    const Printer* printer{};
    Snapshot snap;
    Roster roster{};
    BundlePaths bundle{};
    Environment environment{};
    std::map<std::string, std::vector<Observation>> fetches{};
    std::map<std::pair<std::string, std::string>, RunRecord> previous{};
    fs::path journal{};
    fs::path self{};
    // Keys being graded right now: a second student with byte-identical files waits for the first
    // grade instead of grading (and journaling) the same key twice at once.
    mutable std::mutex keys_mutex{};
    mutable std::condition_variable keys_done{};
    mutable std::set<std::string> keys_in_progress{};
    mutable std::set<std::string> keys_graded{};  // by this run (--fresh still shares them)
};

// Holds a key for the current worker while it grades it.
class KeyClaim {
public:
    KeyClaim(const Context& ctx, std::string key) : m_ctx(ctx), m_key(std::move(key)) {
        std::unique_lock lock(m_ctx.keys_mutex);
        m_ctx.keys_done.wait(lock, [&] { return !m_ctx.keys_in_progress.contains(m_key); });
        m_ctx.keys_in_progress.insert(m_key);
    }
    ~KeyClaim() {
        {
            const std::lock_guard lock(m_ctx.keys_mutex);
            m_ctx.keys_in_progress.erase(m_key);
        }
        m_ctx.keys_done.notify_all();
    }
    KeyClaim(const KeyClaim&) = delete;
    KeyClaim& operator=(const KeyClaim&) = delete;

private:
    const Context& m_ctx;
    std::string m_key;
};

std::chrono::milliseconds grading_budget(const DaySpec& day) {
    long seconds = day.limits.build_timeout_s + 120;
    for (const auto& test : day.tests) {
        // Timing verdicts are confirmed by two reruns.
        seconds += static_cast<long>(test.timeout_s > 0 ? test.timeout_s : day.limits.test_timeout_s) * test.repeat *
                   (test.timing ? 3 : 1);
    }
    return std::chrono::seconds(seconds);
}

std::string tail_lines(const std::string& text, int count) {
    std::size_t pos = text.size();
    while (pos > 0 && text[pos - 1] == '\n') {
        --pos;
    }
    for (int n = 0; n < count && pos != std::string::npos && pos > 0; ++n) {
        pos = text.rfind('\n', pos - 1);
    }
    return text.substr(pos == std::string::npos ? 0 : pos + 1);
}

// Which tests changed outcome between two results, for "who moves and why".
std::string flipped_tests(const Snapshot& snap, const RunRecord& before, const RunRecord& after) {
    const auto load = [&](const std::string& key) -> std::optional<DayResult> {
        if (key.empty()) {
            return std::nullopt;
        }
        const auto text = read_file(snap.result(key));
        const auto json = nlohmann::json::parse(text.value_or(""), nullptr, false);
        auto result = json.is_discarded() ? Result<DayResult>(fail("unreadable")) : from_json(json);
        return result ? std::optional(*result) : std::nullopt;
    };
    const auto old_result = load(before.key);
    const auto new_result = load(after.key);
    if (!old_result || !new_result) {
        return "";
    }
    std::string text;
    int shown = 0;
    for (const auto& t : new_result->tests) {
        for (const auto& o : old_result->tests) {
            if (o.name == t.name && o.outcome != t.outcome && shown < 3) {
                text += fmt::format("{}{}: {} -> {}", shown == 0 ? "" : ", ", t.name, to_string(o.outcome),
                                    to_string(t.outcome));
                ++shown;
            }
        }
    }
    return text;
}

// Grades one (student, day) and returns its record; errors become the record's reason.
RunRecord grade_item(const Context& ctx, const Item& item, int slot) {
    const auto& student = *item.student;
    const auto& day = *item.day;
    RunRecord record{.student = student.id,
                     .day = day.dir,
                     .status = "error",
                     .grader = ctx.environment.grader_version,
                     .bundle = item.day_digest,
                     .toolchain = ctx.environment.toolchain};
    const auto found = ctx.fetches.find(student.id);
    const auto frozen =
        freeze(found == ctx.fetches.end() ? std::vector<Observation>{} : found->second, ctx.roster.deadline,
               student.extension_days, [&](const std::string& later, const std::string& earlier) {
                   return descends_from(ctx.snap.mirror(student.id), later, earlier).value_or(false);
               });
    if (frozen.sha.empty()) {
        record.status = "no_submission";
        record.reason = frozen.error.empty() ? "nothing fetched" : frozen.error;
        return record;
    }
    record.sha = frozen.sha;
    const auto exported = export_day_files(ctx.snap.mirror(student.id), frozen.sha, day.dir, day.files,
                                           day.limits.file_bytes);
    if (!exported) {
        record.reason = exported.error().message;
        return record;
    }
    if (!exported->day_dir_exists) {
        record.status = "no_submission";
        record.reason = fmt::format("commit {} has no directory {}", frozen.sha.substr(0, 12), day.dir);
        return record;
    }
    Sha256 files;
    for (const auto& name : day.files) {
        const auto it = std::find_if(exported->files.begin(), exported->files.end(),
                                     [&](const ExportedFile& f) { return f.name == name; });
        files.field(name);
        files.field(it == exported->files.end() ? std::string_view("\x01missing") : std::string_view(it->content));
    }
    for (const auto& rejected : exported->rejected) {
        files.field(rejected);
    }
    record.files = files.hex();
    Sha256 key;
    for (const auto& part : {std::string("grade-result-v1"), day.dir, record.bundle, record.grader, record.toolchain,
                             ctx.environment.sandbox_tier, record.files}) {
        key.field(part);
    }
    record.key = key.hex();
    for (const auto& rejected : exported->rejected) {
        record.reason += (record.reason.empty() ? "refused: " : "; ") + rejected;
    }

    const KeyClaim claim(ctx, record.key);
    const auto result_path = ctx.snap.result(record.key);
    const auto read_result = [&]() -> Result<DayResult> {
        const auto json = nlohmann::json::parse(read_file(result_path).value_or(""), nullptr, false);
        if (json.is_discarded()) {
            return fail("no result");
        }
        return from_json(json);
    };
    const bool graded_by_this_run = [&] {
        const std::lock_guard lock(ctx.keys_mutex);
        return ctx.keys_graded.contains(record.key);
    }();
    auto result = ctx.options->fresh && !graded_by_this_run ? Result<DayResult>(fail("fresh")) : read_result();
    if (!result) {
        // Materialise exactly the exported files, then grade them in a child grader.
        const auto dir = ctx.snap.submission(student.id) / day.dir;
        std::error_code ec;
        fs::remove_all(dir, ec);
        fs::create_directories(dir, ec);
        fs::create_directories(result_path.parent_path(), ec);
        for (const auto& file : exported->files) {
            std::ofstream(dir / file.name, std::ios::binary) << file.content;
        }
        const auto hex = record.key.substr(record.key.find(':') + 1);
        const auto seed = std::stoull(hex.substr(0, 5), nullptr, 16) % 999'999 + 1;
        Command child{.argv = {ctx.self.string(), day.dir, "--repo", ctx.snap.submission(student.id).string(),
                               "--format", "json", "--out", result_path.string(), "--seed", std::to_string(seed),
                               "--slot", fmt::format("batch{}", slot), "--color", "never"},
                      .env = {{"GRADE_BUNDLE", ctx.bundle.root.string()}},
                      .deadline = grading_budget(day),
                      .output_cap = 64 << 10};
        if (!ctx.options->fresh) {
            child.argv.push_back("--resume");  // the per-test journal belongs to this exact key
        } else {
            fs::remove(result_path.string() + ".partial.jsonl", ec);
        }
        const auto ran = run(child);
        if (!ran) {
            record.reason = ran.error().message;
            return record;
        }
        if (ran->end != ProcessEnd::exited || ran->exit_code > exit_below) {
            record.reason = fmt::format("the grader could not grade this submission ({}): {}", describe_end(*ran),
                                        tail_lines(ran->output, 3));
            return record;
        }
        result = read_result();
        if (!result) {
            record.reason = fmt::format("the grader wrote no result ({})", describe_end(*ran));
            return record;
        }
        const std::lock_guard lock(ctx.keys_mutex);
        ctx.keys_graded.insert(record.key);
    }
    record.status = "graded";
    record.score = result->score;
    record.max_score = result->max_score;
    return record;
}

Result<int> run_batch(const BatchRunOptions& options, const Printer& printer) {
    if (options.resume && options.fresh) {
        return usage_error("--resume keeps what is graded and --fresh grades everything again: pick one");
    }
    Context ctx{.options = &options, .printer = &printer, .snap = Snapshot(options.snapshot)};
    if (!fs::exists(ctx.snap.roster())) {
        return usage_error("{} is not a snapshot (no roster.yaml): run grade batch fetch ROSTER --out {} first",
                           options.snapshot, options.snapshot);
    }
    TRY(roster, load_roster(ctx.snap.roster()));
    ctx.roster = std::move(roster);
    TRY(shard, parse_shard(options.shard));
    TRY(bundle, locate_bundle());
    ctx.bundle = bundle;
    TRY(course, load_course(bundle));
    auto day_names = options.days.empty() ? ctx.roster.days : options.days;
    if (day_names.empty()) {
        return usage_error("which day? pass --day D (or list days: in the roster)");
    }
    std::vector<DaySpec> days;
    std::vector<std::string> digests;
    for (const auto& name : day_names) {
        TRY(dir, resolve_day(course, name));
        TRY(day, load_day(bundle, course, dir));
        TRY(digest, bundle_digest(bundle, dir));
        days.push_back(std::move(day));
        digests.push_back(digest);
    }
    TRY(environment, describe_environment(bundle));
    ctx.environment = environment;
    TRY(fetches, ctx.snap.load_fetches());
    ctx.fetches = std::move(fetches);
    TRY(previous, ctx.snap.load_runs());
    ctx.previous = std::move(previous);
    ctx.journal = ctx.snap.runs(shard.index, shard.count);
    std::error_code ec;
    ctx.self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return fail("cannot find the grader's own executable: {}", ec.message());
    }

    std::vector<Item> items;
    int kept = 0;
    for (std::size_t i = 0; i < ctx.roster.students.size(); ++i) {
        if (static_cast<int>(i % static_cast<std::size_t>(shard.count)) != shard.index - 1) {
            continue;
        }
        for (std::size_t d = 0; d < days.size(); ++d) {
            const auto& student = ctx.roster.students[i];
            const auto before = ctx.previous.find({student.id, days[d].dir});
            if (before != ctx.previous.end() && !options.resume && !options.fresh) {
                return usage_error("{} already has {} results (from {}). Continue that run with --resume (only what "
                                   "is missing or changed is graded), or grade everything again with --fresh",
                                   options.snapshot, days[d].dir, format_time(before->second.at));
            }
            // Resuming: a graded row whose inputs are unchanged is kept as it is.
            if (options.resume && before != ctx.previous.end() && before->second.status == "graded" &&
                before->second.grader == environment.grader_version && before->second.bundle == digests[d] &&
                before->second.toolchain == environment.toolchain && fs::exists(ctx.snap.result(before->second.key))) {
                const auto frozen = freeze(ctx.fetches[student.id], ctx.roster.deadline, student.extension_days,
                                           [](const std::string&, const std::string&) { return true; });
                if (frozen.sha == before->second.sha) {
                    ++kept;
                    continue;
                }
            }
            items.push_back({&student, &days[d], digests[d]});
        }
    }
    printer.progress(fmt::format("grading {} submission(s) with {} job(s){}{}", items.size(), options.jobs,
                                 shard.count > 1 ? fmt::format(", shard {}/{}", shard.index, shard.count) : "",
                                 kept > 0 ? fmt::format("; {} already graded and unchanged", kept) : ""));

    std::mutex mutex;
    std::atomic<std::size_t> next{0};
    int done = 0;
    int errors = 0;
    std::vector<std::string> movers;
    const auto started = std::chrono::steady_clock::now();
    const auto total = static_cast<int>(items.size());
    std::optional<Error> journal_error;
    const auto worker = [&](int slot) {
        for (std::size_t i = next++; i < items.size(); i = next++) {
            RunRecord record = grade_item(ctx, items[i], slot);
            record.at = static_cast<std::int64_t>(std::time(nullptr));
            const std::lock_guard lock(mutex);
            if (const auto written = ctx.snap.append_run(ctx.journal, record); !written) {
                journal_error = written.error();
            }
            ++done;
            errors += record.status == "error" ? 1 : 0;
            const auto before = ctx.previous.find({record.student, record.day});
            if (before != ctx.previous.end() &&
                (before->second.score != record.score || before->second.status != record.status)) {
                const auto flips = flipped_tests(ctx.snap, before->second, record);
                movers.push_back(fmt::format("{} {}: {:g} -> {:g} ({}){}", record.student, record.day,
                                             before->second.score, record.score, why_moved(before->second, record),
                                             flips.empty() ? "" : "; " + flips));
            }
            const auto elapsed = std::chrono::steady_clock::now() - started;
            const auto eta = std::chrono::duration_cast<std::chrono::seconds>(elapsed * (total - done) / done);
            printer.progress_bar(done, total, errors, eta,
                                 record.status == "graded"
                                     ? fmt::format("{} {}: {:g}/{:g}", record.student, record.day, record.score,
                                                   record.max_score)
                                     : fmt::format("{} {}: {}: {}", record.student, record.day, record.status,
                                                   record.reason));
        }
    };
    std::vector<std::thread> threads;
    for (int j = 0; j < std::max(1, options.jobs); ++j) {
        threads.emplace_back(worker, j + 1);
    }
    for (auto& t : threads) {
        t.join();
    }
    printer.progress_bar_end();
    if (journal_error) {
        return tl::unexpected(*journal_error);
    }
    if (!movers.empty()) {
        std::sort(movers.begin(), movers.end());
        printer.progress(fmt::format("{} grade(s) moved since the last run:", movers.size()));
        for (const auto& m : movers) {
            printer.progress("  " + m);
        }
    }
    const auto minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / 60;
    printer.progress(fmt::format("graded {} submission(s) in {:.1f} min{}; next: grade batch report {}", done, minutes,
                                 errors > 0 ? fmt::format(", {} could not be graded (their rows say why)", errors) : "",
                                 options.snapshot));
    return errors > 0 ? exit_below : exit_full_marks;
}

}  // namespace

int cmd_batch_run(const BatchRunOptions& options, const Printer& printer) {
    const auto status = run_batch(options, printer);
    if (!status) {
        printer.error(status.error());
        return exit_status(status.error());
    }
    return *status;
}

}  // namespace grade
