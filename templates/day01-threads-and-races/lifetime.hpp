// Task 3: threads that end when their owner says so (C++ has no daemon threads).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace cc {

// Calls f(i) exactly once for every i in [0, n_items), spread over at most n_threads threads, and
// returns when every call has returned. f is called from several threads at once.
template <class F>
void parallel_for(std::size_t n_threads, std::size_t n_items, F&& f) {
    // TODO(student): split [0, n_items) into one contiguous chunk per thread, start the threads,
    // then wait for all of them. Mind n_items % n_threads, and n_items < n_threads.
    (void)n_threads;
    (void)n_items;
    (void)f;
}

// Calls beat() once right away and then once every period, on a background thread, until the
// Heartbeat is destroyed. The destructor stops the thread without waiting out the period, and once
// it has returned beat() is never called again.
class Heartbeat {
public:
    Heartbeat(std::chrono::milliseconds period, std::function<void()> beat);
    ~Heartbeat();

    Heartbeat(const Heartbeat&) = delete;
    Heartbeat& operator=(const Heartbeat&) = delete;

private:
    // TODO(student): the background thread (std::jthread gives you a stop_token for free).
};

}  // namespace cc
