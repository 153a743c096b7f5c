// Task 3: hand out futures in the order they complete, with one deadline for the whole iteration
// (Python's concurrent.futures.as_completed(fs, timeout)).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace cc {

// Thrown by AsCompleted::next() when the deadline passed before another future completed.
struct TimeoutError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <class T>
class AsCompleted {
public:
    // Takes the futures (every one valid, else std::invalid_argument). The deadline is `timeout`
    // from now, for the whole iteration, not for each next().
    AsCompleted(std::vector<std::future<T>> fs, std::chrono::milliseconds timeout);

    // The next future to complete (with a value or an exception), with its index in fs.
    // std::nullopt once every future has been returned. TimeoutError if none of the remaining
    // futures completed by the deadline; after that the object may only be destroyed. Futures that
    // were already complete when the object was made are returned even if the deadline has passed.
    // Blocks without burning a CPU while it waits.
    std::optional<std::pair<std::size_t, std::future<T>>> next();

private:
    // TODO(student): the futures not returned yet (with their indices) and the deadline.
};

template <class T>
AsCompleted<T>::AsCompleted(std::vector<std::future<T>> fs, std::chrono::milliseconds timeout) {
    // TODO(student): check the futures, keep them with their indices, fix the deadline.
    (void)fs;
    (void)timeout;
}

template <class T>
auto AsCompleted<T>::next() -> std::optional<std::pair<std::size_t, std::future<T>>> {
    // TODO(student): return a complete future if there is one; otherwise wait (sleeping, not
    // spinning) until one completes or the deadline passes.
    return std::nullopt;
}

}  // namespace cc
