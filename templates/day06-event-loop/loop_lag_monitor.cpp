#include "loop_lag_monitor.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <utility>

namespace cc {

LoopLagMonitor::LoopLagMonitor(asio::any_io_executor ex, std::chrono::milliseconds period,
                               std::chrono::milliseconds warn_threshold,
                               std::function<void(std::chrono::milliseconds lag)> on_warn) {
    // TODO(student): keep what the monitor needs (a steady_timer can be built from ex).
    (void)ex;
    (void)period;
    (void)warn_threshold;
    (void)on_warn;
}

void LoopLagMonitor::start() {
    // TODO(student): start a coroutine on the loop that, until stopped, arms the timer for one
    // period from now, waits for it, and measures how late it fired.
}

void LoopLagMonitor::stop() {
    // TODO(student): stop the coroutine, so that it leaves no work on the loop.
}

std::chrono::milliseconds LoopLagMonitor::max_lag() const {
    // TODO(student)
    return std::chrono::milliseconds(0);
}

}  // namespace cc
