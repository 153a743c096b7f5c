// The concurrency-test harness: what every day's public and hidden tests link.
//
// Why it exists: concurrency bugs hide from ordinary unit tests. A test that starts threads one
// after another rarely sees them overlap, and a failure that cannot be reproduced teaches nothing.
// So every randomised decision here derives from one printed seed, racing threads start together
// behind a gate, and verdicts leave the process through a side channel the grader reads (never
// through stdout, which student code can write to).
//
// The test binary's own `main` (ct_main.cpp) wires GoogleTest to the side channel; tests only use
// the helpers below.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

#include <sys/types.h>

namespace ct {

// --- build flavour -------------------------------------------------------------------------------

enum class Build { release, tsan, asan };

constexpr Build build() {
#if defined(__SANITIZE_THREAD__)
    return Build::tsan;
#elif defined(__SANITIZE_ADDRESS__)
    return Build::asan;
#else
    return Build::release;
#endif
}

// Sanitizers slow mutex-heavy code 20-40x (playbook 2.4): divide iteration counts by this.
constexpr int slowdown() { return build() == Build::release ? 1 : 10; }

// --- seeds and randomness ------------------------------------------------------------------------

// The run's seed: CT_SEED from the grader (or the person rerunning), else a fixed default so a
// test binary run by hand is reproducible too.
std::uint64_t seed();

// splitmix64: tiny, fast, and good enough for jitter and operation mixes. Each logical thread gets
// its own stream derived from (seed, stream index), never from a thread id or an address.
class Rng {
public:
    explicit Rng(std::uint64_t seed, std::uint64_t stream = 0);
    std::uint64_t next();
    // Uniform in [lo, hi], inclusive.
    std::uint64_t between(std::uint64_t lo, std::uint64_t hi);
    bool chance(double p);

private:
    std::uint64_t m_state;
};

Rng rng(std::uint64_t stream = 0);

// --- starting threads together -------------------------------------------------------------------

// Busy-waits a seeded 0..max_us microseconds: moves a thread's first action off the gate by a
// random, reproducible amount (a sleep would hand the CPU away and serialise the threads).
void jitter(Rng& rng, int max_us);

// Runs `actor(tid, round, rng)` on `threads` fresh threads per round. In each round the threads
// wait at a std::latch start gate, then apply seeded jitter, then act, so they really overlap
// (0/50 -> 30-66 % TSan detection in the playbook's measurement). `check(round)` runs on the
// calling thread after every round, with all actors joined.
void stress(int threads, int rounds, const std::function<void(int tid, int round, Rng& rng)>& actor,
            const std::function<void(int round)>& check = {}, int jitter_us = 20);

// --- telling the grader what is going on ---------------------------------------------------------

// Names the step the test is in. If the test then hangs, the grader shows this text next to the
// stuck threads ("while: transfer(a, a, 10) must return"), so the student knows what never finished.
void step(std::string_view what);

// Tells the grader how far the test's work got: `done` of `total` `what` ("insertions"). Cheap to
// call often and from any thread (a frame goes out at most every 200 ms, and when done == total).
// If the test then misses its deadline, the grader says the code was slow but moving ("12000 of
// 200000 insertions done in 30 s") instead of calling it stuck or a livelock.
void progress(std::size_t done, std::size_t total, std::string_view what);

// Polls `pred` until it is true or `within` has passed; returns whether it became true. Costs
// nothing when the condition holds early, so `within` can be generous (one-sided timing).
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds within);

// --- watching threads ----------------------------------------------------------------------------

// The calling thread's kernel id (what /proc/self/task lists).
pid_t current_tid();

// The scheduler state of thread `tid` of this process ('R' running, 'S' asleep, 'D' in an
// uninterruptible wait, ...), or 0 when /proc cannot tell (no /proc, the thread is gone).
char thread_state(pid_t tid);

// True once thread `tid` is asleep (S or D), or when that cannot be known. Tests use it to decide
// *when* to act (the waiter has entered its wait), never as a verdict.
bool blocked_or_unknown(pid_t tid);

// A latch whose wait gives up after a deadline instead of hanging the test: the rendezvous proofs
// (two threads must be inside a critical region at once) turn "never met" into a clean failure.
class Rendezvous {
public:
    explicit Rendezvous(int parties);
    // Arrives and waits for the others; false if they did not all arrive within `limit`.
    bool arrive_and_wait_for(std::chrono::milliseconds limit);

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    int m_waiting;
};

}  // namespace ct
