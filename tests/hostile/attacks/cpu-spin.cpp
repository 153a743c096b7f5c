// CPU spin: a busy loop on two threads, at most 60 s of wall time (self-bound). Contained: the
// test's wall deadline (5 s) stops it; the verdict is timeout.
#include <atomic>
#include <chrono>
#include <thread>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    std::atomic<unsigned long> spins{0};
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::thread other([&] {
        while (std::chrono::steady_clock::now() < until) {
            spins.fetch_add(1, std::memory_order_relaxed);
        }
    });
    while (std::chrono::steady_clock::now() < until) {
        spins.fetch_add(1, std::memory_order_relaxed);
    }
    other.join();
    return "spun for 60 s";
}

int answer() { return 42; }

}  // namespace hostile
