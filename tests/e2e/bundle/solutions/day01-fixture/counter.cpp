#include "counter.hpp"

namespace fx {

void Counter::add(long n) {
    std::lock_guard lock(m_);
    value_ += n;
}

long Counter::value() const {
    std::lock_guard lock(m_);
    return value_;
}

}  // namespace fx
