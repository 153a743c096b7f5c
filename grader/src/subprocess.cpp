#include "subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

extern char** environ;

namespace grade {
namespace {

constexpr int side_fd = 3;

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int value) : fd(value) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) {
            ::close(fd);
        }
        fd = -1;
    }
};

bool make_pipe(Fd& read_end, Fd& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return false;
    }
    read_end.fd = fds[0];
    write_end.fd = fds[1];
    return true;
}

std::vector<std::string> build_env(const Command& command) {
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string::npos) {
            merged[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
    }
    for (const auto& name : command.unset_env) {
        merged.erase(name);
    }
    for (const auto& [name, value] : command.env) {
        merged[name] = value;
    }
    std::vector<std::string> result;
    result.reserve(merged.size());
    for (const auto& [name, value] : merged) {
        result.push_back(name + "=" + value);
    }
    return result;
}

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const Command& command, char* const* argv, char* const* envp, int output_fd,
                             int side_write, int error_fd) {
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        ::dup2(devnull, 0);
    }
    ::dup2(output_fd, 1);
    ::dup2(output_fd, 2);
    if (side_write >= 0) {
        ::dup2(side_write, side_fd);
    }
    // Everything else closes on exec (pipes are O_CLOEXEC; inherited fds are closed here).
    ::syscall(SYS_close_range, side_write >= 0 ? side_fd + 1 : side_fd, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    ::fcntl(error_fd, F_SETFD, FD_CLOEXEC);
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (command.limits.cpu_seconds) {
        const rlimit cpu{static_cast<rlim_t>(*command.limits.cpu_seconds),
                         static_cast<rlim_t>(*command.limits.cpu_seconds + 1)};
        ::setrlimit(RLIMIT_CPU, &cpu);
    }
    if (command.limits.file_bytes) {
        const rlimit fsize{static_cast<rlim_t>(*command.limits.file_bytes),
                           static_cast<rlim_t>(*command.limits.file_bytes)};
        ::setrlimit(RLIMIT_FSIZE, &fsize);
    }
    if (command.limits.open_files) {
        const rlimit files{static_cast<rlim_t>(*command.limits.open_files),
                           static_cast<rlim_t>(*command.limits.open_files)};
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    if (!command.cwd.empty() && ::chdir(command.cwd.c_str()) != 0) {
        const int err = errno;
        (void)!::write(error_fd, &err, sizeof err);
        ::_exit(127);
    }
    ::execvpe(argv[0], argv, envp);
    const int err = errno;
    (void)!::write(error_fd, &err, sizeof err);
    ::_exit(127);
}

void append_capped(std::string& out, long& dropped, long cap, const char* data, std::size_t n) {
    const auto room = static_cast<std::size_t>(std::max<long>(0, cap - static_cast<long>(out.size())));
    const std::size_t keep = std::min(room, n);
    out.append(data, keep);
    dropped += static_cast<long>(n - keep);
}

}  // namespace

Result<Completed> run(const Command& command) {
    if (command.argv.empty()) {
        return fail("internal: empty command");
    }
    std::vector<std::string> env_strings = build_env(command);
    std::vector<char*> argv;
    for (const auto& arg : command.argv) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env_strings) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);

    Fd out_read, out_write, side_read, side_write, err_read, err_write;
    if (!make_pipe(out_read, out_write) || !make_pipe(err_read, err_write) ||
        (command.side_channel && !make_pipe(side_read, side_write))) {
        return fail("cannot create a pipe: {}", std::strerror(errno));
    }

    const auto started = std::chrono::steady_clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) {
        return fail("cannot start {}: fork failed: {}", command.argv[0], std::strerror(errno));
    }
    if (pid == 0) {
        exec_child(command, argv.data(), envp.data(), out_write.fd, side_write.fd, err_write.fd);
    }
    ::setpgid(pid, pid);  // also in the parent, so the group exists before we might kill it
    out_write.reset();
    side_write.reset();
    err_write.reset();

    int exec_errno = 0;
    if (::read(err_read.fd, &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
        ::waitpid(pid, nullptr, 0);
        return fail("cannot run '{}': {}", command.argv[0], std::strerror(exec_errno));
    }

    Completed result;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    Fd pid_fd(pidfd);
    bool exited = false;
    bool timed_out = false;
    std::array<char, 65536> buffer{};
    const auto deadline = started + command.deadline;

    while (out_read.fd >= 0 || side_read.fd >= 0 || !exited) {
        std::array<pollfd, 3> fds{};
        nfds_t n = 0;
        fds[n++] = {out_read.fd, POLLIN, 0};
        fds[n++] = {side_read.fd, POLLIN, 0};
        fds[n++] = {exited ? -1 : pid_fd.fd, POLLIN, 0};
        int wait_ms = 200;
        if (command.deadline.count() > 0 && !timed_out) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            wait_ms = static_cast<int>(std::clamp<long>(left.count(), 0, 200));
        }
        const int ready = ::poll(fds.data(), n, wait_ms);
        if (ready < 0 && errno != EINTR) {
            break;
        }
        if (fds[0].revents != 0) {
            const ssize_t got = ::read(out_read.fd, buffer.data(), buffer.size());
            if (got <= 0) {
                out_read.reset();
            } else {
                append_capped(result.output, result.output_dropped, command.output_cap, buffer.data(),
                              static_cast<std::size_t>(got));
            }
        }
        if (fds[1].revents != 0) {
            const ssize_t got = ::read(side_read.fd, buffer.data(), buffer.size());
            if (got <= 0) {
                side_read.reset();
            } else {
                long ignored = 0;
                append_capped(result.side, ignored, 4 << 20, buffer.data(), static_cast<std::size_t>(got));
            }
        }
        if (!exited) {
            int status = 0;
            rusage usage{};
            const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
            if (done == pid) {
                exited = true;
                result.cpu = std::chrono::milliseconds(
                    (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
                    (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000);
                if (timed_out) {
                    result.end = ProcessEnd::timed_out;
                    result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
                } else if (WIFSIGNALED(status)) {
                    result.end = ProcessEnd::signaled;
                    result.signal = WTERMSIG(status);
                } else {
                    result.end = ProcessEnd::exited;
                    result.exit_code = WEXITSTATUS(status);
                }
                // Whatever the child started and left behind in its group goes too; this also
                // closes pipes a leftover held open, so the reads below see end-of-file.
                ::kill(-pid, SIGKILL);
            } else if (!timed_out && command.deadline.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
                timed_out = true;
                if (command.on_deadline) {
                    result.diagnosis = command.on_deadline(pid, result.side);
                }
                ::kill(-pid, SIGKILL);
                ::kill(pid, SIGKILL);
            }
        }
        // After the child is gone, stop waiting for pipes held open by escaped processes.
        if (exited && std::chrono::steady_clock::now() - started > command.deadline + std::chrono::seconds(5) &&
            command.deadline.count() > 0) {
            break;
        }
    }
    result.wall = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return result;
}

std::string describe_end(const Completed& completed) {
    switch (completed.end) {
        case ProcessEnd::exited:
            return fmt::format("exit status {}", completed.exit_code);
        case ProcessEnd::signaled: {
            const char* name = sigabbrev_np(completed.signal);
            return fmt::format("killed by SIG{} ({})", name != nullptr ? name : "?", strsignal(completed.signal));
        }
        case ProcessEnd::timed_out:
            return fmt::format("stopped after the {:.1f} s deadline", static_cast<double>(completed.wall.count()) / 1000);
    }
    return "unknown";
}

}  // namespace grade
