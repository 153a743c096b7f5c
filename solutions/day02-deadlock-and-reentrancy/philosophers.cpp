#include "philosophers.hpp"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace cc {

void dine(int philosophers, int meals, std::function<void(int who)> eat) {
    std::vector<std::mutex> forks(static_cast<std::size_t>(philosophers));
    std::vector<std::jthread> diners;
    diners.reserve(forks.size());
    for (int who = 0; who < philosophers; ++who) {
        diners.emplace_back([&forks, &eat, who, philosophers, meals] {
            // Resource ordering: everyone picks up the lower-numbered of their two forks first.
            // The last philosopher therefore reaches for fork 0 before fork n-1, which breaks the
            // circular wait "each holds the left fork and waits for the right one".
            const int left = who;
            const int right = (who + 1) % philosophers;
            std::mutex& first = forks[static_cast<std::size_t>(std::min(left, right))];
            std::mutex& second = forks[static_cast<std::size_t>(std::max(left, right))];
            for (int meal = 0; meal < meals; ++meal) {
                std::lock_guard hold_first(first);
                std::lock_guard hold_second(second);
                eat(who);
            }
        });
    }
    // The jthreads join here, before the forks they use are destroyed (declared earlier).
}

}  // namespace cc
