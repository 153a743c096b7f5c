#include "attack.hpp"

namespace hostile {

std::string attack() { return "TODO(student)"; }
int answer() { return 0; }

}  // namespace hostile
