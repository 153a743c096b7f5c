// Task 4: the dining philosophers.
#pragma once

#include <functional>

namespace cc {

// Seats `philosophers` (at least 2) around a table with one fork, a mutex, between each pair of
// neighbours: philosopher i uses forks i and (i + 1) % philosophers. Each philosopher runs on its
// own thread and calls eat(i) exactly `meals` times, each time while holding both of its forks.
// Returns when everyone has finished. Must never deadlock, and nobody may starve. Philosophers who
// share no fork must be able to eat at the same time.
void dine(int philosophers, int meals, std::function<void(int who)> eat);

}  // namespace cc
