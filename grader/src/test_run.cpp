#include "test_run.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <random>
#include <thread>

#include "build.hpp"
#include "hang_diagnosis.hpp"
#include "result_frames.hpp"
#include "sanitizer_log.hpp"
#include "subprocess.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;

namespace {

std::string fresh_nonce() {
    std::random_device device;
    return fmt::format("{:08x}{:08x}{:08x}{:08x}", device(), device(), device(), device());
}

std::string last_step(const std::string& side, const std::string& nonce) {
    std::string step;
    for (const auto& frame : parse_frames(side, nonce).accepted) {
        if (frame["type"] == "step" && frame.contains("text")) {
            step = frame["text"].get<std::string>();
        }
    }
    return step;
}

std::optional<std::string> student_source_line(const Workspace& ws, const std::string& file, int line) {
    std::ifstream in(ws.student() / file);
    std::string text;
    for (int i = 1; std::getline(in, text); ++i) {
        if (i == line) {
            const auto start = text.find_first_not_of(" \t");
            return start == std::string::npos ? std::string{} : text.substr(start);
        }
    }
    return std::nullopt;
}

struct Diagnosis {
    HangKind kind = HangKind::unknown;
    std::string text;
};

Diagnosis diagnose(pid_t pid, const std::string& side, const std::string& nonce, const TestRunRequest& request) {
    HangContext context;
    context.student_files = request.day->files;
    context.source_line = [&](const std::string& file, int line) {
        return student_source_line(request.workspace, file, line);
    };
    context.last_step = last_step(side, nonce);
    const auto before = process_cpu_ticks(pid);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto after = process_cpu_ticks(pid);
    // 300 ms is 30 ticks of one busy core; a third of that is clearly more than idle waiting.
    context.busy = before && after && *after - *before >= 10;
    std::vector<ThreadDump> threads;
    if (fs::exists(request.gdb_script)) {
        Command gdb{.argv = {"gdb", "-p", std::to_string(pid), "-batch", "-nx", "-q", "-x", request.gdb_script.string()},
                    .deadline = std::chrono::seconds(20),
                    .output_cap = 8 << 20};
        if (const auto dumped = run(gdb)) {
            threads = parse_thread_dump(dumped->output);
        }
    }
    const auto report = describe_hang(threads, context);
    return {report.kind, report.text};
}

// The failed assertions, with the bundle's private paths removed (RapidCheck quotes them).
std::string failures_text(const Frames& frames, const std::vector<std::string>& strip) {
    std::string text;
    for (const auto& frame : frames.accepted) {
        if (frame["type"] != "failure") {
            continue;
        }
        const auto file = fs::path(frame.value("file", "")).filename().string();
        const auto message = frame.value("message", "");
        text += file.empty() ? message : fmt::format("{}:{}: {}", file, frame.value("line", 0), message);
        for (const auto& prefix : strip) {
            replace_all(text, prefix, "");
        }
        // RapidCheck quotes the failing RC_ macro's source text after its location line; the
        // counterexample and the message that follow say it all, without the test's source.
        for (auto at = text.find("\nRC_"); at != std::string::npos; at = text.find("\nRC_", at)) {
            auto end = text.find("\n\n", at + 1);
            text.erase(at + 1, end == std::string::npos ? std::string::npos : end - at);
        }
        if (!text.ends_with('\n')) {
            text += '\n';
        }
    }
    return text;
}

// The last lines the test printed, without GoogleTest's own banner lines.
std::string output_tail(const std::string& output, std::size_t lines) {
    std::vector<std::string> kept;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("Note: Google Test filter", 0) == 0 || line.rfind("[==========]", 0) == 0 ||
            line.rfind("[----------]", 0) == 0 || line.rfind("[ RUN      ]", 0) == 0 ||
            line.rfind("Using configuration:", 0) == 0) {
            continue;
        }
        kept.push_back(line);
    }
    std::string text;
    for (std::size_t i = kept.size() > lines ? kept.size() - lines : 0; i < kept.size(); ++i) {
        text += kept[i] + "\n";
    }
    return text;
}

bool tsan_cannot_map(const Completed& completed, const fs::path& logs, const std::string& id) {
    constexpr const char* symptom = "unexpected memory mapping";
    if (completed.output.find(symptom) != std::string::npos) {
        return true;
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(logs, ec)) {
        if (entry.path().filename().string().rfind(id, 0) == 0) {
            if (read_file(entry.path()).value_or("").find(symptom) != std::string::npos) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace

bool needs_confirmation(const TestSpec& test, Outcome outcome) {
    return outcome != Outcome::pass && (test.timing || outcome == Outcome::timeout);
}

TestRun run_test(const TestRunRequest& request) {
    const auto& test = *request.test;
    const auto& ws = request.workspace;
    TestRun result;
    result.seed = request.seed;
    const std::string nonce = fresh_nonce();
    const std::string id = fmt::format("{}-{}", test.name, request.seed);
    const auto log_prefix = (ws.logs() / id).string();
    const auto clear_logs = [&] {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(ws.logs(), ec)) {
            if (entry.path().filename().string().rfind(id, 0) == 0) {
                fs::remove(entry.path(), ec);
            }
        }
    };
    clear_logs();

    Command cmd;
    cmd.argv = {test_binary(ws, test.flavour).string(), "--gtest_filter=" + test.name, "--gtest_color=no"};
    cmd.side_channel = true;
    cmd.deadline = std::chrono::seconds(test.timeout_s > 0 ? test.timeout_s : request.day->limits.test_timeout_s);
    cmd.output_cap = request.day->limits.output_bytes;
    cmd.limits.file_bytes = 64L << 20;
    cmd.unset_env = {"RC_PARAMS", "GTEST_FILTER", "GTEST_REPEAT", "GTEST_SHUFFLE", "LD_PRELOAD"};
    cmd.env = {
        {"CT_RESULT_FD", "3"},
        {"CT_NONCE", nonce},
        {"CT_SEED", std::to_string(request.seed)},
        {"CT_RERUN", request.rerun_command},
        {"TSAN_OPTIONS", fmt::format("log_path={}.tsan:second_deadlock_stack=1:atexit_sleep_ms=50:halt_on_error=0:"
                                     "exitcode=66:history_size=4",
                                     log_prefix)},
        {"ASAN_OPTIONS", fmt::format("log_path={}.asan:detect_leaks=1:halt_on_error=1:"
                                     "detect_stack_use_after_return=1",
                                     log_prefix)},
        {"UBSAN_OPTIONS", fmt::format("log_path={}.ubsan:print_stacktrace=1:halt_on_error=1", log_prefix)},
    };
    if (test.preload != Preload::none) {
        cmd.env["LD_PRELOAD"] = shim_library(ws, test.preload).string();
    }
    Diagnosis hang;
    cmd.on_deadline = [&](pid_t pid, const std::string& side) {
        hang = diagnose(pid, side, nonce, request);
        return hang.text;
    };

    auto completed = run(cmd);
    if (completed && test.flavour == Flavour::tsan && tsan_cannot_map(*completed, ws.logs(), id)) {
        // g++ 12's TSan dies at start-up when the kernel randomises more than 28 bits of mmap
        // addresses (playbook 2.7). Without address randomisation it works: retry so.
        struct utsname machine {};
        ::uname(&machine);
        cmd.argv.insert(cmd.argv.begin(), {"setarch", machine.machine, "-R"});
        clear_logs();
        completed = run(cmd);
        if (completed && tsan_cannot_map(*completed, ws.logs(), id)) {
            result.infrastructure = true;
            result.message =
                "ThreadSanitizer cannot start on this machine (\"unexpected memory mapping\"), even under setarch -R: "
                "the kernel's vm.mmap_rnd_bits is above 28. As root: sysctl vm.mmap_rnd_bits=28.";
            return result;
        }
    }
    if (!completed) {
        result.outcome = Outcome::not_run;
        result.message = "the grader could not start the test: " + completed.error().message;
        return result;
    }
    result.wall = completed->wall;
    const Frames frames = parse_frames(completed->side, nonce);
    const auto reports = read_sanitizer_logs(ws.logs(), id, request.day->files, {ws.student().string() + "/", request.hidden_dir,
                                                                              request.public_dir});

    bool started = false;
    bool ended = false;
    bool passed = false;
    bool done = false;
    std::vector<std::string> hook_reports;
    for (const auto& frame : frames.accepted) {
        const auto type = frame["type"].get<std::string>();
        if (type == "start" && frame.value("test", "") == test.name) {
            started = true;
        } else if (type == "end" && frame.value("test", "") == test.name) {
            ended = true;
            passed = frame.value("passed", false);
        } else if (type == "done") {
            done = true;
        } else if (type == "sanitizer") {
            hook_reports.push_back(frame.value("kind", "report"));
        }
    }
    const std::string failures = failures_text(frames, {request.hidden_dir, request.public_dir});

    if (completed->end == ProcessEnd::timed_out && reports.empty()) {
        result.outcome = hang.kind == HangKind::deadlock || hang.kind == HangKind::stuck ? Outcome::deadlock
                                                                                         : Outcome::timeout;
        result.message = fmt::format("The test did not finish within {} s.\n{}", cmd.deadline.count() / 1000,
                                     completed->diagnosis);
    } else if (!reports.empty() || !hook_reports.empty() ||
               (completed->end == ProcessEnd::exited && completed->exit_code == 66)) {
        result.outcome = Outcome::sanitizer;
        if (!reports.empty()) {
            const auto& first = reports.front();
            result.message = fmt::format("{} found a {}{}.\n", first.tool, first.kind,
                                         first.student_frame.empty() ? "" : " at " + first.student_frame);
            if (const auto why = explain_sanitizer_kind(first.kind); !why.empty()) {
                result.message += why + "\n";
            }
            if (reports.size() > 1) {
                result.message += fmt::format("({} reports in all; the first is shown.)\n", reports.size());
            }
            result.message += first.excerpt;
        } else {
            result.message = fmt::format("A sanitizer reported: {}.\n", hook_reports.empty() ? "an error" : hook_reports.front());
        }
        if (!failures.empty()) {
            result.message += "The test's own checks also failed:\n" + failures;
        }
        // A race often ends in a hang (a corrupted structure, a lost update to a loop condition):
        // the report is the cause, the hang its symptom.
        if (completed->end == ProcessEnd::timed_out) {
            result.message += fmt::format("After that report the test hung and was stopped after {} s.\n{}",
                                          cmd.deadline.count() / 1000, completed->diagnosis);
        }
    } else if (completed->end == ProcessEnd::signaled) {
        result.outcome = Outcome::crash;
        result.message = fmt::format("The test process was {}.\n{}", describe_end(*completed), failures);
        if (const auto tail = output_tail(completed->output, 15); !tail.empty()) {
            result.message += "Last output:\n" + tail;
        }
    } else if (!started && done) {
        result.outcome = Outcome::not_run;
        result.message = fmt::format("The test binary has no test named {}.", test.name);
    } else if (ended && !passed) {
        result.outcome = Outcome::fail;
        result.message = failures.empty() ? "The test failed.\n" : failures;
    } else if (ended && passed && done && completed->ok()) {
        result.outcome = Outcome::pass;
    } else if (ended && passed && completed->end == ProcessEnd::exited && completed->exit_code != 0) {
        result.outcome = Outcome::fail;
        result.message = fmt::format(
            "The test's checks passed, but the process then ended with {}: something went wrong while it shut down "
            "(for example a thread still running at exit, or a destructor that failed).\n",
            describe_end(*completed));
    } else {
        result.outcome = Outcome::fail;
        result.message = fmt::format(
            "The test process ended ({}) before the test finished. Calling exit(), _exit() or std::quick_exit() "
            "inside the code under test ends the whole process, and that is never a pass.\n",
            describe_end(*completed));
        if (!failures.empty()) {
            result.message += failures;
        }
    }
    if (frames.rejected > 0 && result.outcome != Outcome::pass) {
        result.message += fmt::format("({} unreadable or forged messages on the result channel were ignored.)\n",
                                      frames.rejected);
    }
    if (completed->output_dropped > 0) {
        result.message += fmt::format("(The test printed {} more bytes than the {} kept.)\n", completed->output_dropped,
                                      cmd.output_cap);
    }
    return result;
}

}  // namespace grade

namespace grade {

std::vector<std::string> parse_test_list(const std::string& output) {
    std::vector<std::string> names;
    std::istringstream in(output);
    std::string line;
    std::string suite;
    while (std::getline(in, line)) {
        if (line.empty()) {
            continue;
        }
        const auto comment = line.find('#');
        std::string text = line.substr(0, comment);
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        if (line[0] != ' ') {
            suite = text;  // "Suite." (a trailing dot)
        } else if (!suite.empty()) {
            names.push_back(suite + text.substr(text.find_first_not_of(' ')));
        }
    }
    return names;
}

Result<std::vector<std::string>> list_tests(const std::filesystem::path& binary) {
    Command cmd{.argv = {binary.string(), "--gtest_list_tests"}, .deadline = std::chrono::seconds(30)};
    cmd.env = {{"TSAN_OPTIONS", "report_thread_leaks=0"}};
    TRY(listed, run(cmd));
    if (!listed.ok()) {
        return fail("{} --gtest_list_tests failed ({}):\n{}", binary.string(), describe_end(listed), listed.output);
    }
    return parse_test_list(listed.output);
}

}  // namespace grade
