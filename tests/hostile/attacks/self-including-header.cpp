// See self-including-header.hpp (laid over attack.hpp).
#include "attack.hpp"

namespace hostile {

std::string attack() { return ""; }
int answer() { return 42; }

}  // namespace hostile
