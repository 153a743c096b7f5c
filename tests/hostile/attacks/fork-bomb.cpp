// Fork bomb: forks until fork() fails, at most 2000 children (self-bound), each sleeping at most
// 20 s. Contained: the process/thread limit stops it near 256 (pids cgroup or RLIMIT_NPROC of the
// slot uid), and the sweep kills every child the test left behind.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    int children = 0;
    std::string why = "no failure";
    for (; children < 2000; ++children) {
        const pid_t pid = fork();
        if (pid == 0) {
            sleep(20);
            _exit(0);
        }
        if (pid < 0) {
            why = std::strerror(errno);
            break;
        }
    }
    return "forked " + std::to_string(children) + " children, then fork failed: " + why;
}

int answer() { return 42; }

}  // namespace hostile
