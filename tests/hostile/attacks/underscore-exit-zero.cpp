// _exit(0) inside the test (no atexit handlers, no flush). Contained as exit-zero.
#include <unistd.h>

#include "attack.hpp"

namespace hostile {

std::string attack() { _exit(0); }
int answer() { return 42; }

}  // namespace hostile
