#include "poller.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <utility>

namespace cc {

Poller::Poller(asio::any_io_executor ex, std::function<asio::awaitable<int>()> source,
               std::chrono::milliseconds interval) {
    // TODO(student): keep what the poller needs.
    (void)ex;
    (void)source;
    (void)interval;
}

void Poller::start() {
    // TODO(student): co_spawn the polling coroutine: poll, record the value, wait until the next
    // poll is due (fixed rate), until stopped.
}

void Poller::stop() {
    // TODO(student): no poll may start after this, and the coroutine must end.
}

std::vector<int> Poller::results() const {
    // TODO(student)
    return {};
}

}  // namespace cc
