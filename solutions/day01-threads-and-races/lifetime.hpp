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
    if (n_items == 0) {
        return;
    }
    const std::size_t threads = std::clamp<std::size_t>(n_threads, 1, n_items);
    // n_items rarely divides evenly: the first `extra` chunks take one item more, so the
    // remainder is spread out instead of being dropped (or piled onto one thread).
    const std::size_t base = n_items / threads;
    const std::size_t extra = n_items % threads;
    std::vector<std::jthread> workers;
    workers.reserve(threads);
    std::size_t begin = 0;
    for (std::size_t t = 0; t < threads; ++t) {
        const std::size_t end = begin + base + (t < extra ? 1 : 0);
        workers.emplace_back([&f, begin, end] {
            for (std::size_t i = begin; i < end; ++i) {
                f(i);
            }
        });
        begin = end;
    }
    // Each ~jthread joins here, so no worker outlives f or anything f refers to.
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
    std::jthread m_thread;
};

}  // namespace cc
