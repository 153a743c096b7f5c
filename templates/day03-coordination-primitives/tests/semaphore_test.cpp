// Public tests for task 2 (Semaphore, BoundedSemaphore). Run them with `grade day3`; the hidden
// tests go further.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "ct/ct.hpp"
#include "semaphore.hpp"

namespace {

using namespace std::chrono_literals;

TEST(SemaphorePublic, PermitsAreCounted) {
    cc::Semaphore semaphore(2);
    EXPECT_TRUE(semaphore.try_acquire_for(0ms)) << "Semaphore(2): the first permit must be free";
    EXPECT_TRUE(semaphore.try_acquire_for(0ms)) << "Semaphore(2): the second permit must be free";
    EXPECT_FALSE(semaphore.try_acquire_for(10ms)) << "Semaphore(2): a third acquire must fail, both permits are taken";
    semaphore.release();
    EXPECT_TRUE(semaphore.try_acquire_for(0ms)) << "after release() one permit must be free again";
    EXPECT_THROW(cc::Semaphore(-1), std::invalid_argument) << "a negative initial count must be rejected";
    EXPECT_THROW(semaphore.release(0), std::invalid_argument) << "release(0) must be rejected";
}

TEST(SemaphorePublic, ReleaseLetsAWaiterIn) {
    cc::Semaphore semaphore(0);
    std::atomic<bool> acquired{false};
    std::thread waiter([&] {
        semaphore.acquire();
        acquired = true;
    });
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(acquired.load()) << "acquire() on Semaphore(0) returned although nobody released a permit";
    semaphore.release();
    EXPECT_TRUE(ct::eventually([&] { return acquired.load(); }, 5s))
        << "a thread waiting in acquire() was still waiting 5 s after release()";
    if (!acquired.load()) {
        semaphore.release();
    }
    ct::step("the thread waiting in acquire() must return after release()");
    waiter.join();
}

TEST(SemaphorePublic, BoundedRejectsOverRelease) {
    cc::BoundedSemaphore semaphore(1);
    EXPECT_THROW(semaphore.release(), std::logic_error)
        << "BoundedSemaphore(1) with its permit free: release() must throw std::logic_error";
    ct::step("acquire() on BoundedSemaphore(1) with its permit free must return");
    semaphore.acquire();
    EXPECT_NO_THROW(semaphore.release()) << "releasing an acquired permit is fine";
}

}  // namespace
