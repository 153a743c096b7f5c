#include "freezer.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace cc {

using namespace std::chrono_literals;

asio::awaitable<void> async_sleep(std::chrono::milliseconds d) {
    // TODO(student): wait `d` without blocking the loop's thread: a steady_timer on this
    // coroutine's executor (co_await asio::this_coro::executor), then co_await its async_wait.
    (void)d;
    co_return;
}

asio::awaitable<void> worker(std::string name, int steps, std::chrono::milliseconds step, EventLog& log) {
    // TODO(student): log name + ".start"; `steps` times wait `step` and log name + ".tick";
    // then log name + ".end".
    (void)name;
    (void)steps;
    (void)step;
    (void)log;
    co_return;
}

void freezer_demo(asio::io_context& io, EventLog& log) {
    // TODO(student): co_spawn the three workers ("slow", "ping", "pong") on io, detached.
    (void)io;
    (void)log;
}

}  // namespace cc
