#include "lifetime.hpp"

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <utility>

namespace cc {

Heartbeat::Heartbeat(std::chrono::milliseconds period, std::function<void()> beat) {
    // TODO(student): start a thread that calls beat() right away, then once every period, until
    // stop is requested. Its wait must end early when stop is requested (not sleep_for).
    (void)period;
    (void)beat;
}

Heartbeat::~Heartbeat() {
    // TODO(student): ask the thread to stop, and wait for it to finish (never detach it).
}

}  // namespace cc
