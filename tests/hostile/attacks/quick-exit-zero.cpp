// std::quick_exit(0) inside the test. Contained as exit-zero.
#include <cstdlib>

#include "attack.hpp"

namespace hostile {

std::string attack() { std::quick_exit(0); }
int answer() { return 42; }

}  // namespace hostile
