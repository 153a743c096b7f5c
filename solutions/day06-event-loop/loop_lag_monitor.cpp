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
                               std::function<void(std::chrono::milliseconds lag)> on_warn)
    : m_timer(std::move(ex)), m_period(period), m_warn_threshold(warn_threshold), m_on_warn(std::move(on_warn)) {}

void LoopLagMonitor::start() {
    m_running = true;
    // run() is a member coroutine: `this` is one of its parameters, copied into its frame.
    asio::co_spawn(m_timer.get_executor(), run(), asio::detached);
}

void LoopLagMonitor::stop() {
    m_running = false;
    m_timer.cancel();  // the pending wait completes at once with operation_aborted
}

std::chrono::milliseconds LoopLagMonitor::max_lag() const { return m_max_lag; }

asio::awaitable<void> LoopLagMonitor::run() {
    // The flag is checked before the timer is armed: stop() may come before the loop ever ran this
    // coroutine (start(); stop(); io.run()), or from on_warn, when no wait is pending for cancel()
    // to end. Arming the timer anyway would keep io.run() busy for a whole period.
    while (m_running) {
        const auto due = std::chrono::steady_clock::now() + m_period;
        m_timer.expires_at(due);
        // as_tuple turns the error into a value (Asio 1.22 spells it experimental::as_tuple);
        // plain use_awaitable would throw system_error(operation_aborted) when stop() cancels.
        auto [ec] = co_await m_timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !m_running) {
            co_return;  // stopped: returning leaves nothing on the loop, so io.run() can return
        }
        // A timer never fires early; whatever it fired late is time the loop could not run it.
        const auto lag =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - due);
        m_max_lag = std::max(m_max_lag, lag);
        if (lag >= m_warn_threshold) {
            m_on_warn(lag);
        }
    }
}

}  // namespace cc
