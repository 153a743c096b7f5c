// Misconceptions: "a background thread is like a Python daemon thread: detach it and forget it"
// (detach lets it run after its owner is gone), "sleep_for(period) is a fine way to wait"
// (nothing can wake it, so shutdown waits out the period), "a plain bool is enough to tell a
// thread to stop" (a data race), "parallel_for can drop the n % threads leftover items", and
// "starting threads is the same as running them at the same time". Hidden tests for task 3.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ct/ct.hpp"
#include "lifetime.hpp"

namespace {

using namespace std::chrono_literals;

// --- parallel_for ----------------------------------------------------------------------------

RC_GTEST_PROP(ParallelForHidden, EveryIndexExactlyOnce, ()) {
    const auto n_items = *rc::gen::inRange<std::size_t>(0, 100001);
    const auto n_threads = *rc::gen::inRange<std::size_t>(1, 17);
    auto visits = std::make_unique<std::atomic<int>[]>(n_items);
    std::atomic<std::size_t> out_of_range{0};
    ct::step("parallel_for must return");
    cc::parallel_for(n_threads, n_items, [&](std::size_t i) {
        if (i < n_items) {
            ++visits[i];
        } else {
            ++out_of_range;
        }
    });
    std::size_t never = 0;
    std::size_t twice = 0;
    std::size_t first_never = 0;
    std::size_t first_twice = 0;
    for (std::size_t i = 0; i < n_items; ++i) {
        const int v = visits[i].load();
        if (v == 0 && never++ == 0) {
            first_never = i;
        }
        if (v > 1 && twice++ == 0) {
            first_twice = i;
        }
    }
    const std::string call = "parallel_for(" + std::to_string(n_threads) + ", " +
                             std::to_string(n_items) + ", f): ";
    if (never > 0) {
        RC_FAIL(call + "f was never called for " + std::to_string(never) + " of the " +
                std::to_string(n_items) + " indices (the first is " + std::to_string(first_never) +
                "). When n_items % n_threads != 0 (here " +
                std::to_string(n_items % n_threads) + ") the leftover items still need a thread; "
                "with n_items / n_threads items per chunk they fall off the end.");
    }
    if (twice > 0) {
        RC_FAIL(call + "f was called more than once for " + std::to_string(twice) + " of the " +
                std::to_string(n_items) + " indices (the first is " + std::to_string(first_twice) +
                "): the chunks overlap.");
    }
    if (out_of_range.load() > 0) {
        RC_FAIL(call + "f was called " + std::to_string(out_of_range.load()) +
                " times with an index >= n_items.");
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

}  // namespace
