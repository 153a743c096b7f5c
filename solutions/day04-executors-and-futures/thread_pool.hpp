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
    // Queues a type-erased job and wakes one worker, or throws if the pool is shut down.
    void enqueue(std::function<void()> job);
    // A worker's life: take the oldest job, run it outside the lock, repeat until shut down and empty.
    void work();

    const std::size_t m_count;
    std::mutex m_mutex;  // guards m_jobs and m_stopping
    std::condition_variable m_cv;
    std::deque<std::function<void()>> m_jobs;
    bool m_stopping = false;
    std::mutex m_join_mutex;  // two shutdown(true) calls must not join the same thread at once
    std::vector<std::thread> m_workers;
};

template <class F, class... A>
auto ThreadPool::submit(F&& f, A&&... a) -> std::future<std::invoke_result_t<F, A...>> {
    using R = std::invoke_result_t<F, A...>;
    // The packaged_task stores the call's result, or the exception it threw, in the future's shared
    // state. It is move-only and std::function wants a copyable callable: hence the shared_ptr.
    auto task = std::make_shared<std::packaged_task<R()>>(
        [f = std::forward<F>(f), ... a = std::forward<A>(a)]() mutable -> R {
            return std::invoke(std::move(f), std::move(a)...);
        });
    std::future<R> future = task->get_future();
    enqueue([task] { (*task)(); });
    return future;
}

}  // namespace cc
