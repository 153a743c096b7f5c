// Ships its own versions of the protected files next to attack.cpp: a test file that always
// passes and a CMakeLists.txt that would run a command (the corpus driver adds both). attack()
// itself fails. Contained: only the allowlisted files are taken; tests and build files come from
// the course bundle, so the bundle's test runs and fails, and the submission's CMake never runs.
#include "attack.hpp"

namespace hostile {

std::string attack() { return "the course's own test ran"; }
int answer() { return 42; }

}  // namespace hostile
