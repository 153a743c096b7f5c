#include "hierarchical_mutex.hpp"

#include <stdexcept>

namespace cc {

HierarchicalMutex::HierarchicalMutex(unsigned long level) : m_level(level) {}

void HierarchicalMutex::lock() {
    // TODO(student): throw std::logic_error unless m_level is below this thread's current level;
    // then lock and make m_level this thread's current level.
    m_mutex.lock();
}

void HierarchicalMutex::unlock() {
    // TODO(student): give this thread back the level it had before lock(), then unlock.
    m_mutex.unlock();
}

bool HierarchicalMutex::try_lock() {
    // TODO(student): the same order check as lock(); the level changes only if the lock succeeded.
    return m_mutex.try_lock();
}

}  // namespace cc
