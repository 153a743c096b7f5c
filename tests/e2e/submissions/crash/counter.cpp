// Dereferences a null pointer when adding.
#include "counter.hpp"
namespace fx {
void Counter::add(long n) {
    volatile long* p = nullptr;
    if (n != 0) { *p = n; }
    value_ += n;
}
long Counter::value() const { std::lock_guard lock(m_); return value_; }
}  // namespace fx
