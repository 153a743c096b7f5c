// Forgets the lock in add(): lost updates and a data race.
#include "counter.hpp"
namespace fx {
void Counter::add(long n) { value_ += n; }
long Counter::value() const { std::lock_guard lock(m_); return value_; }
}  // namespace fx
