// Public tests for task 3 (AsCompleted). Run them with `grade day4`; the hidden tests go further.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <vector>

#include "as_completed.hpp"
#include "ct/ct.hpp"
#include "thread_pool.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(AsCompletedPublic, ReturnsEveryFutureOnce) {
    cc::ThreadPool pool(2);
    std::vector<std::future<int>> futures;
    for (int i = 0; i < 5; ++i) {
        futures.push_back(pool.submit([i] { return 10 * i; }));
    }
    cc::AsCompleted<int> completed(std::move(futures), 10s);
    std::set<std::size_t> seen;
    ct::step("next() on 5 futures of short tasks must return");
    for (int k = 0; k < 5; ++k) {
        auto item = completed.next();
        ASSERT_TRUE(item.has_value()) << "next() #" << k << " returned std::nullopt, but only " << k
                                      << " of the 5 futures were returned so far";
        auto& [index, future] = *item;
        ASSERT_LT(index, 5u) << "next() returned index " << index << " for 5 futures";
        EXPECT_TRUE(seen.insert(index).second) << "next() returned future " << index << " twice";
        EXPECT_EQ(future.get(), 10 * static_cast<int>(index)) << "future " << index << " holds another task's value";
    }
    EXPECT_FALSE(completed.next().has_value()) << "next() after all 5 futures were returned must be std::nullopt";
}

TEST(AsCompletedPublic, TimesOutOnAPendingFuture) {
    std::promise<int> never;
    std::vector<std::future<int>> futures;
    futures.push_back(never.get_future());
    const auto start = Clock::now();
    cc::AsCompleted<int> completed(std::move(futures), 100ms);
    ct::step("next() on a future that never completes must throw TimeoutError after 100 ms");
    EXPECT_THROW(completed.next(), cc::TimeoutError);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    EXPECT_GE(took, 100) << "TimeoutError came after " << took << " ms, before the 100 ms timeout";
}

}  // namespace
