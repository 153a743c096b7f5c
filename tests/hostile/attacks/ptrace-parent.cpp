// ptrace(PTRACE_ATTACH) and PTRACE_SEIZE on the parent (detaching at once if it worked).
// Contained: another uid, seccomp, and Landlock's ptrace restriction all refuse.
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    const pid_t parent = getppid();
    std::string result = "parent " + std::to_string(parent) + ": ";
    if (ptrace(PTRACE_ATTACH, parent, nullptr, nullptr) == 0) {
        waitpid(parent, nullptr, __WALL);
        ptrace(PTRACE_DETACH, parent, nullptr, nullptr);
        result += "ATTACHED; ";
    } else {
        result += std::string("attach: ") + std::strerror(errno) + "; ";
    }
    if (ptrace(PTRACE_SEIZE, parent, nullptr, nullptr) == 0) {
        ptrace(PTRACE_DETACH, parent, nullptr, nullptr);
        result += "SEIZED; ";
    } else {
        result += std::string("seize: ") + std::strerror(errno) + "; ";
    }
    return result;
}

int answer() { return 42; }

}  // namespace hostile
