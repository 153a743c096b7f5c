// Misconceptions: "set() needs no lock, the flag is atomic and notify wakes the waiter anyway"
// (the write can land between a waiter's check and its sleep, and the notify reaches nobody: a
// lost wakeup), "a wait returns only after a notify, so wait() needs no predicate" (a set() that
// came first is never seen, and spurious wakeups return too early), "notify_one is enough,
// somebody will pass it on" (one set() must release every waiter), and "wait_for(d) may call
// cv.wait_for(lock, d) again after a wakeup that did not set the flag" (every such wakeup starts
// the whole timeout over, so a stream of them keeps wait_for(d) waiting for ever). Hidden tests
// for task 1.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ct/ct.hpp"
#include "event.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

constexpr long kRunning = -1;     // not blocked in a system call (or not started yet)
constexpr long kUnreadable = -2;  // /proc cannot tell

// The system call thread `tid` is blocked in (its number), kRunning or kUnreadable.
long blocked_in_syscall(pid_t tid) {
    if (tid == 0) {
        return kRunning;
    }
    std::ifstream file("/proc/self/task/" + std::to_string(tid) + "/syscall");
    std::string first;
    if (!(file >> first) || first.empty()) {
        return kUnreadable;
    }
    return first[0] >= '0' && first[0] <= '9' ? std::stol(first) : kRunning;
}

// True for the system calls a thread sleeping in nanosleep() shows (the cvdelay shim's pause).
bool is_sleep_call(long call) {
#ifdef SYS_nanosleep
    if (call == SYS_nanosleep) {
        return true;
    }
#endif
    return call == SYS_clock_nanosleep;
}

// Polls every 100 us (tighter than ct::eventually) until pred holds or `within` passes.
template <class Pred>
bool poll_until(Pred pred, std::chrono::milliseconds within) {
    const auto deadline = Clock::now() + within;
    while (!pred()) {
        if (Clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(100us);
    }
    return true;
}

TEST(EventHidden, SetBeforeWaitReturnsAtOnce) {
    cc::Event event;
    event.set();
    std::atomic<bool> returned{false};
    std::thread waiter([&] {
        event.wait();
        returned = true;
    });
    const bool ok = ct::eventually([&] { return returned.load(); }, 5s);
    if (!ok) {
        event.set();  // a notify for the stuck waiter, so that the test can end
    }
    ct::step("wait() on an Event that was set before the call must return");
    waiter.join();
    EXPECT_TRUE(ok) << "set() was called, and then wait() did not return within 5 s. A set() that "
                    << "happened before the wait will never be notified again: wait() must check the "
                    << "flag first and sleep only while it is false (cv.wait(lock, [&] { return flag; })), "
                    << "not sleep unconditionally until the next notify.";
}

// Eight threads are provably asleep inside wait() (all in state S per /proc) before the single
// set(); every one of them must come out.
TEST(EventHidden, OneSetReleasesEightWaiters) {
    constexpr int waiters = 8;
    cc::Event event;
    std::array<std::atomic<pid_t>, waiters> tids{};
    std::atomic<int> returned{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < waiters; ++i) {
        threads.emplace_back([&, i] {
            tids[static_cast<std::size_t>(i)] = ct::current_tid();
            event.wait();
            ++returned;
        });
    }
    const bool all_asleep = ct::eventually(
        [&] {
            for (const auto& tid : tids) {
                if (tid.load() == 0 || !ct::blocked_or_unknown(tid.load())) {
                    return false;
                }
            }
            return true;
        },
        5s);
    const int early = returned.load();
    event.set();
    const bool all_out = ct::eventually([&] { return returned.load() == waiters; }, 5s);
    const int out = returned.load();
    for (int i = 0; i < 10 * waiters && returned.load() < waiters; ++i) {
        event.set();  // extra notifies, only so that a failing test can still end
        std::this_thread::sleep_for(5ms);
    }
    ct::step("the eight threads waiting in wait() must all return after set()");
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(early, 0) << early << " of 8 wait() calls returned before set() was called";
    EXPECT_TRUE(all_out) << "one set() with " << waiters << " threads asleep in wait()"
                         << (all_asleep ? "" : " (probably)") << " released only " << out << " of them within 5 s. "
                         << "set() must wake every waiter: notify_all(), not notify_one() (notify_one wakes one "
                         << "thread, and nobody wakes the rest).";
}

TEST(EventHidden, WaitForTimesOutAndSeesLateSet) {
    cc::Event event;
    const auto start = Clock::now();
    const bool timed_out_result = event.wait_for(100ms);
    const auto took = ms_since(start);
    EXPECT_FALSE(timed_out_result) << "wait_for(100ms) on an Event nobody sets must return false";
    EXPECT_GE(took, 100) << "wait_for(100ms) returned false after only " << took << " ms; it must wait the full "
                         << "100 ms (a wakeup that is not a set() must not end the wait early)";

    std::thread setter([&] {
        std::this_thread::sleep_for(50ms);
        event.set();
    });
    const auto second = Clock::now();
    const bool result = event.wait_for(5s);
    const auto second_took = ms_since(second);
    setter.join();
    EXPECT_TRUE(result) << "wait_for(5s) must return true when another thread calls set() during the wait";
    EXPECT_LT(second_took, 4000) << "wait_for(5s) returned only after " << second_took << " ms although set() came "
                                 << "after about 50 ms: set() must wake threads waiting in wait_for() too";
}

// With the cvdelay shim every condition-variable wait first pauses 2 ms while still holding the
// mutex, and only then really waits. The test waits until the waiter is inside that pause (the
// thread is blocked in nanosleep according to /proc: it has checked the flag and not yet gone to
// sleep on the condition variable) and calls set() exactly then. A set() that takes the mutex
// waits for the pause to end and its notify finds the waiter asleep; a set() that writes the flag
// without the mutex notifies nobody, and the waiter sleeps on forever.
TEST(EventHidden, SetIsNeverLostUnderCvdelay) {
    constexpr int rounds = 100;
    int caught_in_gap = 0;
    for (int round = 0; round < rounds; ++round) {
        cc::Event event;
        std::atomic<pid_t> tid{0};
        std::atomic<bool> returned{false};
        std::thread waiter([&] {
            tid = ct::current_tid();
            event.wait();
            returned = true;
        });
        bool proc_readable = true;
        bool asleep_elsewhere = false;
        const bool in_gap = poll_until(
            [&] {
                const long call = blocked_in_syscall(tid.load());
                proc_readable = call != kUnreadable;
                // Blocked in any other system call (a futex): the waiter is past the gap already,
                // or waits on a primitive the shim does not see (std::atomic::wait, a semaphore).
                // Polling on would only cost such a design 200 ms per round.
                asleep_elsewhere = call >= 0 && !is_sleep_call(call);
                return returned.load() || !proc_readable || is_sleep_call(call) || asleep_elsewhere;
            },
            200ms);
        if (!proc_readable) {
            std::this_thread::sleep_for(1ms);  // no /proc here: aim at the 2 ms gap by time instead
        }
        caught_in_gap += in_gap && proc_readable && !asleep_elsewhere && !returned.load() ? 1 : 0;
        event.set();
        const bool ok = ct::eventually([&] { return returned.load(); }, 5s);
        if (!ok) {
            event.set();  // a second notify reaches the waiter, so that the test can end
        }
        ct::step("round " + std::to_string(round) + ": wait() must return after set()");
        waiter.join();
        ASSERT_TRUE(ok) << "round " << round << ": set() was called while the waiting thread was between "
                        << "checking the flag and going to sleep (the test holds it there for 2 ms), and "
                        << "wait() then slept for 5 s without noticing. That is a lost wakeup: set() changed "
                        << "the flag and notified without holding the mutex, so the notify came before the "
                        << "waiter was asleep. Making the flag std::atomic does not help; write it while "
                        << "holding the mutex the waiter holds when it checks (notify may come after unlocking).";
    }
    // Not a verdict, but shows in the log whether the rounds really hit the gap.
    std::printf("set() landed inside the waiter's check-to-sleep gap in %d of %d rounds\n", caught_in_gap, rounds);
}

// With the cvspur shim a quarter of all condition-variable waits return at once without a notify,
// which POSIX allows. wait() and wait_for() must treat such a return as "check again".
TEST(EventHidden, WaitIgnoresSpuriousWakeups) {
    constexpr int rounds = 40;
    for (int round = 0; round < rounds; ++round) {
        const bool timed = round % 2 == 1;
        cc::Event event;
        std::atomic<pid_t> tid{0};
        std::atomic<bool> returned{false};
        std::atomic<bool> result{false};
        std::thread waiter([&] {
            tid = ct::current_tid();
            if (timed) {
                result = event.wait_for(10s);
            } else {
                event.wait();
                result = true;
            }
            returned = true;
        });
        // Until the waiter is asleep for good (or has returned), then a little longer.
        ct::eventually([&] { return returned.load() || (tid.load() != 0 && ct::blocked_or_unknown(tid.load())); }, 5s);
        std::this_thread::sleep_for(10ms);
        const bool early = returned.load();
        event.set();
        ct::step("round " + std::to_string(round) + ": wait() must return after set()");
        waiter.join();
        const char* call = timed ? "wait_for(10s)" : "wait()";
        ASSERT_FALSE(early) << "round " << round << ": " << call << " returned (with " << std::boolalpha
                            << result.load() << ") before anybody called set(). A condition-variable wait may wake "
                            << "up without a notify (a spurious wakeup); the flag must be checked again after "
                            << "every wakeup: while (!flag) cv.wait(lock); or the predicate overloads "
                            << "cv.wait(lock, pred) and cv.wait_for(lock, d, pred).";
        ASSERT_TRUE(result.load()) << "round " << round << ": " << call << " returned false after set()";
    }
}

// ThreadSanitizer: every access to the flag must be ordered by the mutex (or be atomic). A plain
// bool read in is_set() or written in set()/clear() without the lock is a data race.
TEST(EventHidden, ConcurrentUseUnderTsan) {
    cc::Event event;
    const int ops = 2000 / ct::slowdown();
    std::atomic<int> sets_seen{0};
    ct::step("two threads set/clear and two threads wait_for/is_set concurrently; this must finish");
    ct::stress(4, 1, [&](int tid, int, ct::Rng& rng) {
        for (int i = 0; i < ops; ++i) {
            if (tid < 2) {
                if (rng.chance(0.5)) {
                    event.set();
                } else {
                    event.clear();
                }
            } else if (rng.chance(0.5)) {
                sets_seen += event.is_set() ? 1 : 0;
            } else {
                sets_seen += event.wait_for(std::chrono::milliseconds(rng.between(0, 1))) ? 1 : 0;
            }
        }
    });
    event.set();
    ct::step("wait() after the stress, with the flag set, must return");
    event.wait();
    EXPECT_TRUE(event.is_set());
}

// Puts the calling thread and the waiter `tid` on one CPU (the first this process may use) and
// lowers the waiter's priority to nice 10. A woken waiter of lower priority does not preempt the
// test's thread on their shared CPU, so it usually looks at the state only once the test's thread
// sleeps: the test's second call (clear() after set()) then comes first, whatever primitive the
// waiter sleeps on (usually, not always: the scheduler promises no order, so this test can miss a
// bug but never fails correct code). Without this the woken waiter often ran at once and found the first call's state
// (the restarted-timeout mutant escaped in 5 of 5 runs): correct behaviour, but it proves
// nothing. If either step fails the test proves less, but it never fails correct code. Returns
// whether both worked.
bool let_the_test_act_first(pid_t tid) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (tid == 0 || ::sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
        return false;
    }
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) {
        ++cpu;
    }
    if (cpu == CPU_SETSIZE) {
        return false;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    const bool pinned =
        ::sched_setaffinity(tid, sizeof one, &one) == 0 && ::sched_setaffinity(0, sizeof one, &one) == 0;
    return ::setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 10) == 0 && pinned;
}

// What a wait_for() call on another thread did: whether it returned, its result, how long it took.
struct TimedCall {
    std::atomic<bool> returned{false};
    std::atomic<bool> result{false};
    std::atomic<long long> took_ms{-1};
    std::atomic<pid_t> tid{0};
};

constexpr auto kTimeout = 300ms;
constexpr auto kTimeoutBound = 3s;  // 10x the timeout: one-sided, for a loaded machine

// With the cvwake shim every timed condition-variable wait wakes within about a millisecond as if
// notified, while the flag stays false. A wait_for() that fixes its deadline once still returns
// false after 300 ms (it only checks the flag more often); one that calls cv.wait_for(lock, d)
// again after each wakeup starts its 300 ms over every millisecond and never returns.
TEST(EventHidden, WaitForTimesOutUnderContinuousWakeups) {
    cc::Event event;
    TimedCall call;
    std::thread waiter([&] {
        const auto start = Clock::now();
        call.result = event.wait_for(kTimeout);
        call.took_ms = ms_since(start);
        call.returned = true;
    });
    const bool in_time = ct::eventually([&] { return call.returned.load(); }, kTimeoutBound);
    if (!in_time) {
        event.set();  // ends a wait that would otherwise never end, so that the test can
    }
    ct::step("wait_for(300ms) must return (the test called set() if it had not returned within 3 s)");
    waiter.join();
    ASSERT_TRUE(in_time) << "wait_for(300ms) on an Event nobody sets had not returned after 3 s, while its condition "
                         << "variable kept waking it up about once a millisecond without the flag being set (the "
                         << "test's cvwake shim; notifications meant for other threads and spurious wakeups do the "
                         << "same). It starts its whole timeout again after each wakeup. Compute the deadline once: "
                         << "cv.wait_for(lock, d, pred) does, or loop on cv.wait_until(lock, start + d).";
    EXPECT_FALSE(call.result.load()) << "wait_for(300ms) returned true, but nobody called set()";
    EXPECT_GE(call.took_ms.load(), 300) << "wait_for(300ms) returned after only " << call.took_ms.load() << " ms, "
                                        << "while wakeups that were not a set() came about once a millisecond: "
                                        << "such a wakeup must not end the wait. Check the flag after every wakeup "
                                        << "and go back to waiting until the deadline.";
}

// The same property for designs the shim cannot see (a wait on a std::atomic, a futex, a
// semaphore): the test's own thread wakes the waiter again and again with set() followed at once
// by clear(). A waiter that catches the flag set in between may return true; a wait_for(300ms)
// that is still waiting 3 s later has restarted its timeout after the wakeups. The pairs come
// every 100-250 ms (seeded), far more often than the 300 ms a restarted timeout would need to run out.
TEST(EventHidden, WaitForEndsWhileSetAndClearAlternate) {
    cc::Event event;
    TimedCall call;
    std::thread waiter([&] {
        call.tid = ct::current_tid();
        const auto start = Clock::now();
        call.result = event.wait_for(kTimeout);
        call.took_ms = ms_since(start);
        call.returned = true;
    });
    // Start the wakeups only once the waiter sleeps in wait_for().
    ct::eventually([&] { return call.tid.load() != 0 && ct::blocked_or_unknown(call.tid.load()); }, 2s);
    const bool pinned = let_the_test_act_first(call.tid.load());
    ct::Rng rng = ct::rng(1);
    int pairs = 0;
    const auto start = Clock::now();
    while (!call.returned.load() && Clock::now() - start < kTimeoutBound) {
        event.set();
        event.clear();
        ++pairs;
        std::this_thread::sleep_for(std::chrono::milliseconds(rng.between(100, 250)));
    }
    const bool in_time = call.returned.load();
    // With no more wakeups, even a wait that restarts its timeout ends 300 ms after the last one.
    ct::step("wait_for(300ms) must return once the test stops calling set() and clear()");
    waiter.join();
    // Not a verdict: shows in the log whether the test could force the order of the calls.
    std::printf("the waiter %s behind the test on its CPU; %d set()/clear() pairs\n", pinned ? "ran" : "could not be put", pairs);
    ASSERT_TRUE(in_time) << "wait_for(300ms) had not returned after 3 s, while another thread called set() and at "
                         << "once clear() every 100-250 ms (" << pairs << " times). Each of those wakes the waiter, "
                         << "and it finds the flag cleared again, which is fine; but then it waits a whole new 300 "
                         << "ms instead of the rest of the first 300 ms. Compute the deadline once, when wait_for() "
                         << "starts (cv.wait_for(lock, d, pred) does, or cv.wait_until(lock, start + d)).";
    if (!call.result.load()) {
        EXPECT_GE(call.took_ms.load(), 300)
            << "wait_for(300ms) returned false after only " << call.took_ms.load() << " ms: a wakeup after which the "
            << "flag is false again must not end the wait early";
    }
}

}  // namespace
