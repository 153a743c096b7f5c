#include "timer.hpp"

#include <stdexcept>
#include <utility>

namespace cc {

CancellableTimer::CancellableTimer(std::chrono::milliseconds delay, std::function<void()> fn) {
    // TODO(student): store delay and fn. Nothing starts yet.
    (void)delay;
    (void)fn;
}

void CancellableTimer::start() {
    // TODO(student): start the background thread. It waits for the delay in a way that cancel()
    // can interrupt, then calls fn() unless the timer was cancelled.
}

bool CancellableTimer::cancel() {
    // TODO(student): if fn() has not started and nobody cancelled yet, make sure it never runs,
    // wake the background thread, and return true.
    return false;
}

CancellableTimer::~CancellableTimer() {
    // TODO(student): cancel, then wait for the background thread to finish (never detach it).
}

}  // namespace cc
