#include "semaphore.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace cc {

namespace {

int checked_initial(int initial) {
    if (initial < 0) {
        throw std::invalid_argument("Semaphore: initial count " + std::to_string(initial) + " is negative");
    }
    return initial;
}

}  // namespace

Semaphore::Semaphore(int initial) : Semaphore(initial, std::numeric_limits<int>::max()) {}

Semaphore::Semaphore(int initial, int max) : m_count(checked_initial(initial)), m_max(max) {}

void Semaphore::acquire() {
    std::unique_lock lock(m_mutex);
    // `while`, not `if`: being woken does not mean a permit is still there. Another thread may
    // have taken it first (it called acquire() just as release() ran), or the wakeup may be
    // spurious. The predicate overload is that while loop.
    m_cv.wait(lock, [this] { return m_count > 0; });
    --m_count;
}

bool Semaphore::try_acquire_for(std::chrono::milliseconds d) {
    std::unique_lock lock(m_mutex);
    if (!m_cv.wait_for(lock, d, [this] { return m_count > 0; })) {
        return false;  // timed out: no permit taken
    }
    --m_count;
    return true;
}

void Semaphore::release(int n) {
    if (n < 1) {
        throw std::invalid_argument("Semaphore::release(" + std::to_string(n) + "): n must be at least 1");
    }
    {
        std::scoped_lock lock(m_mutex);
        // The bound check and the increment are one critical section: checking first and adding
        // later would let two releases both pass the check.
        if (m_count > m_max - n) {  // count + n > max, written so that it cannot overflow
            throw std::logic_error("Semaphore::release(" + std::to_string(n) + ") would raise the count from " +
                                   std::to_string(m_count) + " above its maximum " + std::to_string(m_max));
        }
        m_count += n;
    }
    // n permits can satisfy n waiters: notify_one would wake only one of them, and the others
    // would sleep on although permits are free.
    if (n == 1) {
        m_cv.notify_one();
    } else {
        m_cv.notify_all();
    }
}

BoundedSemaphore::BoundedSemaphore(int initial) : Semaphore(initial, initial) {}

}  // namespace cc
