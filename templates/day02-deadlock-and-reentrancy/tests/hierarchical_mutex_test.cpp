// Public tests for task 2: HierarchicalMutex.
#include <gtest/gtest.h>

#include <latch>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "ct/ct.hpp"
#include "hierarchical_mutex.hpp"

namespace {

TEST(HierarchicalMutexPublic, HighThenLowIsAllowed) {
    cc::HierarchicalMutex high(1000);
    cc::HierarchicalMutex low(500);
    ct::step("lock high (1000), then low (500)");
    EXPECT_NO_THROW({
        std::lock_guard hold_high(high);
        std::lock_guard hold_low(low);
    }) << "locking downwards (1000, then 500) is the allowed direction and must not throw";
}

TEST(HierarchicalMutexPublic, LowThenHighThrows) {
    cc::HierarchicalMutex high(1000);
    cc::HierarchicalMutex low(500);
    ct::step("lock low (500), then try high (1000): the second lock must throw, not block");
    std::lock_guard hold_low(low);
    bool threw = false;
    try {
        high.lock();
        high.unlock();
    } catch (const std::logic_error&) {
        threw = true;
    }
    EXPECT_TRUE(threw) << "a thread holding level 500 locked level 1000 and nothing was thrown. "
                          "Locking upwards is the order that can close a cycle with a thread "
                          "locking downwards; lock() must check the order and throw "
                          "std::logic_error before it blocks";
}

TEST(HierarchicalMutexPublic, TryLockFailsWhileAnotherThreadHolds) {
    cc::HierarchicalMutex mutex(100);
    std::latch held(1);
    std::latch release(1);
    bool owner_threw = false;
    std::jthread owner([&] {
        try {
            std::lock_guard hold(mutex);
            held.count_down();
            release.wait();
        } catch (const std::exception&) {
            owner_threw = true;
            held.count_down();
        }
    });
    ct::step("another thread holds the mutex; try_lock() must return false at once");
    held.wait();
    const bool got_while_held = mutex.try_lock();
    release.count_down();
    owner.join();
    ASSERT_FALSE(owner_threw) << "a thread holding no hierarchical mutex could not lock level 100: "
                                 "a fresh thread stands above every level";
    ASSERT_FALSE(got_while_held) << "try_lock() returned true while another thread held the mutex: "
                                    "try_lock must never wait and never share the mutex";
    ct::step("the owner has unlocked; try_lock() must now succeed");
    const bool got_when_free = mutex.try_lock();
    EXPECT_TRUE(got_when_free) << "try_lock() on a free mutex, with no other hierarchical mutex "
                                  "held by this thread, must succeed";
    if (got_when_free) {
        mutex.unlock();
    }
}

}  // namespace
