#include "event.hpp"

namespace cc {

void Event::set() {
    {
        // The write happens under the mutex, even though it is a single bool. A waiter checks the
        // flag and then goes to sleep, both while holding the mutex; taking the mutex here means
        // the write lands either before its check (it sees true) or after it is asleep (the notify
        // below wakes it), never in between, where the notify would reach nobody.
        std::scoped_lock lock(m_mutex);
        m_flag = true;
    }
    // Notifying after unlocking is fine (and saves the woken threads a trip back to sleep on the
    // mutex): the state change itself was made under the lock. notify_all, not notify_one: every
    // waiter must see the flag, not just one of them.
    m_cv.notify_all();
}

void Event::clear() {
    std::scoped_lock lock(m_mutex);
    m_flag = false;
}

bool Event::is_set() const {
    std::scoped_lock lock(m_mutex);
    return m_flag;
}

void Event::wait() {
    std::unique_lock lock(m_mutex);
    // The predicate form is `while (!m_flag) m_cv.wait(lock);`: it returns at once if the flag is
    // already set (no notify will ever come for a set() that already happened), and it goes back
    // to sleep after a wakeup that did not come from set() (a spurious wakeup).
    m_cv.wait(lock, [this] { return m_flag; });
}

bool Event::wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(m_mutex);
    // Returns the predicate's value at the end: true if set, false if d passed first. The deadline
    // is fixed on entry, so spurious wakeups do not extend the wait.
    return m_cv.wait_for(lock, d, [this] { return m_flag; });
}

}  // namespace cc
