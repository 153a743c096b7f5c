// Kills process groups: kill(-1) (every process the uid may signal: never attempted as root, a
// self-bound), the grader's group, and finally its own group, which ends the test itself.
// Contained: seccomp refuses kill(-1) and signals to the grader's group; a namespace or a slot uid
// leaves nothing else to hit; killing its own group only kills the test (verdict crash).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    std::string result;
    if (getuid() != 0 && geteuid() != 0) {
        result += std::string("kill(-1): ") + (kill(-1, SIGKILL) == 0 ? "sent" : std::strerror(errno)) + "; ";
    } else {
        result += "kill(-1): not attempted as root; ";
    }
    const pid_t group = getpgid(getppid());
    result += "kill(-" + std::to_string(group) + "): " + (kill(-group, SIGKILL) == 0 ? "sent" : std::strerror(errno)) + "; ";
    std::printf("%s\n", result.c_str());
    std::fflush(stdout);
    kill(0, SIGKILL);  // its own group: the test dies here
    return result;
}

int answer() { return 42; }

}  // namespace hostile
