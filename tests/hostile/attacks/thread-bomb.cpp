// Starts threads until it cannot, at most 5000 (self-bound), each sleeping at most 10 s.
// Contained: the pids cgroup or RLIMIT_NPROC stops it near 256 threads.
#include <chrono>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    std::vector<std::thread> threads;
    std::string why = "no failure";
    try {
        for (int i = 0; i < 5000; ++i) {
            threads.emplace_back([] { std::this_thread::sleep_for(std::chrono::seconds(10)); });
        }
    } catch (const std::system_error& e) {
        why = e.what();
    }
    const auto count = threads.size();
    for (auto& t : threads) {
        t.detach();
    }
    return "started " + std::to_string(count) + " threads, then: " + why;
}

int answer() { return 42; }

}  // namespace hostile
