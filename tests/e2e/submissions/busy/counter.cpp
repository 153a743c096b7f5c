// Spins forever in add().
#include <atomic>
#include "counter.hpp"
namespace fx {
void Counter::add(long n) {
    std::atomic<long> spin{0};
    while (spin.load() >= 0) { spin.fetch_add(n == 0 ? 1 : 0); }
    value_ += n;
}
long Counter::value() const { std::lock_guard lock(m_); return value_; }
}  // namespace fx
