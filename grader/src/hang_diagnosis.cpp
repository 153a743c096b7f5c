#include "hang_diagnosis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace grade {
namespace {

std::string base_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

bool is_background(const ThreadDump& thread) {
    return std::any_of(thread.frames.begin(), thread.frames.end(), [](const FrameInfo& f) {
        return contains(f.func, "__tsan::BackgroundThread") || contains(f.func, "BackgroundThread");
    });
}

struct Where {
    std::string text;  // "at bank.cpp:41: `code`" or "in the test at x_test.cpp:20" or "in foo()"
};

Where locate(const ThreadDump& thread, const HangContext& context) {
    for (const auto& frame : thread.frames) {
        const auto file = base_name(frame.file);
        if (std::find(context.student_files.begin(), context.student_files.end(), file) !=
            context.student_files.end()) {
            std::string text = fmt::format("at {}:{}", file, frame.line);
            if (context.source_line) {
                if (const auto source = context.source_line(file, frame.line)) {
                    text += fmt::format(": `{}`", *source);
                }
            }
            return {text};
        }
    }
    for (const auto& frame : thread.frames) {
        if (frame.file.ends_with("_test.cpp")) {
            return {fmt::format("in the test at {}:{}", base_name(frame.file), frame.line)};
        }
    }
    for (const auto& frame : thread.frames) {
        if (!frame.file.empty() && !contains(frame.file, "/usr/") && !contains(frame.file, "libsanitizer")) {
            return {fmt::format("in {} ({}:{})", frame.func, base_name(frame.file), frame.line)};
        }
    }
    return {thread.frames.empty() ? "somewhere without symbols" : "in " + thread.frames.front().func};
}

enum class Blocked { mutex, cond, join, sleep, futex, other };

struct State {
    Blocked blocked = Blocked::other;
    const FrameInfo* lock = nullptr;
};

State state_of(const ThreadDump& thread) {
    // The lock frame sits above futex frames on the same stack, so look for it first.
    for (const auto& frame : thread.frames) {
        if (frame.mutex) {
            return {Blocked::mutex, &frame};
        }
    }
    for (const auto& frame : thread.frames) {
        if (frame.cond) {
            return {Blocked::cond, nullptr};
        }
        if (contains(frame.func, "pthread_join") || contains(frame.func, "pthread_clockjoin") ||
            contains(frame.func, "thread::join")) {
            return {Blocked::join, nullptr};
        }
        if (contains(frame.func, "nanosleep")) {
            return {Blocked::sleep, nullptr};
        }
    }
    for (const auto& frame : thread.frames) {
        if (contains(frame.func, "futex") || contains(frame.func, "__atomic_wait") || contains(frame.func, "latch") ||
            contains(frame.func, "semaphore")) {
            return {Blocked::futex, nullptr};
        }
    }
    return {};
}

std::string label(const ThreadDump& thread) {
    return thread.number == 1 ? "thread 1 (main)" : fmt::format("thread {}", thread.number);
}

std::string mutex_name(const FrameInfo& lock) {
    return lock.symbol.empty() ? "a mutex" : fmt::format("mutex `{}`", lock.symbol);
}

}  // namespace

std::vector<ThreadDump> parse_thread_dump(const std::string& gdb_output) {
    std::vector<ThreadDump> threads;
    const auto at = gdb_output.find("CTDUMP ");
    if (at == std::string::npos) {
        return threads;
    }
    const auto end = gdb_output.find('\n', at);
    const auto json = nlohmann::json::parse(gdb_output.substr(at + 7, end == std::string::npos ? std::string::npos : end - at - 7),
                                            nullptr, false);
    if (!json.is_array()) {
        return threads;
    }
    for (const auto& t : json) {
        ThreadDump thread;
        thread.number = t.value("number", 0);
        thread.lwp = t.value("lwp", 0);
        thread.name = t.value("name", "");
        for (const auto& f : t.value("frames", nlohmann::json::array())) {
            FrameInfo frame;
            frame.func = f.value("func", "??");
            frame.file = f.value("file", "");
            frame.line = f.value("line", 0);
            if (f.contains("mutex")) {
                frame.mutex = f["mutex"].get<std::uint64_t>();
                frame.owner = f.value("owner", 0);
            }
            frame.symbol = f.value("symbol", "");
            frame.cond = f.value("cond", false);
            thread.frames.push_back(std::move(frame));
        }
        threads.push_back(std::move(thread));
    }
    std::sort(threads.begin(), threads.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
    return threads;
}

HangReport describe_hang(const std::vector<ThreadDump>& all, const HangContext& context) {
    HangReport report;
    std::vector<const ThreadDump*> threads;
    for (const auto& thread : all) {
        if (!is_background(thread)) {
            threads.push_back(&thread);
        }
    }
    std::map<int, const ThreadDump*> by_lwp;
    std::map<int, State> states;
    for (const auto* thread : threads) {
        by_lwp[thread->lwp] = thread;
        states[thread->lwp] = state_of(*thread);
    }
    const auto owner_of = [&](int lwp) -> int {
        const auto& state = states[lwp];
        return state.blocked == Blocked::mutex && state.lock->owner ? *state.lock->owner : 0;
    };

    // One line per thread: what it is doing and where.
    std::string lines;
    for (const auto* thread : threads) {
        const auto& state = states[thread->lwp];
        const auto where = locate(*thread, context).text;
        std::string doing;
        switch (state.blocked) {
            case Blocked::mutex: {
                const int owner = owner_of(thread->lwp);
                if (owner == thread->lwp) {
                    doing = fmt::format("waits for {} it already holds itself", mutex_name(*state.lock));
                } else if (by_lwp.contains(owner)) {
                    doing = fmt::format("waits for {} held by {}", mutex_name(*state.lock), label(*by_lwp[owner]));
                } else {
                    doing = fmt::format("waits for {}", mutex_name(*state.lock));
                }
                break;
            }
            case Blocked::cond:
                doing = "waits on a condition variable";
                break;
            case Blocked::join:
                doing = "waits for another thread to finish (join)";
                break;
            case Blocked::sleep:
                doing = "sleeps";
                break;
            case Blocked::futex:
                doing = "waits on a latch, semaphore or atomic wait";
                break;
            case Blocked::other:
                doing = context.busy ? "is running" : "is blocked";
                break;
        }
        lines += fmt::format("  {} {}, {}\n", label(*thread), doing, where);
    }

    // The wait-for graph over mutex owners: find a cycle (a self-loop counts).
    std::vector<int> cycle;
    for (const auto* thread : threads) {
        std::vector<int> path;
        std::set<int> seen;
        int at = thread->lwp;
        while (at != 0 && by_lwp.contains(at) && !seen.contains(at)) {
            seen.insert(at);
            path.push_back(at);
            at = owner_of(at);
        }
        if (at != 0 && seen.contains(at)) {
            cycle.assign(std::find(path.begin(), path.end(), at), path.end());
            break;
        }
    }

    const std::string step = context.last_step.empty() ? "" : fmt::format("While: {}\n", context.last_step);
    if (cycle.size() == 1) {
        report.kind = HangKind::deadlock;
        const auto& thread = *by_lwp[cycle.front()];
        report.text = fmt::format(
            "Deadlock: {} locks a mutex it already holds, {}.\n"
            "A std::mutex is not recursive: locking it twice on one thread waits forever. Check for the same "
            "object on both sides (a self-transfer locks one mutex twice), or for a public method that calls "
            "another public method taking the same lock (move the work into a *_locked helper).\n",
            label(thread), locate(thread, context).text);
    } else if (!cycle.empty()) {
        report.kind = HangKind::deadlock;
        report.text = "Deadlock: these threads wait for each other in a cycle, so none can ever continue:\n";
        for (const int lwp : cycle) {
            const auto& thread = *by_lwp[lwp];
            report.text += fmt::format("  {} waits for {} held by {}, {}\n", label(thread),
                                       mutex_name(*states[lwp].lock), label(*by_lwp[owner_of(lwp)]),
                                       locate(thread, context).text);
        }
        report.text +=
            "Each holds one lock and wants the next one's. Take the locks together (std::scoped_lock(a, b)) or "
            "always in one global order (by a unique id), so no cycle can form.\n";
    } else if (context.busy && context.progress && context.progress->done > 0 &&
               context.progress->done < context.progress->total) {
        // Evidence of progress: slow, not stuck. Never call it a livelock.
        report.kind = HangKind::busy;
        const auto& p = *context.progress;
        const double pace = static_cast<double>(p.done) / std::max(1, context.deadline_s);
        report.text = fmt::format(
            "Too slow: the work was moving, but {} of {} {} were done when the {} s deadline passed (at that pace "
            "all of them need about {:.0f} s). Each operation costs far more than the task allows: check the cost "
            "per operation the README states (a container that never grows, a scan where a lookup should be, a "
            "lock held around slow work). The stacks below show what the threads were doing.\n",
            p.done, p.total, p.what, context.deadline_s, static_cast<double>(p.total) / pace);
    } else if (context.busy) {
        report.kind = HangKind::busy;
        report.text =
            "Too slow or never finishing: the test missed its deadline while threads kept using the CPU. This is "
            "a livelock or an endless loop (a retry or spin that never succeeds), or work far slower than "
            "expected.\n";
    } else if (!threads.empty()) {
        report.kind = HangKind::stuck;
        const bool cond = std::any_of(threads.begin(), threads.end(),
                                      [&](const auto* t) { return states[t->lwp].blocked == Blocked::cond; });
        const bool sleeping = std::any_of(threads.begin(), threads.end(),
                                          [&](const auto* t) { return states[t->lwp].blocked == Blocked::sleep; });
        if (cond) {
            report.text =
                "Stuck: every thread is blocked and none will wake the others. A thread waits on a condition "
                "variable that nobody will notify: a lost notification (the flag was set or the notify sent "
                "before the wait began, or without holding the mutex), or a predicate that never becomes true.\n";
        } else if (sleeping) {
            report.text =
                "Stuck: no thread used the CPU and the test did not finish. A thread sleeps for longer than the "
                "test allows: a background loop that sleeps its whole period cannot notice a stop request "
                "(wait on a condition variable with a timeout instead).\n";
        } else {
            report.text =
                "Stuck: every thread is blocked and none will wake the others (no mutex cycle was found: look "
                "for a join that never returns, or a wait on something nobody signals).\n";
        }
    } else {
        report.kind = context.busy ? HangKind::busy : HangKind::unknown;
        report.text = context.busy ? "The test missed its deadline while using the CPU (no stacks could be read).\n"
                                   : "The test missed its deadline (no stacks could be read).\n";
    }
    report.text = step + report.text;
    if (threads.size() > 1) {
        report.text += "What every thread was doing:\n" + lines;
    }
    return report;
}

std::optional<long> process_cpu_ticks(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) {
        return std::nullopt;
    }
    // Fields after the command name, which is in parentheses and may contain spaces.
    const auto close = text.rfind(')');
    if (close == std::string::npos) {
        return std::nullopt;
    }
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    long utime = 0;
    long stime = 0;
    for (int i = 3; fields >> field; ++i) {
        if (i == 14) {
            utime = std::stol(field);
        } else if (i == 15) {
            stime = std::stol(field);
            return utime + stime;
        }
    }
    return std::nullopt;
}

}  // namespace grade
