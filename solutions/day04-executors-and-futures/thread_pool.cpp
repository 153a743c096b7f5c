#include "thread_pool.hpp"

namespace cc {

ThreadPool::ThreadPool(std::size_t n_workers) : m_count(n_workers) {
    if (n_workers == 0) {
        throw std::invalid_argument("ThreadPool needs at least one worker");
    }
    m_workers.reserve(n_workers);
    try {
        for (std::size_t i = 0; i < n_workers; ++i) {
            m_workers.emplace_back([this] { work(); });
        }
    } catch (...) {
        // A thread could not be started: end the ones that were, or their destructors terminate.
        shutdown(true);
        throw;
    }
}

ThreadPool::~ThreadPool() { shutdown(true); }

void ThreadPool::enqueue(std::function<void()> job) {
    {
        std::scoped_lock lock(m_mutex);
        // The check and the push are one critical section with shutdown()'s write: a job accepted
        // here is in the queue before any worker can see "stopping and empty" and leave.
        if (m_stopping) {
            throw std::runtime_error("ThreadPool::submit() after shutdown()");
        }
        m_jobs.push_back(std::move(job));
    }
    m_cv.notify_one();  // one job, one worker
}

void ThreadPool::work() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
            if (m_jobs.empty()) {
                return;  // stopping, and nothing is left to run
            }
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
        }
        // Outside the lock: while this job runs, the other workers take the next ones. The
        // packaged_task inside catches whatever the call throws, so job() itself never throws.
        job();
    }
}

void ThreadPool::shutdown(bool wait) {
    {
        std::scoped_lock lock(m_mutex);
        m_stopping = true;
    }
    // Every sleeping worker must wake up to see the flag: one notify_one() would leave the others
    // asleep forever, and the join below would wait for them.
    m_cv.notify_all();
    if (!wait) {
        return;
    }
    std::scoped_lock lock(m_join_mutex);
    for (auto& worker : m_workers) {
        if (worker.joinable()) {
            worker.join();
        }
    }
}

std::size_t ThreadPool::worker_count() const { return m_count; }

}  // namespace cc
