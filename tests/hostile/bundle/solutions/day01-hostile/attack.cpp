// The reference: harmless. CANARY-SOLUTION-8b04f6e1a7 (must never reach a student's report).
#include "attack.hpp"

namespace hostile {

std::string attack() { return ""; }
int answer() { return 42; }

}  // namespace hostile
