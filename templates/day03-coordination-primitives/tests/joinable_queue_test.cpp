// Public tests for task 5 (JoinableQueue). Run them with `grade day3`; the hidden tests go further.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "ct/ct.hpp"
#include "joinable_queue.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(JoinableQueuePublic, FifoOrder) {
    cc::JoinableQueue<int> queue;  // unbounded
    ct::step("1000 put() calls on an unbounded queue must return");
    for (int i = 0; i < 1000; ++i) {
        queue.put(i);
    }
    for (int i = 0; i < 1000; ++i) {
        const std::optional<int> item = queue.get(0ms);
        ASSERT_TRUE(item.has_value()) << "get() #" << i << " returned nothing, but " << 1000 - i << " items are queued";
        ASSERT_EQ(*item, i) << "get() must return the items in the order they were put";
    }
}

TEST(JoinableQueuePublic, GetTimesOutOnEmptyQueue) {
    cc::JoinableQueue<int> queue;
    const auto start = Clock::now();
    const std::optional<int> item = queue.get(50ms);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    EXPECT_FALSE(item.has_value()) << "get(50ms) on an empty queue must return std::nullopt";
    EXPECT_GE(took, 50) << "get(50ms) returned after " << took << " ms; it must wait the full 50 ms";
}

TEST(JoinableQueuePublic, JoinReturnsAfterEveryTaskDone) {
    cc::JoinableQueue<int> queue;
    std::atomic<int> processed{0};
    std::thread worker([&] {
        for (int i = 0; i < 3; ++i) {
            if (queue.get(5s).has_value()) {
                ++processed;
                queue.task_done();
            }
        }
    });
    for (int i = 0; i < 3; ++i) {
        queue.put(i);
    }
    ct::step("join() must return once the worker has called task_done() for all 3 items");
    queue.join();
    EXPECT_EQ(processed.load(), 3) << "join() returned before all 3 items were processed";
    worker.join();
}

}  // namespace
