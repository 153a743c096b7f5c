// The core harness's thread watching (ct::current_tid, ct::thread_state, ct::blocked_or_unknown),
// which hidden tests use to act only once a waiter has entered its wait.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "ct/ct.hpp"

namespace {

using namespace std::chrono_literals;

TEST(ThreadState, AWaiterIsSeenAsleepAndASpinnerAsRunning) {
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    std::atomic<pid_t> waiter_tid{0};
    std::thread waiter([&] {
        waiter_tid = ct::current_tid();
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return go; });
    });
    std::atomic<bool> stop{false};
    std::atomic<pid_t> spinner_tid{0};
    std::thread spinner([&] {
        spinner_tid = ct::current_tid();
        while (!stop.load()) {
        }
    });
    EXPECT_TRUE(ct::eventually([&] { return waiter_tid != 0 && ct::thread_state(waiter_tid) == 'S'; }, 30s));
    EXPECT_TRUE(ct::blocked_or_unknown(waiter_tid));
    ASSERT_TRUE(ct::eventually([&] { return spinner_tid != 0; }, 30s));
    // Preempted or not, a thread that never blocks is runnable: 'R'.
    EXPECT_EQ(ct::thread_state(spinner_tid), 'R');
    EXPECT_FALSE(ct::blocked_or_unknown(spinner_tid));
    EXPECT_NE(ct::current_tid(), waiter_tid.load());
    stop = true;
    {
        std::lock_guard lock(m);
        go = true;
    }
    cv.notify_one();
    waiter.join();
    spinner.join();
}

TEST(ThreadState, AThreadThatCannotBeSeenCountsAsBlocked) {
    EXPECT_EQ(ct::thread_state(0), 0);
    EXPECT_TRUE(ct::blocked_or_unknown(0));
    pid_t gone = 0;
    std::thread([&] { gone = ct::current_tid(); }).join();
    EXPECT_EQ(ct::thread_state(gone), 0);  // its /proc/self/task entry went with it
}

}  // namespace
