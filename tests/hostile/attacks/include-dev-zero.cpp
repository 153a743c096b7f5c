// Attacks the compiler: #include "/dev/zero" never ends and grows the compiler's memory.
// Contained: a build reads no device but /dev/null and /dev/urandom (Landlock), and a compiler's
// address space is capped at the build memory limit; the verdict is build_error, in seconds.
#include "/dev/zero"
#include "attack.hpp"

namespace hostile {

std::string attack() { return "compiled"; }
int answer() { return 42; }

}  // namespace hostile
