// Task 1: an event flag that threads can wait for (Python's threading.Event).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace cc {

// A flag that starts cleared. wait() blocks until the flag is set; set() wakes every thread that
// is waiting. Any thread may call any member at any time.
class Event {
public:
    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    void set();                                  // sets the flag and wakes every waiter
    void clear();                                // clears the flag; later waits block again
    bool is_set() const;
    void wait();                                 // returns once the flag is set (at once if it is)
    bool wait_for(std::chrono::milliseconds d);  // like wait(), but gives up after d:
                                                 // true if the flag was set, false on timeout

private:
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_flag = false;  // guarded by m_mutex
};

}  // namespace cc
