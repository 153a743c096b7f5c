// Task 2: a mutex that enforces a lock hierarchy (C++ Concurrency in Action, listing 3.8).
#pragma once

#include <mutex>

namespace cc {

// A mutex with a level. A thread may lock it only if the last hierarchical mutex the thread still
// holds has a strictly higher level (a thread holding none stands above every level). If every
// thread locks downwards, no two threads can wait for each other in a cycle, so a lock-order
// mistake becomes an immediate std::logic_error instead of a rare deadlock.
// Lockable: works with std::lock_guard and std::unique_lock. Unlock in the reverse order of locking.
class HierarchicalMutex {
public:
    explicit HierarchicalMutex(unsigned long level);

    void lock();      // throws std::logic_error (before blocking) if the order is violated
    void unlock();    // throws std::logic_error, changing nothing, unless this is the last one
                      // this thread locked and still holds
    bool try_lock();  // throws like lock(); otherwise false if another thread holds the mutex

private:
    // TODO(student): task 2. Add what you need to remember this thread's current level and the
    // level to go back to on unlock (README, task 2).
    std::mutex m_mutex;
    const unsigned long m_level;
};

}  // namespace cc
