#include "philosophers.hpp"

namespace cc {

void dine(int /*philosophers*/, int /*meals*/, std::function<void(int who)> /*eat*/) {
    // TODO(student): task 4. One thread per philosopher and one std::mutex per fork; each
    // philosopher eats `meals` times holding both forks, and no circular wait may form
    // (README, task 4). Return after every thread has finished.
}

}  // namespace cc
