// Per-handler accounting of an Asio event loop: which handler blocked the loop, for how long,
// where in the code under test, and how (asleep, waiting for another thread, computing).
//
// Why: a coroutine that calls std::this_thread::sleep_for, spins on the clock or waits on a
// std::future freezes every other coroutine on its loop, and nothing fails; the program is just
// slow. Python's asyncio debug mode reports such "slow callbacks"; this is the same for Asio,
// built on its handler tracking hook (ct/asio_tracking.hpp, compiled into every Asio day).
//
// What is measured, for every handler invocation (each resumption of a coroutine is one), on the
// thread that runs it: wall time, thread CPU time (CLOCK_THREAD_CPUTIME_ID) and voluntary and
// involuntary context switches (getrusage(RUSAGE_THREAD)). While a HandlerWatch exists, a sampler
// thread also looks at every handler that has run longer than 60 % of the threshold: it reads the
// system call the thread is in (/proc/self/task/<tid>/syscall) and interrupts the thread with a
// signal whose handler records the call stack. The stack is symbolised (libbacktrace) only when a
// report is asked for, and the innermost frame outside system headers and the harness names the
// place: that is the student's line that blocked, not just the handler that contained it.
//
// Verdict rule (playbook 4.2): a handler blocked the loop when its wall time reached the
// threshold AND it either did a voluntary context switch (it slept or waited in the kernel) or
// used CPU for at least 5 % of the threshold (correct handlers use microseconds; a spinning one
// gets less than its wall time when other processes share the core). A handler that was merely
// preempted by other processes (long wall time, almost no CPU, no voluntary switch) is not the
// code's fault and is never reported, which keeps the verdict independent of machine load.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ct {

struct HandlerInfo {
    // How the handler spent its time, decided from the numbers below.
    enum class Kind {
        fast,       // below the threshold
        preempted,  // long, but neither waiting nor computing: other processes had the CPU
        sleep,      // asleep in nanosleep/clock_nanosleep (std::this_thread::sleep_for)
        wait,       // waiting in futex: std::future::get, a mutex, a condition variable, join
        io,         // a blocking read/write/poll/accept/connect/...
        blocked,    // waited in the kernel, in a call not sampled or not recognised
        cpu,        // computing or spinning: on the CPU whenever it could be, no voluntary switch
    };

    Kind kind = Kind::fast;
    double wall_ms = 0;
    double cpu_ms = 0;
    long voluntary_switches = 0;
    long involuntary_switches = 0;
    std::string operation;    // what completed: "async_wait on a timer", "post to an io_context", ...
    bool sampled = false;     // a stack sample was taken while it ran
    std::string syscall;      // the system call the thread was in when sampled, "" if none/unknown
    std::string function;     // innermost function outside system headers and the harness, "" if unknown
    std::string file;         // its file (base name) and line
    int line = 0;
    std::string callee;       // the library function it was calling, e.g. "std::this_thread::sleep_for"
    std::vector<std::string> stack;  // the symbolised sample, innermost first (for debugging)
};

// At most one at a time. Resets the accounting when constructed; reports what happened since.
class HandlerWatch {
public:
    explicit HandlerWatch(std::chrono::milliseconds threshold = std::chrono::milliseconds(100));
    ~HandlerWatch();
    HandlerWatch(const HandlerWatch&) = delete;
    HandlerWatch& operator=(const HandlerWatch&) = delete;

    // Outermost handler invocations finished since construction (nested ones are part of them).
    std::uint64_t handlers() const;
    // The longest invocation by wall time (kind fast if nothing reached the threshold).
    HandlerInfo worst() const;
    // The invocations that blocked the loop for at least the threshold, in the order they ended.
    std::vector<HandlerInfo> blocking() const;
    // "" when nothing blocked the loop; otherwise words for a failure message: how many
    // invocations blocked, and the longest one described by describe().
    std::string report() const;

    std::chrono::milliseconds threshold() const { return m_threshold; }

    // "the event loop was blocked for 412 ms inside `cc::worker` (freezer.cpp:23), in
    // std::this_thread::sleep_for: a blocking sleep in a coroutine (...numbers...). <advice>"
    static std::string describe(const HandlerInfo& info);

private:
    std::chrono::milliseconds m_threshold;
};

}  // namespace ct
