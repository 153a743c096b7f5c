#include "poller.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <utility>

namespace cc {

Poller::Poller(asio::any_io_executor ex, std::function<asio::awaitable<int>()> source,
               std::chrono::milliseconds interval)
    : m_source(std::move(source)), m_interval(interval), m_timer(std::move(ex)) {}

void Poller::start() {
    m_running = true;
    // co_spawn gets the lambda object itself and keeps it alive until its coroutine has finished.
    // Writing [this]() -> asio::awaitable<void> {...}() instead would call it here and hand over
    // only the coroutine, whose captures live in the temporary lambda, dead at the end of this
    // statement.
    asio::co_spawn(
        m_timer.get_executor(),
        [this]() -> asio::awaitable<void> {
            auto due = std::chrono::steady_clock::now();
            // The flag is checked before every poll: stop() may come before the loop ever ran
            // this coroutine (start(); stop(); io.run()), and then no poll may start at all.
            while (m_running) {
                // One poll at a time: the next one cannot start before this co_await returns.
                const int value = co_await m_source();
                m_results.push_back(value);
                if (!m_running) {
                    co_return;  // stop() came while the poll was in flight: arm no timer
                }
                // Fixed rate: the next poll is due one interval after this one was due, not after
                // this one finished; the time the poll took does not push the schedule back. If
                // that moment has already passed, the timer completes at once.
                due += m_interval;
                m_timer.expires_at(due);
                auto [ec] = co_await m_timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
                if (ec) {
                    co_return;  // stop() cancelled the wait
                }
                // A wait that had already completed when stop() came is not cancelled; the loop's
                // condition catches that case.
            }
        },
        asio::detached);
}

void Poller::stop() {
    m_running = false;
    m_timer.cancel();
}

std::vector<int> Poller::results() const { return m_results; }

}  // namespace cc
