#include "hierarchical_mutex.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace cc {

thread_local unsigned long HierarchicalMutex::t_level = std::numeric_limits<unsigned long>::max();

HierarchicalMutex::HierarchicalMutex(unsigned long level) : m_level(level) {}

void HierarchicalMutex::check_for_violation() const {
    if (t_level <= m_level) {
        throw std::logic_error("mutex hierarchy violated: locking level " + std::to_string(m_level) +
                               " while holding level " + std::to_string(t_level));
    }
}

void HierarchicalMutex::enter() {
    m_previous = t_level;
    t_level = m_level;
}

void HierarchicalMutex::lock() {
    check_for_violation();
    m_mutex.lock();
    enter();
}

void HierarchicalMutex::unlock() {
    if (t_level != m_level) {
        throw std::logic_error("mutex hierarchy violated: unlocking level " + std::to_string(m_level) +
                               " out of order");
    }
    t_level = m_previous;
    m_mutex.unlock();
}

bool HierarchicalMutex::try_lock() {
    check_for_violation();
    if (!m_mutex.try_lock()) {
        return false;
    }
    enter();
    return true;
}

}  // namespace cc
