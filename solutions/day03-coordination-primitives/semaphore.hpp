// Task 2: counting semaphores (Python's threading.Semaphore and BoundedSemaphore).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace cc {

// A counter of permits. acquire() takes one, waiting while there are none; release(n) gives n
// back and lets up to n waiting threads continue. No fairness is promised: a thread that calls
// acquire() later may get a permit before one that has been waiting.
class Semaphore {
public:
    explicit Semaphore(int initial);  // initial < 0 -> std::invalid_argument
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;

    void acquire();
    bool try_acquire_for(std::chrono::milliseconds d);  // true if a permit was taken within d
    void release(int n = 1);  // n < 1 -> std::invalid_argument

protected:
    // For BoundedSemaphore: a release that would raise the count above `max` throws
    // std::logic_error and changes nothing.
    Semaphore(int initial, int max);

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    int m_count;      // guarded by m_mutex
    const int m_max;  // the largest count release() may reach
};

// A semaphore that catches releases without a matching acquire: the count may never go above
// its initial value.
class BoundedSemaphore : public Semaphore {
public:
    explicit BoundedSemaphore(int initial);
};

}  // namespace cc
