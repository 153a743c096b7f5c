// Task 1: a child process (Python's multiprocessing.Process with the fork start method).
#pragma once

#include <sys/types.h>

#include <functional>

namespace cc {

// A child process that runs one function. Move-only, like std::thread.
class Process {
public:
    // Flushes the parent's C stdio streams, then forks. The child runs fn(), flushes its own
    // streams and ends with _exit(code): code is fn's return value (0..255), or 1 if fn throws.
    // The child never returns into the caller's code and never runs the parent's exit handlers.
    // Throws std::system_error if fork() fails.
    static Process spawn(std::function<int()> fn);

    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;  // joins the child *this still had, then takes other's
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();  // joins the child if nobody has joined it yet

    // Waits until the child has ended and reaps it. Returns its exit code (0..255), or -N if
    // signal N ended it (Python's Process.exitcode). Throws std::logic_error if there is no
    // child to join (joined already, or moved from).
    int join();
    bool joinable() const;
    pid_t pid() const;  // the child's pid (still known after join); 0 if moved from

private:
    explicit Process(pid_t pid);

    pid_t m_pid = 0;
    bool m_joinable = false;
};

}  // namespace cc
