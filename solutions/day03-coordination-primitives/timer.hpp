// Task 4: a timer that can be cancelled while it waits (Python's threading.Timer).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace cc {

// Calls fn() once, on a background thread, `delay` after start(), unless cancel() comes first.
class CancellableTimer {
public:
    CancellableTimer(std::chrono::milliseconds delay, std::function<void()> fn);
    CancellableTimer(const CancellableTimer&) = delete;
    CancellableTimer& operator=(const CancellableTimer&) = delete;

    // Starts the countdown and returns at once. A second call throws std::logic_error. After
    // cancel() it starts nothing.
    void start();

    // Makes sure fn() will not run. Returns true if this call is what prevented it: fn() had not
    // started and the timer was not cancelled before. Returns false once fn() has started
    // (including from inside fn() itself) and when the timer was already cancelled. Returns
    // promptly: it never waits for the delay or for fn() to finish.
    bool cancel();

    // Cancels the timer if fn() has not started, and waits for the background thread to end
    // (for fn() to return, if it is running). fn() must not destroy its own timer.
    ~CancellableTimer();

private:
    void run();

    enum class State { idle, waiting, running, finished, cancelled };

    const std::chrono::milliseconds m_delay;
    std::function<void()> m_fn;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    State m_state = State::idle;  // guarded by m_mutex
    bool m_started = false;       // guarded by m_mutex
    std::thread m_thread;
};

}  // namespace cc
