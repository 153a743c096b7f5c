// Public tests for task 1 (Event). Run them with `grade day3`; the hidden tests go further.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "ct/ct.hpp"
#include "event.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

TEST(EventPublic, SetThenWaitReturns) {
    cc::Event event;
    EXPECT_FALSE(event.is_set()) << "a new Event must start cleared";
    event.set();
    EXPECT_TRUE(event.is_set()) << "is_set() must be true after set()";
    ct::step("wait() on an Event that is already set must return at once");
    event.wait();
    EXPECT_TRUE(event.wait_for(0ms)) << "wait_for(0ms) on a set Event must return true";
    event.clear();
    EXPECT_FALSE(event.is_set()) << "is_set() must be false after clear()";
}

TEST(EventPublic, WaitForTimesOutWhenNotSet) {
    cc::Event event;
    const auto start = Clock::now();
    const bool result = event.wait_for(50ms);
    const auto took = ms_since(start);
    EXPECT_FALSE(result) << "wait_for(50ms) on an Event nobody sets must return false";
    EXPECT_GE(took, 50) << "wait_for(50ms) returned after " << took
                        << " ms; it must wait the full 50 ms before giving up";
}

TEST(EventPublic, SetReleasesAWaitingThread) {
    cc::Event event;
    std::atomic<bool> returned{false};
    std::thread waiter([&] {
        event.wait();
        returned = true;
    });
    std::this_thread::sleep_for(50ms);  // usually enough for the waiter to be asleep in wait()
    EXPECT_FALSE(returned.load()) << "wait() returned although nobody had called set()";
    event.set();
    EXPECT_TRUE(ct::eventually([&] { return returned.load(); }, 5s))
        << "a thread waiting in wait() was still waiting 5 s after set(); set() must wake it";
    if (!returned.load()) {
        event.set();  // one more chance, so that the join below can finish
    }
    ct::step("the thread waiting in wait() must return after set()");
    waiter.join();
}

}  // namespace
