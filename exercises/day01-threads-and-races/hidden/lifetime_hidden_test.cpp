// Misconceptions: "a background thread is like a Python daemon thread: detach it and forget it"
// (detach lets it run after its owner is gone), "sleep_for(period) is a fine way to wait"
// (nothing can wake it, so shutdown waits out the period), "a condition variable wakes only when
// notified or when the period is over" (spurious wakeups end the period early), "an atomic stop
// flag needs no mutex" (set between the waiter's check and its wait, its notify is lost), "a plain
// bool is enough to tell a thread to stop" (a data race), "parallel_for can drop the n % threads
// leftover items" or start each chunk one late, "the leftovers deserve a thread of their own", "the
// threads will finish on their own" (returning before they do), and "starting threads is the same
// as running them at the same time". Hidden tests for task 3.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "ct/ct.hpp"
#include "lifetime.hpp"

namespace {

using namespace std::chrono_literals;

// --- parallel_for ----------------------------------------------------------------------------

// Index ranges "3", "10-19", for messages: at most `limit` ranges, then "and N more".
std::string ranges_of(const std::vector<std::size_t>& sorted, std::size_t limit = 6) {
    std::string out;
    std::size_t shown = 0;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) {
            ++j;
        }
        if (shown == limit) {
            std::size_t rest = 0;
            for (std::size_t k = i; k < sorted.size(); ++k) {
                rest += k == 0 || sorted[k] != sorted[k - 1] + 1 ? 1 : 0;
            }
            return out + " and " + std::to_string(rest) + " more ranges";
        }
        out += (out.empty() ? "" : ", ") + std::to_string(sorted[i]);
        if (j > i) {
            out += "-" + std::to_string(sorted[j]);
        }
        ++shown;
        i = j + 1;
    }
    return out;
}

// What the missed indices look like, and only the causes that pattern supports. The remainder is
// named only when exactly the last n_items % n_threads indices are missing (and there are more
// items than threads): an even split by n_items / n_threads drops precisely those.
std::string explain_missing(std::size_t n_threads, std::size_t n_items, const std::vector<std::size_t>& missing) {
    const std::size_t count = missing.size();
    const bool contiguous = missing.back() - missing.front() + 1 == count;
    const bool is_tail = contiguous && missing.back() == n_items - 1;
    // n_items > n_threads: with fewer items than threads, an even split leaves no remainder to drop.
    if (is_tail && count == n_items % n_threads && n_items > n_threads) {
        return "Those are exactly the last n_items % n_threads = " + std::to_string(count) +
               " indices: the leftover items of an uneven split. With n_items / n_threads items per chunk "
               "they fall off the end; give them to some thread (for example one more item to each of the "
               "first n_items % n_threads chunks).";
    }
    if (count == 1) {
        return "Only that one index was missed (n_items % n_threads is " + std::to_string(n_items % n_threads) +
               ", so it is not the remainder of an even split): usually an off-by-one at a chunk boundary, such "
               "as a loop that starts at begin + 1 or stops before end.";
    }
    if (is_tail) {
        return "They are the last " + std::to_string(count) + " indices, more than the remainder of an even split "
               "(n_items % n_threads is " + std::to_string(n_items % n_threads) + "): usually the last chunk ends "
               "early, or its thread is never started.";
    }
    if (contiguous && missing.front() == 0) {
        return "They are the first " + std::to_string(count) + " indices: usually the first chunk is never run "
               "(a loop over the threads that starts at 1), or every range starts too late.";
    }
    bool singles = true;  // no two missed indices next to each other: one per chunk, as it were
    for (std::size_t k = 1; singles && k < count; ++k) {
        singles = missing[k] > missing[k - 1] + 1;
    }
    if (singles) {
        const std::size_t gap = (missing.back() - missing.front()) / (count - 1);
        return "They are " + std::to_string(count) + " single indices about " + std::to_string(gap) +
               " apart, the first at " + std::to_string(missing.front()) + ": one at every chunk boundary, as it "
               "were, which is usually an off-by-one in each chunk's loop bounds (a loop that starts at "
               "begin + 1 or stops before end, or chunk boundaries computed two different ways).";
    }
    return "Likely causes: chunk boundaries that leave gaps between chunks (the end of one chunk is not the "
           "start of the next), a chunk whose thread is never started, or threads that read the loop "
           "variables by reference after the loop has moved on ([&] capturing begin and end).";
}

RC_GTEST_PROP(ParallelForHidden, EveryIndexExactlyOnce, ()) {
    const auto n_items = *rc::gen::inRange<std::size_t>(0, 100001);
    const auto n_threads = *rc::gen::inRange<std::size_t>(1, 17);
    RC_LOG() << "n_threads = " << n_threads << ", n_items = " << n_items;
    auto visits = std::make_unique<std::atomic<int>[]>(n_items);
    std::atomic<std::size_t> out_of_range{0};
    std::atomic<std::size_t> first_out_of_range{SIZE_MAX};
    ct::step("parallel_for must return");
    cc::parallel_for(n_threads, n_items, [&](std::size_t i) {
        if (i < n_items) {
            ++visits[i];
        } else {
            ++out_of_range;
            std::size_t seen = first_out_of_range.load();
            while (i < seen && !first_out_of_range.compare_exchange_weak(seen, i)) {
            }
        }
    });
    std::vector<std::size_t> never;
    std::vector<std::size_t> twice;
    for (std::size_t i = 0; i < n_items; ++i) {
        const int v = visits[i].load();
        if (v == 0) {
            never.push_back(i);
        } else if (v > 1) {
            twice.push_back(i);
        }
    }
    const std::string call = "parallel_for(" + std::to_string(n_threads) + ", " + std::to_string(n_items) + ", f)";
    const std::string also_twice =
        twice.empty() ? ""
                      : " It also called f more than once for " + std::to_string(twice.size()) + " indices (" +
                            ranges_of(twice) + "), so some items went to two threads while others went to none.";
    const std::string also_out =
        out_of_range.load() == 0 ? ""
                                 : " It also called f " + std::to_string(out_of_range.load()) +
                                       " times with an index >= n_items (the smallest " +
                                       std::to_string(first_out_of_range.load()) + "): the ranges are shifted.";
    if (!never.empty()) {
        RC_FAIL(call + " never called f for " + std::to_string(never.size()) + " of the " + std::to_string(n_items) +
                " indices: " + ranges_of(never) + ". " + explain_missing(n_threads, n_items, never) + also_twice +
                also_out);
    }
    if (!twice.empty()) {
        RC_FAIL(call + " called f more than once for " + std::to_string(twice.size()) + " of the " +
                std::to_string(n_items) + " indices: " + ranges_of(twice) +
                ". Each index must go to exactly one thread: the chunks overlap (one chunk's end is past the "
                "next one's start), or two threads were given the same chunk." + also_out);
    }
    if (out_of_range.load() > 0) {
        RC_FAIL(call + " called f " + std::to_string(out_of_range.load()) + " times with an index >= n_items (the "
                "smallest " + std::to_string(first_out_of_range.load()) + "); the last chunk must end at n_items.");
    }
}

// A parallel_for that runs the items one after another (for example join() right after starting
// each thread) covers every index but is not parallel. f(0) and f(n-1) sit in different chunks
// for any sensible split, and here they must be running at the same time.
TEST(ParallelForHidden, ChunksRunAtTheSameTime) {
    constexpr std::size_t n = 100000;
    ct::Rendezvous rendezvous(2);
    std::atomic<int> met{0};
    ct::step("parallel_for(4, 100000, f) must return");
    cc::parallel_for(4, n, [&](std::size_t i) {
        if (i == 0 || i == n - 1) {
            if (rendezvous.arrive_and_wait_for(5s)) {
                ++met;
            }
        }
    });
    EXPECT_EQ(met.load(), 2)
        << "in parallel_for(4, 100000, f), f(0) and f(99999) each waited up to 5 s for the other "
        << "to be running at the same time, and they never were: the items ran one after another. "
        << "Typical causes: join() inside the loop that starts the threads (start them all, then "
        << "join them all), or doing all the work on the calling thread.";
}

// "Returns only after every call has returned": two calls (the first and the last index, so in
// different chunks for any split) take 100 ms, and parallel_for must not return before they end. A
// parallel_for that detach()es its threads, or joins only some of them, returns while they run.
TEST(ParallelForHidden, ReturnsOnlyAfterEveryCallReturned) {
    constexpr std::size_t n = 64;
    std::atomic<std::size_t> returned{0};
    // A named object, so that calls still running after parallel_for returned call something alive.
    const auto body = [&](std::size_t i) {
        if (i == 0 || i == n - 1) {
            std::this_thread::sleep_for(100ms);
        }
        ++returned;
    };
    ct::step("parallel_for(4, 64, f) must return");
    cc::parallel_for(4, n, body);
    const std::size_t at_return = returned.load();
    EXPECT_EQ(at_return, n) << "parallel_for(4, 64, f) returned when only " << at_return << " of the 64 calls of f "
                            << "had returned (f(0) and f(63) take 100 ms). It must wait for every call: join "
                            << "every thread it started (detach() leaves them running after it returns, using f "
                            << "and whatever f refers to).";
    // Calls still running use this test's locals: let them end before the locals go away.
    ct::eventually([&] { return returned.load() == n; }, 5s);
}

// "Spread over at most n_threads threads": f records the threads it runs on (the calling thread
// counts if it helps). n_items is never a multiple of n_threads here, so a parallel_for that gives
// the leftover items a thread of their own uses one too many. Thread ids of threads that have
// ended can be reused, which can only make the count smaller, never larger.
TEST(ParallelForHidden, UsesAtMostNThreads) {
    for (const std::size_t n_threads : {1u, 2u, 3u, 7u}) {
        const std::size_t n_items = 100 * n_threads + 1;
        std::mutex mutex;
        std::set<std::thread::id> ids;
        ct::step("parallel_for(" + std::to_string(n_threads) + ", " + std::to_string(n_items) + ", f) must return");
        cc::parallel_for(n_threads, n_items, [&](std::size_t) {
            std::scoped_lock lock(mutex);
            ids.insert(std::this_thread::get_id());
        });
        EXPECT_LE(ids.size(), n_threads)
            << "parallel_for(" << n_threads << ", " << n_items << ", f) called f on " << ids.size()
            << " different threads; at most n_threads = " << n_threads << " may share the work (the calling thread "
            << "counts if it does some). With n_items % n_threads = 1 left over, the usual cause is a thread of "
            << "its own for the leftover items: give them to the threads that are already there.";
        if (testing::Test::HasFailure()) {
            return;
        }
    }
}

// --- Heartbeat -------------------------------------------------------------------------------

TEST(HeartbeatHidden, DestructorReturnsPromptly) {
    struct State {
        std::atomic<int> beats{0};
        std::atomic<pid_t> tid{0};
    };
    auto state = std::make_shared<State>();
    ct::step("the Heartbeat constructor must return (beats belong on a background thread)");
    auto heartbeat = std::make_unique<cc::Heartbeat>(10s, [state] {
        state->tid = ct::current_tid();
        ++state->beats;
    });
    ASSERT_TRUE(ct::eventually([&] { return state->beats.load() >= 1; }, 5s))
        << "no beat within 5 s of constructing a Heartbeat with a 10 s period. beat() must be "
        << "called once right away, then once every period (README, task 3).";
    // Let the heartbeat thread reach its wait, so the destructor has to interrupt it.
    ct::eventually([&] { return ct::blocked_or_unknown(state->tid.load()); }, 2s);
    ct::step("~Heartbeat() with a 10 s period must return promptly");
    const auto start = std::chrono::steady_clock::now();
    heartbeat.reset();
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_LT(took, 1s) << "~Heartbeat() took "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                        << " ms with a 10 s period; it must return within 1 s. The thread slept "
                        << "through the stop request: a sleep_for(period) cannot be woken early. "
                        << "Wait with std::condition_variable_any::wait_for(lock, stop_token, "
                        << "period, pred) so that request_stop() wakes it at once.";
}

// Forces a beat to be in progress when the destructor runs: the third beat waits until the test
// is about to destroy the Heartbeat, then takes another 200 ms. A destructor that joins waits for
// it; one that detaches returns while it is still running.
struct SlowThirdBeat {
    std::atomic<int> started{0};
    std::atomic<int> finished{0};
    std::mutex mutex;
    std::condition_variable cv;
    bool slow_beat_running = false;  // guarded by mutex
    bool destroying = false;         // guarded by mutex

    // Runs on the heartbeat thread.
    void beat() {
        if (++started == 3) {
            std::unique_lock lock(mutex);
            slow_beat_running = true;
            cv.notify_all();
            cv.wait_for(lock, 5s, [this] { return destroying; });
            lock.unlock();
            std::this_thread::sleep_for(200ms);
        }
        ++finished;
    }

    // Runs on the test thread: waits for the slow beat to start, then announces the destruction.
    bool wait_for_slow_beat_then_announce() {
        std::unique_lock lock(mutex);
        if (!cv.wait_for(lock, 5s, [this] { return slow_beat_running; })) {
            return false;
        }
        destroying = true;
        cv.notify_all();
        return true;
    }
};

TEST(HeartbeatHidden, NoBeatAfterDestructorReturns) {
    auto probe = std::make_shared<SlowThirdBeat>();
    ct::step("the Heartbeat constructor must return (beats belong on a background thread)");
    auto heartbeat = std::make_unique<cc::Heartbeat>(1ms, [probe] { probe->beat(); });
    ASSERT_TRUE(probe->wait_for_slow_beat_then_announce())
        << "a Heartbeat with a 1 ms period did not reach its third beat within 5 s ("
        << probe->started.load() << " beats).";
    ct::step("~Heartbeat() must return (a beat is in progress)");
    heartbeat.reset();
    const int started = probe->started.load();
    const int finished = probe->finished.load();
    EXPECT_EQ(started, finished)
        << "~Heartbeat() returned while beat() was still running (" << started << " beats started, "
        << finished << " finished). The destructor must wait for the thread to end (join); "
        << "detach() leaves it running, touching whatever beat() uses after its owner is gone.";
    std::this_thread::sleep_for(300ms);  // a window in which nothing may happen
    EXPECT_EQ(probe->started.load(), started)
        << "beat() was called " << probe->started.load() - started << " more times after "
        << "~Heartbeat() had returned. Once the destructor returns the thread must be gone.";
}

// The ASan flavour. The beat callback works on its owner's state, as real callbacks do; the owner
// is a heap object whose Heartbeat is its last member (so it is destroyed first). If the destructor
// detaches instead of joining, the running beat writes into the freed owner, and AddressSanitizer
// reports a heap-use-after-free.
struct Owner {
    explicit Owner(std::shared_ptr<SlowThirdBeat> p)
        : probe(std::move(p)), heartbeat(1ms, [this] { on_beat(); }) {}

    void on_beat() {
        history.push_back(probe->started.load());  // owner state, before...
        probe->beat();
        history.push_back(-1);                     // ...and after the (possibly slow) beat
    }

    std::shared_ptr<SlowThirdBeat> probe;
    std::vector<int> history;  // only the heartbeat thread touches it while the owner lives
    cc::Heartbeat heartbeat;
};

TEST(HeartbeatHidden, BeatNeverOutlivesItsOwner) {
    auto probe = std::make_shared<SlowThirdBeat>();
    ct::step("the Heartbeat constructor must return (beats belong on a background thread)");
    auto owner = std::make_unique<Owner>(probe);
    ASSERT_TRUE(probe->wait_for_slow_beat_then_announce())
        << "a Heartbeat with a 1 ms period did not reach its third beat within 5 s ("
        << probe->started.load() << " beats).";
    ct::step("destroying an object that owns a Heartbeat must return");
    owner.reset();
    const bool beat_done = probe->started.load() == probe->finished.load();
    // If a detached thread is still running, it writes into the freed owner within ~200 ms, and
    // AddressSanitizer stops the test with a heap-use-after-free report pointing at on_beat().
    std::this_thread::sleep_for(400ms);
    EXPECT_TRUE(beat_done) << "the owner was destroyed while its Heartbeat's beat() was still "
                           << "running: the destructor returned without waiting for the thread "
                           << "(detach?). beat() then used the freed owner.";
}

// The TSan flavour. A stop flag that is a plain bool, written by the destructor and read by the
// thread without a lock, is a data race, and TSan reports it even when the program seems to work.
// std::jthread's stop_token (or a std::atomic<bool>, or the flag under the mutex) is race-free.
TEST(HeartbeatHidden, StopRequestIsSynchronised) {
    for (int round = 1; round <= 5; ++round) {
        auto beats = std::make_shared<std::atomic<int>>(0);
        ct::step("the Heartbeat constructor must return (beats belong on a background thread)");
        cc::Heartbeat heartbeat(1ms, [beats] { ++*beats; });
        ASSERT_TRUE(ct::eventually([&] { return beats->load() >= 3; }, 5s))
            << "round " << round << ": a Heartbeat with a 1 ms period beat only " << beats->load()
            << " times in 5 s.";
        ct::step("~Heartbeat() must return");
    }
}

// C++ has no daemon threads: destroying a std::thread that was neither joined nor detached calls
// std::terminate. Runs in a child process (a death test) so that a crash can be explained.
TEST(HeartbeatHidden, DestructionNeverCallsTerminate) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    ct::step("creating and destroying a Heartbeat in a child process must finish");
    EXPECT_EXIT(
        {
            auto beats = std::make_shared<std::atomic<int>>(0);
            {
                cc::Heartbeat heartbeat(1ms, [beats] { ++*beats; });
                ct::eventually([&] { return beats->load() >= 2; }, 5s);
            }
            std::_Exit(beats->load() >= 2 ? 0 : 3);
        },
        testing::ExitedWithCode(0), "")
        << "creating a Heartbeat, waiting for two beats and destroying it did not end normally. "
        << "'Terminated by signal 6' with 'terminate called without an active exception' means "
        << "a std::thread was destroyed while still joinable: its owner never called join(). "
        << "Exit code 3 means fewer than 2 beats came within 5 s.";
}

// "Once every period", with a condition variable that wakes early. The cvwake shim (grading.yaml:
// preload) makes every timed condition-variable wait return within 1 ms as if notified, which
// POSIX allows (a spurious wakeup, or a notify meant for someone else). A wait that treats every
// wakeup as the end of the period then beats about every millisecond; a wait with a deadline
// computed once (wait_until, or wait_for with a predicate) still beats once per period. Correct
// code can only be later than the bound below, never earlier, so load cannot fail it.
TEST(HeartbeatHidden, BeatsNoMoreOftenThanThePeriod) {
    constexpr auto period = 100ms;
    auto beats = std::make_shared<std::atomic<int>>(0);
    const auto start = std::chrono::steady_clock::now();
    ct::step("the Heartbeat constructor must return (beats belong on a background thread)");
    auto heartbeat = std::make_unique<cc::Heartbeat>(period, [beats] { ++*beats; });
    std::this_thread::sleep_for(550ms);
    const int seen = beats->load();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ct::step("~Heartbeat() must return");
    heartbeat.reset();
    // One beat right away, then at most one per full period; one more for rounding.
    const auto allowed = 2 + static_cast<int>(elapsed / period);
    EXPECT_LE(seen, allowed)
        << "a Heartbeat with a 100 ms period beat " << seen << " times in "
        << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms; once right away and "
        << "once per period allows at most " << allowed << ". This test makes every timed condition-variable "
        << "wait wake up early, as a spurious wakeup may: the thread took such a wakeup for the end of the "
        << "period. A wakeup that is not a stop request must not end the period: wait with a predicate "
        << "(wait_for(lock, stop_token, period, pred) keeps waiting until the deadline it computed once), or "
        << "wait_until a deadline in a loop.";
}

// "~Heartbeat() returns promptly" whatever the thread is doing when it is called: right after the
// constructor, right after a beat (the thread is on its way to the wait), and once the thread is
// asleep (here, most likely inside the 2 ms pause the cvdelay shim adds to every condition-variable
// wait before it really waits: the gap between "checked the stop flag" and "waiting"). A stop flag
// set without holding the wait's mutex can land in that gap; its notify then wakes nobody and the
// thread sleeps the whole period. Half of the rounds destroy the Heartbeat on another thread.
TEST(HeartbeatHidden, DestructorReturnsPromptlyAtAnyMoment) {
    constexpr auto period = 3s;
    struct Probe {
        std::atomic<int> beats{0};
        std::atomic<pid_t> tid{0};
    };
    static const char* const moments[] = {"right after the constructor returned",
                                          "right after the first beat returned",
                                          "once the heartbeat thread was asleep after its first beat"};
    for (int round = 0; round < 12; ++round) {
        const int moment = round % 3;
        const bool other_thread = round >= 6;
        auto probe = std::make_shared<Probe>();
        ct::step("the Heartbeat constructor must return (beats belong on a background thread)");
        auto heartbeat = std::make_unique<cc::Heartbeat>(period, [probe] {
            probe->tid = ct::current_tid();
            ++probe->beats;
        });
        // Busy-waits (a yield, not a sleep), so the test acts within microseconds of the moment.
        const auto until = [](const std::function<bool()>& pred) {
            const auto give_up = std::chrono::steady_clock::now() + 5s;
            while (!pred() && std::chrono::steady_clock::now() < give_up) {
                std::this_thread::yield();
            }
            return pred();
        };
        if (moment >= 1) {
            ASSERT_TRUE(until([&] { return probe->beats.load() >= 1; }))
                << "no beat within 5 s of constructing a Heartbeat with a 3 s period; beat() must be called "
                << "once right away.";
        }
        if (moment == 2) {
            until([&] { return probe->beats.load() > 1 || ct::blocked_or_unknown(probe->tid.load()); });
        }
        ct::step(std::string("~Heartbeat() with a 3 s period, called ") + moments[moment] +
                 (other_thread ? " on another thread" : "") + ", must return");
        std::chrono::steady_clock::duration took{};
        const auto destroy = [&] {
            const auto start = std::chrono::steady_clock::now();
            heartbeat.reset();
            took = std::chrono::steady_clock::now() - start;
        };
        if (other_thread) {
            std::jthread(destroy).join();
        } else {
            destroy();
        }
        ASSERT_LT(took, 1s) << "~Heartbeat() with a 3 s period took "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                            << " ms when called " << moments[moment] << (other_thread ? " on another thread" : "")
                            << " (round " << round + 1 << " of 12); it must return within 1 s whatever the "
                            << "thread is doing. The stop request did not end the thread's wait, so it slept "
                            << "the period out. This test pauses every condition-variable wait for 2 ms before "
                            << "it really starts: a stop flag set in that gap without holding the wait's mutex "
                            << "is checked too early and notified too early (a lost wakeup). Set the flag while "
                            << "holding that mutex, or use std::stop_token with "
                            << "condition_variable_any::wait_for(lock, stop_token, period, pred); a wait that "
                            << "nothing can interrupt (sleep_for) fails the same way.";
    }
}

}  // namespace
