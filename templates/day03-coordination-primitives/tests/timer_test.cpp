// Public tests for task 4 (CancellableTimer). Run them with `grade day3`; the hidden tests go
// further.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "ct/ct.hpp"
#include "timer.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(CancellableTimerPublic, FiresAfterDelay) {
    struct Record {
        std::atomic<int> calls{0};
        std::atomic<Clock::rep> at{0};
    };
    auto record = std::make_shared<Record>();
    ct::step("constructing and starting a CancellableTimer must return");
    cc::CancellableTimer timer(50ms, [record] {
        record->at = Clock::now().time_since_epoch().count();
        ++record->calls;
    });
    const auto started = Clock::now();
    timer.start();
    ASSERT_TRUE(ct::eventually([&] { return record->calls.load() > 0; }, 5s))
        << "a timer with a 50 ms delay had not called fn 5 s after start()";
    const auto waited = Clock::time_point(Clock::duration(record->at.load())) - started;
    EXPECT_GE(waited, 50ms) << "fn ran " << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()
                            << " ms after start(); it must wait the whole delay (50 ms)";
    EXPECT_FALSE(timer.cancel()) << "cancel() after fn ran must return false: it prevented nothing";
    ct::step("~CancellableTimer() after fn ran must return");
}

TEST(CancellableTimerPublic, CancelBeforeExpiryPreventsCall) {
    auto calls = std::make_shared<std::atomic<int>>(0);
    {
        ct::step("constructing and starting a CancellableTimer must return");
        cc::CancellableTimer timer(300ms, [calls] { ++*calls; });
        timer.start();
        ct::step("cancel() must return promptly");
        EXPECT_TRUE(timer.cancel()) << "cancel() right after start() (delay 300 ms) must return true";
        std::this_thread::sleep_for(600ms);  // twice the delay: fn must not come
        EXPECT_EQ(calls->load(), 0) << "fn ran although cancel() was called before the delay was over";
        ct::step("~CancellableTimer() of a cancelled timer must return");
    }
    EXPECT_EQ(calls->load(), 0) << "fn ran although the timer had been cancelled";
}

}  // namespace
