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
    using Clock = std::chrono::steady_clock;

    // How long one wait sleeps on one future before looking at all of them again.
    static constexpr std::chrono::milliseconds poll_interval{1};

    std::vector<std::pair<std::size_t, std::future<T>>> m_pending;  // not returned yet, with indices
    Clock::time_point m_deadline;
};

template <class T>
AsCompleted<T>::AsCompleted(std::vector<std::future<T>> fs, std::chrono::milliseconds timeout) {
    const auto now = Clock::now();
    // now + timeout must not overflow: a timeout of "forever" becomes the clock's far end.
    const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now);
    m_deadline = timeout >= room ? Clock::time_point::max() : now + std::max(timeout, std::chrono::milliseconds(0));
    m_pending.reserve(fs.size());
    for (std::size_t i = 0; i < fs.size(); ++i) {
        if (!fs[i].valid()) {
            throw std::invalid_argument("AsCompleted: future " + std::to_string(i) + " has no shared state");
        }
        m_pending.emplace_back(i, std::move(fs[i]));
    }
}

template <class T>
auto AsCompleted<T>::next() -> std::optional<std::pair<std::size_t, std::future<T>>> {
    for (;;) {
        if (m_pending.empty()) {
            return std::nullopt;
        }
        // A std::future cannot say "wake me when any of these is ready", so look at every pending
        // one (wait_for(0) only reads its state)...
        for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
            if (it->second.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
                auto done = std::move(*it);
                m_pending.erase(it);
                return done;
            }
        }
        // ... and checking the deadline only after that lets complete futures out even when the
        // deadline has passed.
        const auto now = Clock::now();
        if (now >= m_deadline) {
            throw TimeoutError("as_completed: " + std::to_string(m_pending.size()) +
                               " future(s) did not complete before the deadline");
        }
        // Then sleep in the kernel on one of them, for a millisecond at most, so that a future
        // completing elsewhere is seen soon. Sleeping is what keeps this from burning a CPU; the
        // deadline is never overshot by more than that millisecond.
        m_pending.front().second.wait_until(std::min(now + poll_interval, m_deadline));
    }
}

}  // namespace cc
