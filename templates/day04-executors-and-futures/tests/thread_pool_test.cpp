// Public tests for task 1 (ThreadPool). Run them with `grade day4`; the hidden tests go further.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ct/ct.hpp"
#include "thread_pool.hpp"

namespace {

using namespace std::chrono_literals;

TEST(ThreadPoolPublic, SubmitReturnsResults) {
    cc::ThreadPool pool(2);
    EXPECT_EQ(pool.worker_count(), 2u);
    ct::step("futures of tasks submitted to a 2-worker pool must become ready");
    auto sum = pool.submit([](int a, int b) { return a + b; }, 2, 3);
    auto text = pool.submit([](const std::string& s) { return s + "!"; }, std::string("hi"));
    // A move-only argument and a move-only callable are moved into the task.
    auto owned = pool.submit([](std::unique_ptr<int> p) { return *p * 2; }, std::make_unique<int>(21));
    auto captured = pool.submit([p = std::make_unique<int>(7)] { return *p; });
    std::atomic<bool> ran{false};
    std::future<void> nothing = pool.submit([&ran] { ran = true; });
    ASSERT_TRUE(sum.valid()) << "submit() returned a future without a shared state";
    EXPECT_EQ(sum.get(), 5);
    EXPECT_EQ(text.get(), "hi!");
    EXPECT_EQ(owned.get(), 42);
    EXPECT_EQ(captured.get(), 7);
    nothing.get();
    EXPECT_TRUE(ran.load()) << "the future of a void task became ready before the task ran";
}

TEST(ThreadPoolPublic, ExceptionReachesGet) {
    cc::ThreadPool pool(2);
    auto failing = pool.submit([]() -> int { throw std::runtime_error("boom"); });
    ct::step("the future of a task that throws must become ready");
    try {
        failing.get();
        FAIL() << "get() returned normally, but the task threw std::runtime_error(\"boom\")";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "boom") << "get() must rethrow the task's own exception";
    }
    // The worker that ran the throwing task is still there.
    EXPECT_EQ(pool.submit([] { return 1; }).get(), 1);
}

TEST(ThreadPoolPublic, ShutdownRunsQueuedTasksThenRejectsSubmit) {
    cc::ThreadPool pool(1);
    std::atomic<int> done{0};
    for (int i = 0; i < 20; ++i) {
        pool.submit([&done] {
            std::this_thread::sleep_for(1ms);
            ++done;
        });
    }
    ct::step("shutdown(true) with 20 queued tasks must return");
    pool.shutdown(true);
    EXPECT_EQ(done.load(), 20) << "shutdown(true) returned after " << done.load()
                               << " of the 20 submitted tasks had run; it must run every queued task first";
    EXPECT_THROW(pool.submit([] { return 0; }), std::runtime_error) << "submit() after shutdown() must throw";
}

}  // namespace
