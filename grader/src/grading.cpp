#include "grading.hpp"

#include <mutex>
#include <random>

#include "atomic_file.hpp"
#include "build.hpp"
#include "bundle.hpp"
#include "git_repo.hpp"
#include "runtime.hpp"
#include "sandbox.hpp"
#include "subprocess.hpp"
#include "test_run.hpp"

#ifndef GRADE_VERSION
#define GRADE_VERSION "0.0.0"
#endif

namespace grade {
namespace fs = std::filesystem;

Result<std::string> toolchain_version() {
    Command cxx{.argv = {"c++", "-dumpfullversion"}, .deadline = std::chrono::seconds(10), .output_cap = 4096};
    const auto version = run(cxx);
    if (!version || !version->ok()) {
        return fail("no C++ compiler found (c++ -dumpfullversion failed): run scripts/setup-deps.sh");
    }
    auto text = version->output;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return "g++ " + text;
}

Result<Environment> describe_environment(const BundlePaths& bundle) {
    Environment env;
    env.grader_version = GRADE_VERSION;
    TRY(digest, bundle_digest(bundle));
    env.bundle_digest = digest;
    TRY(toolchain, toolchain_version());
    env.toolchain = toolchain;
    TRY(box, sandbox());
    env.sandbox_tier = to_string(box->tier);
    env.sandbox_warnings = box->warnings;
    return env;
}

std::vector<const TestSpec*> select_tests(const DaySpec& day, Only only, const std::vector<std::string>& names) {
    std::vector<const TestSpec*> selected;
    for (const auto& test : day.tests) {
        if ((only == Only::public_tests && test.hidden) || (only == Only::hidden_tests && !test.hidden)) {
            continue;
        }
        if (!names.empty() && std::find(names.begin(), names.end(), test.name) == names.end()) {
            continue;
        }
        selected.push_back(&test);
    }
    return selected;
}

namespace {

// GRADE_TRACE_TESTS=FILE appends one line per finished test: an independent witness for the
// batch's resume tests ("no test graded twice"), not a user feature.
void trace_finished(const fs::path& day_dir, const TestResult& test) {
    static const char* trace = std::getenv("GRADE_TRACE_TESTS");
    if (trace != nullptr && *trace != '\0') {
        (void)append_line_durable(trace, fmt::format("{} {} {} {}", day_dir.string(), test.name, test.seed, to_string(test.outcome)));
    }
}

}  // namespace

Result<DayResult> grade_submission(const GradeRequest& request) {
    const auto started = std::chrono::steady_clock::now();
    const auto& day = *request.day;
    DayResult result;
    result.day = day.dir;
    result.title = day.title;
    result.grader_version = request.environment->grader_version;
    result.bundle = request.environment->bundle_digest;
    result.toolchain = request.environment->toolchain;
    result.sandbox_tier = request.environment->sandbox_tier;
    result.sandbox_warnings = request.environment->sandbox_warnings;
    if (request.printer != nullptr) {
        static std::once_flag warned;  // once per process, not once per day
        std::call_once(warned, [&] {
            for (const auto& warning : result.sandbox_warnings) {
                request.printer->warning(warning);
            }
        });
    }
    result.commit = head_commit(request.day_dir).value_or("");

    TRY(ingested, ingest(request.day_dir, day, request.workspace));
    result.missing = ingested.missing;
    result.rejected = ingested.rejected;

    const auto selected = select_tests(day, request.only, request.tests);
    std::vector<Flavour> flavours;
    for (const auto* test : selected) {
        if (std::find(flavours.begin(), flavours.end(), test->flavour) == flavours.end()) {
            flavours.push_back(test->flavour);
        }
    }
    std::string flavour_names;
    for (const auto f : flavours) {
        flavour_names += (flavour_names.empty() ? "" : ", ") + to_string(f);
    }
    if (request.printer != nullptr) {
        request.printer->progress(fmt::format("building {} ({}){}", day.dir, flavour_names,
                                              ingested.changed.empty() ? "" : fmt::format(", {} changed file(s)", ingested.changed.size())));
    }
    const RuntimeNeeds needs{flavours, std::find(day.libraries.begin(), day.libraries.end(), "asio") != day.libraries.end()};
    TRY(runtime, find_runtime(*request.bundle, request.environment->toolchain, needs, [&](const std::string& text) {
            if (request.printer != nullptr) {
                request.printer->progress(text);
            }
        }));
    TRY(built, build_day({request.bundle, &day, request.workspace, ingested.present, flavours, runtime}));
    if (request.printer != nullptr) {
        request.printer->progress(fmt::format("built in {:.1f} s{}", static_cast<double>(built.wall.count()) / 1000,
                                              built.ok ? "" : ": compile errors"));
    }

    std::uint64_t base_seed = 0;
    if (request.seed) {
        base_seed = *request.seed;
    } else {
        std::random_device device;
        base_seed = std::uniform_int_distribution<std::uint64_t>(1, 999'999)(device);
    }

    if (!built.ok) {
        result.build_messages = built.messages;
        for (const auto* test : selected) {
            TestResult failed;
            failed.name = test->name;
            failed.task = test->task;
            failed.hidden = test->hidden;
            failed.max_score = test->points;
            failed.outcome = Outcome::build_error;
            failed.message = "The submission does not compile; see the compiler's messages above.";
            result.tests.push_back(failed);
        }
    } else {
        int index = 0;
        const auto count = static_cast<int>(selected.size());
        for (const auto* test : selected) {
            ++index;
            const auto already = std::find_if(request.done.begin(), request.done.end(),
                                              [&](const TestResult& t) { return t.name == test->name; });
            if (already != request.done.end()) {
                result.tests.push_back(*already);
                continue;
            }
            if (request.printer != nullptr) {
                request.printer->test_started(index, count, test->name);
            }
            std::vector<TestResult> runs;
            const int repeat = std::max(1, request.repeat) * test->repeat;
            for (int r = 0; r < repeat; ++r) {
                const std::uint64_t seed = base_seed + static_cast<std::uint64_t>(r);
                TestRunRequest run_request{test, &day, request.workspace, request.bundle->gdb_dir() / "thread_dump.py",
                                           seed,
                                           fmt::format("{} --test {} --seed {}", request.rerun_prefix, test->name, seed),
                                           (request.bundle->exercise_dir(day.dir) / "hidden").string() + "/",
                                           (request.bundle->template_dir(day.dir) / "tests").string() + "/", runtime};
                TestRun run = run_test(run_request);
                if (run.infrastructure) {
                    return fail("{}: {}", test->name, run.message);
                }
                if (needs_confirmation(*test, run.outcome)) {
                    // Timing is not evidence on its own: the same seed must fail again (2 of 3).
                    int confirmed = 0;
                    for (int c = 0; c < 2 && confirmed == 0; ++c) {
                        confirmed += run_test(run_request).outcome != Outcome::pass ? 1 : 0;
                    }
                    if (confirmed == 0) {
                        run.outcome = Outcome::pass;
                        run.message.clear();
                    } else {
                        run.message += "(Confirmed: a rerun with the same seed failed too.)\n";
                    }
                }
                TestResult as_result;
                as_result.outcome = run.outcome;
                as_result.message = run.message;
                as_result.seed = run.seed;
                as_result.wall = run.wall;
                runs.push_back(as_result);
                if (run.outcome != Outcome::pass) {
                    break;  // the first failing run is the one to explain
                }
            }
            TestResult combined = combine_runs(*test, runs);
            if (combined.outcome != Outcome::pass) {
                if (!combined.message.empty() && !combined.message.ends_with('\n')) {
                    combined.message += '\n';
                }
                combined.message += fmt::format("seed {} · rerun: {} --test {} --seed {}\n", combined.seed,
                                                request.rerun_prefix, test->name, combined.seed);
            }
            if (request.printer != nullptr) {
                request.printer->test_finished();
            }
            if (request.on_test_done) {
                request.on_test_done(combined);
            }
            trace_finished(request.day_dir, combined);
            result.tests.push_back(std::move(combined));
            if (request.stop_at_first_failure && result.tests.back().outcome != Outcome::pass) {
                break;
            }
        }
    }
    total(result);
    result.execution_time = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return result;
}

}  // namespace grade
