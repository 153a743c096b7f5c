// Task 3: a poller that asks a source for a status at a fixed rate, one request at a time.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <vector>

namespace cc {

// start() begins polling: the first poll at once, the next ones due every `interval` after the
// first (fixed rate: poll k is due at start + k * interval, however long the polls take). A poll
// co_awaits source() and appends its value to results(). Polls never overlap: a poll that is due
// while the previous one still runs starts only when that one has finished.
// stop() ends polling; afterwards no poll starts, and the poller leaves no work on the loop.
// Use it from the loop's thread (or while the loop is not running); destroy it only after stop()
// and after the loop has stopped running it.
class Poller {
public:
    Poller(asio::any_io_executor ex, std::function<asio::awaitable<int>()> source, std::chrono::milliseconds interval);

    void start();
    void stop();
    // The values of the finished polls, in the order the polls ran.
    std::vector<int> results() const;

private:
    // TODO(student): the source, the interval, a timer, a running flag, the results.
};

}  // namespace cc
