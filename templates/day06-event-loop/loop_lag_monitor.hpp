// Task 2: a loop-lag monitor, the heartbeat that tells you the loop was blocked.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>

namespace cc {

// Every `period`, a timer on the loop fires; the lag is how late it fired (actual - scheduled).
// A lag of `warn_threshold` or more calls on_warn(lag) on the loop. The next firing is due one
// period after the previous one fired, so one long block is one late firing, one warning.
// Use it from the loop's thread (or while the loop is not running); destroy it only after stop()
// and after the loop has stopped running it.
class LoopLagMonitor {
public:
    LoopLagMonitor(asio::any_io_executor ex, std::chrono::milliseconds period,
                   std::chrono::milliseconds warn_threshold,
                   std::function<void(std::chrono::milliseconds lag)> on_warn);

    void start();
    // After stop() the monitor leaves no work on the loop: io.run() can return.
    void stop();
    // The largest lag measured so far (0 before the first firing).
    std::chrono::milliseconds max_lag() const;

private:
    // TODO(student): what the monitor needs: a timer, the settings, a running flag, the largest
    // lag so far. You may add private member functions (a member coroutine, for instance).
};

}  // namespace cc
