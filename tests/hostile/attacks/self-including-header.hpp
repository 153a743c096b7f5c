// Attacks the compiler: a header without a guard that includes itself (laid over attack.hpp).
// Contained: GCC stops at 200 levels; build_error.
#include "attack.hpp"

#include <string>

namespace hostile {

std::string attack();
int answer();

}  // namespace hostile
