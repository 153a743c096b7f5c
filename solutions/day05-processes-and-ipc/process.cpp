#include "process.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace cc {

namespace {

// waitpid, again after a signal interrupted it. Returns the wait status.
int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            throw std::system_error(errno, std::generic_category(), "waitpid");
        }
    }
    return status;
}

}  // namespace

Process::Process(pid_t pid) : m_pid(pid), m_joinable(true) {}

Process Process::spawn(std::function<int()> fn) {
    // fork() copies the parent's stdio buffers into the child. Text the parent has printed but
    // not yet written would then be written twice: once by each process. Empty them first.
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        throw std::system_error(errno, std::generic_category(), "fork");
    }
    if (pid == 0) {
        int code = 1;
        try {
            code = fn();
        } catch (...) {
            // An exception must not unwind into the caller's code: that code belongs to the
            // parent, and the child would go on running it (the rest of the caller's work, its
            // destructors, main's return) as a second copy of the program.
            code = 1;
        }
        // _exit, never exit: exit() would run the parent's atexit handlers and static
        // destructors in the child. It flushes nothing, so flush the child's own output first.
        std::fflush(nullptr);
        ::_exit(code & 0xff);
    }
    return Process(pid);
}

Process::Process(Process&& other) noexcept
    : m_pid(std::exchange(other.m_pid, 0)), m_joinable(std::exchange(other.m_joinable, false)) {}

Process& Process::operator=(Process&& other) noexcept {
    if (this != &other) {
        if (m_joinable) {
            try {
                join();
            } catch (...) {
            }
        }
        m_pid = std::exchange(other.m_pid, 0);
        m_joinable = std::exchange(other.m_joinable, false);
    }
    return *this;
}

Process::~Process() {
    // A child nobody waits for stays a zombie (an entry in the process table holding its exit
    // status) until this process ends. Joining is also what Python does at exit.
    if (m_joinable) {
        try {
            join();
        } catch (...) {
        }
    }
}

int Process::join() {
    if (!m_joinable) {
        throw std::logic_error("Process::join: no child to join (joined already, or moved from)");
    }
    const int status = reap(m_pid);
    m_joinable = false;
    if (WIFSIGNALED(status)) {
        return -WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

bool Process::joinable() const { return m_joinable; }

pid_t Process::pid() const { return m_pid; }

}  // namespace cc
