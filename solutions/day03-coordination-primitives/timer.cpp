#include "timer.hpp"

#include <stdexcept>
#include <utility>

namespace cc {

CancellableTimer::CancellableTimer(std::chrono::milliseconds delay, std::function<void()> fn)
    : m_delay(delay), m_fn(std::move(fn)) {}

void CancellableTimer::start() {
    std::scoped_lock lock(m_mutex);
    if (m_started) {
        throw std::logic_error("CancellableTimer::start() called twice");
    }
    m_started = true;
    if (m_state == State::cancelled) {
        return;  // cancelled before it was started: there is nothing left to run
    }
    m_state = State::waiting;
    m_thread = std::thread([this] { run(); });
}

void CancellableTimer::run() {
    std::unique_lock lock(m_mutex);
    // The wait is the cancellable part: wait_for on a condition variable, not sleep_for. cancel()
    // changes the state under the mutex and notifies, so this returns at once; a sleep could not
    // be interrupted, and cancel() plus the destructor would wait out the whole delay. The
    // predicate protects against spurious wakeups and against a cancel() that came before the
    // wait began.
    if (m_cv.wait_for(lock, m_delay, [this] { return m_state == State::cancelled; })) {
        return;
    }
    m_state = State::running;
    // fn() runs without the mutex: it may call cancel() on this very timer, and with the mutex
    // still held that call would wait for a lock its own thread holds, forever.
    lock.unlock();
    m_fn();
    lock.lock();
    m_state = State::finished;
}

bool CancellableTimer::cancel() {
    {
        std::scoped_lock lock(m_mutex);
        if (m_state != State::idle && m_state != State::waiting) {
            return false;  // running, finished, or already cancelled
        }
        m_state = State::cancelled;
    }
    m_cv.notify_all();
    return true;
}

CancellableTimer::~CancellableTimer() {
    cancel();
    // join, never detach: the thread uses this object (the mutex, the state, fn) until it ends,
    // and fn() may use objects that die right after this destructor returns.
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

}  // namespace cc
