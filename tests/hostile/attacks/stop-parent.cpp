// SIGSTOP to the parent: a stopped grader would never finish. Contained as kill-parent is.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    const pid_t parent = getppid();
    return "SIGSTOP to " + std::to_string(parent) + ": " + (kill(parent, SIGSTOP) == 0 ? "sent" : std::strerror(errno));
}

int answer() { return 42; }

}  // namespace hostile
