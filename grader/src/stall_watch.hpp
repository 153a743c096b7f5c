// While a test runs: has it stopped for good? Then the grader ends it at once instead of waiting for
// its deadline (20-30 s, and a whole batch pays that for every such test).
//
// Two states are final, read from /proc for every thread of the test's process tree:
//   stopped  every thread is stopped (state T: SIGSTOP, SIGTSTP, ...): nothing in the test can
//            continue it;
//   blocked  every thread sleeps in a wait that only another thread of the tree can end (an untimed
//            futex wait: a mutex, a condition variable, a join; or waiting for a child process), no
//            POSIX timer exists that could start a thread or send a signal, and no CPU time was
//            used, for a whole quiet window (3 s).
// Anything else (a timed wait, a sleep, poll or read, a runnable thread, an unreadable /proc entry)
// means the test may still finish, and the deadline decides as before. Load cannot fake either
// state: a preempted thread is runnable, not sleeping.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

namespace grade {

// One look at a test's process tree.
struct TreeSample {
    int threads = 0;           // threads of live (non-zombie) processes
    int stopped = 0;           // in state T or t
    int blocked_for_good = 0;  // in an untimed futex wait, wait4 or waitid
    bool timers = false;       // some process has a POSIX timer (it could wake a thread)
    long cpu_ticks = 0;        // user + system, all processes
};

// `pid` and every process descended from it.
TreeSample sample_tree(pid_t pid);

// Reads /proc/<pid>/task/<tid>/syscall's line: true for a sleep only another thread can end (see
// above). Exposed for tests.
bool untimed_block(const std::string& syscall_line);

enum class StallKind { stopped, blocked };

struct Stall {
    StallKind kind;
    std::chrono::milliseconds quiet{0};  // how long it was seen so
};

// Fed a sample about twice a second; says when the test has stopped for good.
class StallWatch {
public:
    explicit StallWatch(std::chrono::milliseconds quiet = std::chrono::seconds(3)) : m_quiet(quiet) {}
    std::optional<Stall> observe(const TreeSample& sample, std::chrono::steady_clock::time_point at);
    std::chrono::milliseconds quiet() const { return m_quiet; }

private:
    std::chrono::milliseconds m_quiet;
    std::optional<std::chrono::steady_clock::time_point> m_blocked_since;
    long m_blocked_ticks = 0;
    int m_stopped_in_a_row = 0;
};

}  // namespace grade
