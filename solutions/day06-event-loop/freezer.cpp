#include "freezer.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace cc {

using namespace std::chrono_literals;

asio::awaitable<void> async_sleep(std::chrono::milliseconds d) {
    // The timer hands the wait to the loop: co_await suspends this coroutine and returns the
    // thread to io.run(), which runs other handlers until the timer expires and resumes us.
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(asio::use_awaitable);
}

// `name` is taken by value: a coroutine's parameters are copied into its frame, so the name lives
// as long as the coroutine. (A `const std::string&` would point at the caller's string, which may
// be gone by the time the coroutine resumes.) `log` must outlive the coroutine; the caller owns it.
asio::awaitable<void> worker(std::string name, int steps, std::chrono::milliseconds step, EventLog& log) {
    log.add(name + ".start");
    for (int i = 0; i < steps; ++i) {
        co_await async_sleep(step);
        log.add(name + ".tick");
    }
    log.add(name + ".end");
}

void freezer_demo(asio::io_context& io, EventLog& log) {
    // co_spawn takes the awaitable (the coroutine, not yet started) and runs it on io; `detached`
    // says nobody waits for its result.
    asio::co_spawn(io, worker("slow", 1, 400ms, log), asio::detached);
    asio::co_spawn(io, worker("ping", 8, 50ms, log), asio::detached);
    asio::co_spawn(io, worker("pong", 8, 50ms, log), asio::detached);
}

}  // namespace cc
