// std::exit(0) inside the test. Contained: ending before the test's end frame is never a pass.
#include <cstdlib>

#include "attack.hpp"

namespace hostile {

std::string attack() { std::exit(0); }
int answer() { return 42; }

}  // namespace hostile
