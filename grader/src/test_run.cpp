#include "test_run.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <random>
#include <regex>
#include <thread>

#include "build.hpp"
#include "hang_diagnosis.hpp"
#include "result_frames.hpp"
#include "sanitizer_log.hpp"
#include "stall_watch.hpp"
#include "subprocess.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;

namespace {

std::string fresh_nonce() {
    std::random_device device;
    return fmt::format("{:08x}{:08x}{:08x}{:08x}", device(), device(), device(), device());
}

std::optional<Progress> last_progress(const std::string& side, const std::string& nonce, const std::string& data_nonce) {
    std::optional<Progress> last;
    for (const auto& frame : parse_frames(side, nonce, data_nonce).accepted) {
        if (frame["type"] == "progress" && frame.contains("done") && frame["done"].is_number_integer() &&
            frame.contains("total") && frame["total"].is_number_integer()) {
            last = Progress{frame["done"].get<long long>(), frame["total"].get<long long>(), frame.value("what", "")};
        }
    }
    return last;
}

std::string last_step(const std::string& side, const std::string& nonce, const std::string& data_nonce) {
    std::string step;
    for (const auto& frame : parse_frames(side, nonce, data_nonce).accepted) {
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

// A mutex records its owner's thread id as the owner sees it: inside the sandbox's pid namespace
// that is not the id gdb (outside) reports. /proc/<pid>/task/*/status's NSpid maps one to the other.
void owners_to_host_tids(pid_t pid, std::vector<ThreadDump>& threads) {
    std::map<int, int> host_of;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "task", ec)) {
        std::istringstream status(read_file(task.path() / "status").value_or(""));
        for (std::string line; std::getline(status, line);) {
            if (line.rfind("NSpid:", 0) == 0) {
                std::istringstream ids(line.substr(6));
                std::vector<int> values;
                for (int id = 0; ids >> id;) {
                    values.push_back(id);
                }
                if (values.size() > 1) {
                    host_of[values.back()] = values.front();
                }
            }
        }
    }
    if (host_of.empty()) {
        return;
    }
    for (auto& thread : threads) {
        for (auto& frame : thread.frames) {
            if (frame.owner && *frame.owner != 0 && host_of.contains(*frame.owner)) {
                frame.owner = host_of[*frame.owner];
            }
        }
    }
}

// Threads of `pid` that are running or waiting for a CPU (state R), as opposed to blocked.
int runnable_threads(pid_t pid) {
    int count = 0;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "task", ec)) {
        const auto stat = read_file(task.path() / "stat").value_or("");
        const auto close = stat.rfind(')');
        if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'R') {
            ++count;
        }
    }
    return count;
}

struct Diagnosis {
    HangKind kind = HangKind::unknown;
    std::string text;
};

Diagnosis diagnose(pid_t pid, const std::string& side, const std::string& nonce, const std::string& data_nonce,
                   const TestRunRequest& request) {
    HangContext context;
    context.student_files = request.day->files;
    context.source_line = [&](const std::string& file, int line) {
        return student_source_line(request.workspace, file, line);
    };
    context.last_step = last_step(side, nonce, data_nonce);
    context.progress = last_progress(side, nonce, data_nonce);
    context.deadline_s = request.test->timeout_s > 0 ? request.test->timeout_s : request.day->limits.test_timeout_s;
    const auto before = process_cpu_ticks(pid);
    int runnable = 0;
    for (int sample = 0; sample < 6; ++sample) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        runnable += runnable_threads(pid) > 0 ? 1 : 0;
    }
    const auto after = process_cpu_ticks(pid);
    // 300 ms is 30 ticks of one busy core; a third of that is clearly more than idle waiting. On a
    // loaded machine a spinning thread may get less than that, but it is runnable whenever we look.
    context.busy = (before && after && *after - *before >= 10) || runnable >= 4;
    std::vector<ThreadDump> threads;
    if (fs::exists(request.gdb_script)) {
        // The test binary is the student's: gdb must not auto-load scripts it names (.debug_gdb_scripts).
        Command gdb{.argv = {"gdb", "-iex", "set auto-load off", "-p", std::to_string(pid), "-batch", "-nx", "-q", "-x",
                             request.gdb_script.string()},
                    .deadline = std::chrono::seconds(20),
                    .output_cap = 8 << 20};
        if (const auto dumped = run(gdb)) {
            threads = parse_thread_dump(dumped->output);
        }
    }
    owners_to_host_tids(pid, threads);
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
        const auto explained = explain_rapidcheck(message);
        // A RapidCheck failure's own location is RapidCheck's header: the explanation says more.
        text += file.empty() || explained != message ? explained
                                                     : fmt::format("{}:{}: {}", file, frame.value("line", 0), message);
        for (const auto& prefix : strip) {
            replace_all(text, prefix, "");
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

// The test may write only its logs and its TMPDIR; the grader then reads the logs, so anything
// there that is not a plain file of its own (a link to /etc/shadow, a FIFO) goes first.
void remove_strange_files(const fs::path& dir) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        struct stat info {};
        if (::lstat(entry.path().c_str(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_nlink > 1) {
            fs::remove_all(entry.path(), ec);
        }
    }
}

void empty_directory(const fs::path& dir) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        fs::remove_all(entry.path(), ec);
    }
}

// What a test may do (grader-design §5 defaults, per day in grading.yaml's limits).
Confinement test_confinement(const TestRunRequest& request, const fs::path& binary, std::chrono::seconds deadline) {
    const auto& limits = request.day->limits;
    const auto& ws = request.workspace;
    Confinement c;
    c.role = Confinement::Role::test;
    c.sanitizer = request.test->flavour != Flavour::release;
    c.memory_bytes = (c.sanitizer ? limits.sanitizer_memory_mb : limits.memory_mb) << 20;
    c.tasks = limits.threads + 8;  // the sanitizers' own helper threads
    c.cpu_seconds = 2 * deadline.count() + 5;  // a backstop: the wall deadline decides
    c.file_bytes = 64L << 20;
    c.disk_bytes = limits.disk_mb << 20;
    c.open_files = 4096;
    c.network = limits.network;
    c.read_files = {binary};
    c.read_dirs = {shim_library(request.runtime, Preload::cvdelay).parent_path()};
    c.write_dirs = {ws.logs()};
    c.private_tmp = ws.root / "tmp";
    return c;
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
    const std::string nonce = fresh_nonce();       // on verdict frames (start, end, done)
    const std::string data_nonce = fresh_nonce();  // on every other frame
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
    const auto binary = test_binary(ws, test.flavour);
    cmd.argv = {binary.string(), "--gtest_filter=" + test.name, "--gtest_color=no"};
    cmd.side_channel = true;
    cmd.deadline = std::chrono::seconds(test.timeout_s > 0 ? test.timeout_s : request.day->limits.test_timeout_s);
    cmd.output_cap = request.day->limits.output_bytes;
    cmd.limits.file_bytes = 64L << 20;
    cmd.confinement = test_confinement(request, binary, std::chrono::duration_cast<std::chrono::seconds>(cmd.deadline));
    cmd.cwd = cmd.confinement->private_tmp;
    {
        std::error_code ec;
        fs::create_directories(cmd.cwd, ec);  // also without a sandbox (--max-tier none)
    }
    empty_directory(cmd.confinement->private_tmp);
    // The nonces travel on a pipe (fd 4), never in the environment: /proc/self/environ keeps the
    // environment's original text even after the harness unsets a variable.
    cmd.secret_fd4 = "V" + nonce + "D" + data_nonce;
    cmd.unset_env = {"RC_PARAMS", "GTEST_FILTER", "GTEST_REPEAT", "GTEST_SHUFFLE", "LD_PRELOAD"};
    cmd.env = {
        {"CT_RESULT_FD", "3"},
        {"CT_NONCE_FD", "4"},
        {"CT_SEED", std::to_string(request.seed)},
        {"CT_RERUN", request.rerun_command},
        {"TSAN_OPTIONS", fmt::format("log_path={}.tsan:second_deadlock_stack=1:atexit_sleep_ms=50:halt_on_error=0:"
                                     "exitcode=66:history_size=4{}",
                                     log_prefix, test.tsan_options.empty() ? "" : ":" + test.tsan_options)},
        {"ASAN_OPTIONS", fmt::format("log_path={}.asan:detect_leaks=1:halt_on_error=1:"
                                     "detect_stack_use_after_return=1",
                                     log_prefix)},
        {"UBSAN_OPTIONS", fmt::format("log_path={}.ubsan:print_stacktrace=1:halt_on_error=1", log_prefix)},
    };
    if (test.preload != Preload::none) {
        cmd.env["LD_PRELOAD"] = shim_library(request.runtime, test.preload).string();
    }
    Diagnosis hang;
    StallWatch stall_watch;
    std::optional<Stall> stall;
    cmd.watch = [&](pid_t pid) {
        stall = stall_watch.observe(sample_tree(pid), std::chrono::steady_clock::now());
        return stall.has_value();
    };
    cmd.on_deadline = [&](pid_t pid, const std::string& side) {
        if (stall && stall->kind == StallKind::stopped) {
            return std::string();  // a stopped process is not waiting for anything: nothing to dump
        }
        hang = diagnose(pid, side, nonce, data_nonce, request);
        return hang.text;
    };

    auto completed = run(cmd);
    if (completed && test.flavour == Flavour::tsan && tsan_cannot_map(*completed, ws.logs(), id)) {
        // g++ 12's TSan dies at start-up when the kernel randomises more than 28 bits of mmap
        // addresses (playbook 2.7). Without address randomisation it works: retry so.
        cmd.disable_aslr = true;  // what `setarch -R` does, without a program in between
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
    remove_strange_files(ws.logs());
    empty_directory(cmd.confinement->private_tmp);
    const Frames frames = parse_frames(completed->side, nonce, data_nonce);
    auto strip = student_dir_spellings(ws);
    strip.push_back(request.hidden_dir);
    strip.push_back(request.public_dir);
    const auto reports = read_sanitizer_logs(ws.logs(), id, request.day->files, strip);

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

    const auto limit_mib = cmd.confinement->memory_bytes >> 20;
    if (completed->out_of_memory && completed->end != ProcessEnd::exited) {
        result.outcome = Outcome::crash;
        result.message = fmt::format(
            "The test used more than {} MiB of memory (the limit for {} tests) and was stopped. Look for a loop that "
            "allocates without end, or a container that is never cleared.\n{}",
            limit_mib, to_string(test.flavour), failures);
    } else if (completed->out_of_disk) {
        result.outcome = Outcome::crash;
        result.message = fmt::format("The test wrote more than {} MiB of files and was stopped.\n{}",
                                     request.day->limits.disk_mb, failures);
    } else if (completed->end == ProcessEnd::timed_out && reports.empty() && completed->stopped_early && stall &&
               stall->kind == StallKind::stopped) {
        result.outcome = Outcome::crash;
        result.message = fmt::format(
            "Every thread of the test was stopped (SIGSTOP, SIGTSTP or the like) and nothing in the test could "
            "continue it, so the grader ended it at once instead of waiting for its {} s deadline. Does the code "
            "raise a stop signal (raise(SIGSTOP), kill(getpid(), SIGSTOP))?\n{}",
            cmd.deadline.count() / 1000, failures);
    } else if (completed->end == ProcessEnd::timed_out && reports.empty()) {
        result.outcome = hang.kind == HangKind::deadlock || hang.kind == HangKind::stuck ? Outcome::deadlock
                                                                                         : Outcome::timeout;
        result.message =
            completed->stopped_early && stall
                ? fmt::format("The test could never have finished: for {} s every thread waited without a timeout "
                              "(a mutex, a condition variable, a join) and no thread used the CPU, so the grader "
                              "stopped it without waiting for its {} s deadline.\n{}",
                              stall_watch.quiet().count() / 1000, cmd.deadline.count() / 1000, completed->diagnosis)
                : fmt::format("The test did not finish within {} s.\n{}", cmd.deadline.count() / 1000,
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
            result.message += completed->stopped_early
                                  ? fmt::format("After that report the test hung (every thread blocked for good) and "
                                                "was stopped.\n{}",
                                                completed->diagnosis)
                                  : fmt::format("After that report the test hung and was stopped after {} s.\n{}",
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
    } else if (ended && passed && done && completed->ok() && completed->leftovers > 0) {
        result.outcome = Outcome::fail;
        result.message = fmt::format(
            "The test's checks passed, but {} process(es) it started were still running after it ended (a child "
            "never waited for, or a daemon started with setsid). Every process a test starts must end before it "
            "does; the grader stopped them.\n",
            completed->leftovers);
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
    if (completed->leftovers > 0 && result.outcome != Outcome::pass &&
        result.message.find("still running after it ended") == std::string::npos) {
        result.message += fmt::format("({} process(es) the test started were still running when it ended; the grader "
                                      "stopped them.)\n",
                                      completed->leftovers);
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

std::string explain_rapidcheck(const std::string& message) {
    static const std::string header = "Falsifiable after ";
    if (message.rfind(header, 0) != 0) {
        return message;
    }
    // Blocks separated by blank lines: the header, one "type:\nvalue" block per drawn value, the
    // failing macro ("file:line:\nRC_...(...)"), the message blocks, and "Log:\n..." at the end.
    std::vector<std::string> blocks;
    for (std::size_t at = 0; at < message.size();) {
        auto end = message.find("\n\n", at);
        if (end == std::string::npos) {
            end = message.size();
        }
        auto block = message.substr(at, end - at);
        while (!block.empty() && block.back() == '\n') {
            block.pop_back();
        }
        if (!block.empty()) {
            blocks.push_back(block);
        }
        at = end + 2;
    }
    static const std::regex location(R"(^\S+:\d+:\n)");
    std::string found = blocks.front();
    std::vector<std::string> values;
    std::string log;
    std::string words;
    bool after_macro = false;
    for (std::size_t i = 1; i < blocks.size(); ++i) {
        const auto& block = blocks[i];
        if (block.rfind("Log:\n", 0) == 0) {
            log = block.substr(5);
        } else if (!after_macro && std::regex_search(block, location) && block.find("\nRC_") != std::string::npos) {
            after_macro = true;  // the macro's source is not shown (a hidden test's would leak)
        } else if (!after_macro) {
            const auto colon = block.find(":\n");
            values.push_back(colon == std::string::npos ? block
                                                        : block.substr(0, colon) + " " + block.substr(colon + 2));
        } else {
            words += (words.empty() ? "" : "\n") + block;
        }
    }
    std::string out = words.empty() ? "A property of the test failed." : words;
    if (!log.empty()) {
        out += "\nCounterexample: " + log;
    } else if (!values.empty()) {
        std::string drawn;
        for (const auto& v : values) {
            drawn += (drawn.empty() ? "" : "; ") + v;
        }
        out += "\nCounterexample (the values the test drew, in order): " + drawn;
    }
    found[0] = 'f';
    out += "\n(RapidCheck: " + found + ")";
    return out;
}

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
