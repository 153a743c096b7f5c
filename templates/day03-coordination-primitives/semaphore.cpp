#include "semaphore.hpp"

#include <limits>
#include <stdexcept>

namespace cc {

Semaphore::Semaphore(int initial) : Semaphore(initial, std::numeric_limits<int>::max()) {}

Semaphore::Semaphore(int initial, int max) {
    // TODO(student): reject a negative initial count, store the count and the maximum.
    (void)initial;
    (void)max;
}

void Semaphore::acquire() {
    // TODO(student): wait until the count is positive, then take one permit. Being woken up does
    // not mean a permit is still there.
}

bool Semaphore::try_acquire_for(std::chrono::milliseconds d) {
    // TODO(student): like acquire(), but give up after d (and then take nothing).
    (void)d;
    return false;
}

void Semaphore::release(int n) {
    // TODO(student): check n and the maximum, add n permits, and wake enough waiters to use them.
    (void)n;
}

BoundedSemaphore::BoundedSemaphore(int initial) : Semaphore(initial, initial) {}

}  // namespace cc
