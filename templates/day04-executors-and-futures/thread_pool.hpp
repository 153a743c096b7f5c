// Task 1: a fixed-size thread pool whose submit() returns a std::future (Python's
// concurrent.futures.ThreadPoolExecutor).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace cc {

// n worker threads that run submitted calls. Every member may be called from any thread, except
// that a task must not shut down (wait = true) or destroy the pool it runs on.
class ThreadPool {
public:
    // Starts n_workers threads. n_workers == 0 -> std::invalid_argument.
    explicit ThreadPool(std::size_t n_workers);
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    // shutdown(true): every task already submitted still runs, then the workers end.
    ~ThreadPool();

    // Queues the call f(a...) and returns a future for its result. f and a are copied or moved into
    // the task, as std::thread does (use std::ref to pass a reference). An exception thrown by the
    // call is stored in the future and rethrown by get(), with its type. After shutdown():
    // std::runtime_error, and nothing is queued.
    template <class F, class... A>
    auto submit(F&& f, A&&... a) -> std::future<std::invoke_result_t<F, A...>>;

    // Stops accepting tasks; the tasks already submitted still run. wait = true returns once they
    // have all run and every worker has ended; wait = false returns at once (the destructor waits).
    // Calling it again is harmless.
    void shutdown(bool wait = true);

    // The n_workers given to the constructor.
    std::size_t worker_count() const;

private:
    // TODO(student): the workers, a queue of jobs (std::function<void()> is a good element type),
    // a mutex and a condition variable, and a flag that says the pool is shutting down. A private
    // non-template helper that queues a job keeps most of the code in thread_pool.cpp.
};

template <class F, class... A>
auto ThreadPool::submit(F&& f, A&&... a) -> std::future<std::invoke_result_t<F, A...>> {
    // TODO(student): wrap the call in a std::packaged_task<R()> (R = std::invoke_result_t<F, A...>),
    // keep its future, queue a job that runs the task, and return the future. std::function needs a
    // copyable callable and a packaged_task is move-only: hold it in a std::shared_ptr.
    (void)f;
    ((void)a, ...);
    return {};
}

}  // namespace cc
