// Public tests for task 3 (parallel_for, Heartbeat). Run them with `grade day1`; the hidden tests
// go further.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "ct/ct.hpp"
#include "lifetime.hpp"

namespace {

using namespace std::chrono_literals;

TEST(ParallelForPublic, EvenSplitCoversEveryIndex) {
    constexpr std::size_t n = 1000;
    std::vector<std::atomic<int>> visits(n);
    ct::step("parallel_for(4, 1000, f) must return");
    cc::parallel_for(4, n, [&](std::size_t i) { ++visits[i]; });
    for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(visits[i].load(), 1) << "parallel_for(4, 1000, f) called f(" << i << ") "
                                       << visits[i].load() << " times; every index exactly once.";
    }
}

TEST(HeartbeatPublic, BeatsRepeatedly) {
    auto beats = std::make_shared<std::atomic<int>>(0);
    ct::step("the Heartbeat constructor must return (beats belong on a background thread)");
    cc::Heartbeat heartbeat(5ms, [beats] { ++*beats; });
    EXPECT_TRUE(ct::eventually([&] { return beats->load() >= 3; }, 5s))
        << "a Heartbeat with a 5 ms period beat " << beats->load()
        << " times in 5 s; expected at least 3. Is the background thread started in the constructor?";
    ct::step("~Heartbeat() must return");
}

TEST(HeartbeatPublic, StopsWhenDestroyed) {
    auto beats = std::make_shared<std::atomic<int>>(0);
    {
        ct::step("the Heartbeat constructor must return (beats belong on a background thread)");
        cc::Heartbeat heartbeat(5ms, [beats] { ++*beats; });
        ASSERT_TRUE(ct::eventually([&] { return beats->load() >= 3; }, 5s))
            << "a Heartbeat with a 5 ms period beat " << beats->load() << " times in 5 s; expected at least 3.";
        ct::step("~Heartbeat() must return");
    }
    const int at_destruction = beats->load();
    std::this_thread::sleep_for(200ms);  // a window in which nothing may happen
    EXPECT_EQ(beats->load(), at_destruction)
        << "beat() was called " << beats->load() - at_destruction << " times after ~Heartbeat() "
        << "returned. The destructor must stop the thread and wait for it (join), not leave it running.";
}

}  // namespace
