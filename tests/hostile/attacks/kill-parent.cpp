// kill(getppid(), SIGKILL), then SIGTERM: tries to kill the grader. Contained: the parent is the
// namespace's init (signals from inside are ignored), or the grader under another uid (EPERM),
// and seccomp and Landlock refuse signals aimed outside; the grader finishes its report.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    const pid_t parent = getppid();
    std::string result = "parent " + std::to_string(parent) + ": ";
    for (const int sig : {SIGKILL, SIGTERM}) {
        result += std::string(sigabbrev_np(sig)) + " " + (kill(parent, sig) == 0 ? "sent" : std::strerror(errno)) + "; ";
    }
    return result;
}

int answer() { return 42; }

}  // namespace hostile
