#include "gate.hpp"

namespace fx {

void Gate::open() {
    {
        std::lock_guard lock(m_);
        open_ = true;
    }
    cv_.notify_all();
}

void Gate::wait() {
    std::unique_lock lock(m_);
    while (!open_) {
        cv_.wait(lock);
    }
}

}  // namespace fx
