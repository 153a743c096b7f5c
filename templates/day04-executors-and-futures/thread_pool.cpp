#include "thread_pool.hpp"

namespace cc {

ThreadPool::ThreadPool(std::size_t n_workers) {
    // TODO(student): reject 0, then start n_workers threads that each take the oldest job off the
    // queue and run it, again and again, until the pool shuts down and the queue is empty.
    (void)n_workers;
}

ThreadPool::~ThreadPool() {
    // TODO(student): the same as shutdown(true).
}

void ThreadPool::shutdown(bool wait) {
    // TODO(student): stop accepting tasks, wake every worker, and with wait = true join them all.
    (void)wait;
}

std::size_t ThreadPool::worker_count() const {
    // TODO(student)
    return 0;
}

}  // namespace cc
