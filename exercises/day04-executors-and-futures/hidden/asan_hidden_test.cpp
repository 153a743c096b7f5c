// Misconception: "a detached worker is fine, it ends by itself once the pool says stop" (it goes on
// using the pool's queue and mutex after the destructor has freed them). Hidden test for task 1
// under AddressSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "ct/ct.hpp"
#include "thread_pool.hpp"

namespace {

using namespace std::chrono_literals;

TEST(ThreadPoolHidden, WorkersNeverOutliveThePoolUnderAsan) {
    constexpr int tasks = 40;
    auto ran = std::make_shared<std::atomic<int>>(0);
    auto pool = std::make_unique<cc::ThreadPool>(2);
    for (int i = 0; i < tasks; ++i) {
        pool->submit([ran] {
            std::this_thread::sleep_for(2ms);
            ++*ran;
        });
    }
    ct::step("destroying a 2-worker pool with 40 queued tasks must return");
    pool.reset();
    const int at_return = ran->load();
    // A worker that outlived the pool would now go on taking tasks from the freed queue (and
    // AddressSanitizer would report a heap-use-after-free).
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(at_return, tasks) << "~ThreadPool() returned after " << at_return << " of the " << tasks
                                << " queued tasks had run: it must run them and join every worker";
    EXPECT_EQ(ran->load(), at_return) << ran->load() - at_return << " tasks ran after ~ThreadPool() had returned: the "
                                      << "workers outlived their pool. Join them in the destructor; never detach them.";
}

}  // namespace
