// Locks the same std::mutex twice on one thread.
#include "counter.hpp"
namespace fx {
void Counter::add(long n) {
    std::lock_guard lock(m_);
    std::lock_guard again(m_);
    value_ += n;
}
long Counter::value() const { std::lock_guard lock(m_); return value_; }
}  // namespace fx
