#include "subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "sandbox_internal.hpp"

extern char** environ;

namespace grade {
namespace {

constexpr int side_fd = 3;
constexpr int secret_fd = 4;

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

std::vector<std::string> build_env(const Command& command, bool confined) {
    std::map<std::string, std::string> merged;
    if (confined) {
        merged = confined_environment(*command.confinement);  // nothing inherited from the grader
    } else {
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry(*e);
            const auto eq = entry.find('=');
            if (eq != std::string::npos) {
                merged[entry.substr(0, eq)] = entry.substr(eq + 1);
            }
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

// What a child that could not start tells the parent: errno and the step that failed.
struct StartError {
    int err = 0;
    char step[60] = {};
};

[[noreturn]] void fail_start(int error_fd, int err, const char* step) {
    StartError report;
    report.err = err;
    for (std::size_t i = 0; step != nullptr && step[i] != '\0' && i + 1 < sizeof report.step; ++i) {
        report.step[i] = step[i];
    }
    (void)!::write(error_fd, &report, sizeof report);
    ::_exit(127);
}

// Records on the status pipe of a command run in a pid namespace.
struct StatusRecord {
    std::int32_t kind = 0;  // 1: the command's host pid in `a`; 2: its wait status in `a`, leftovers in `b`
    std::int32_t a = 0;
    std::int64_t b = 0;
};

// The descriptors a child starts from.
struct ChildFds {
    int output = -1;
    int side = -1;
    int secret = -1;
    int error = -1;
    int status = -1;  // pid-namespace runs only
};

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const Command& command, char* const* argv, char* const* envp, ChildFds fds, pid_t parent,
                             const Jail* jail) {
    ::setpgid(0, 0);
    // A child whose grader died (killed batch, closed terminal) dies too, instead of running on
    // unsupervised; a resumed batch would otherwise race a leftover grade of the same submission.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (parent != 0 && ::getppid() != parent) {
        ::_exit(127);
    }
    ::signal(SIGPIPE, SIG_DFL);
    // Move every descriptor out of the way first, so that putting them on 1, 2, 3 and 4 cannot
    // clobber one that still has to move.
    const auto high = [](int fd) { return fd < 0 ? -1 : ::fcntl(fd, F_DUPFD_CLOEXEC, 64); };
    const int output = high(fds.output);
    const int side = high(fds.side);
    const int secret = high(fds.secret);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        ::dup2(devnull, 0);
    }
    ::dup2(output, 1);
    ::dup2(output, 2);
    if (side >= 0) {
        ::dup2(side, side_fd);
    }
    if (secret >= 0) {
        ::dup2(secret, secret_fd);
    }
    // Everything else closes on exec (pipes are O_CLOEXEC; inherited fds are closed here).
    const unsigned first_closed = secret >= 0 ? secret_fd + 1 : side >= 0 ? side_fd + 1 : side_fd;
    ::syscall(SYS_close_range, first_closed, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */);
    if (side < 0 && secret >= 0) {
        ::close(side_fd);
    }
    ::fcntl(fds.error, F_SETFD, FD_CLOEXEC);
    if (jail == nullptr) {
        const rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
    }
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
    if (command.disable_aslr) {
        ::personality(ADDR_NO_RANDOMIZE);
    }
    const char* step = "entering the sandbox";
    if (jail != nullptr && jail->clone_flags() == 0) {
        if (const int err = jail->enter_first_child(&step); err != 0) {
            fail_start(fds.error, err, step);
        }
    }
    if (jail != nullptr) {
        if (const int err = jail->enter_command(&step); err != 0) {
            fail_start(fds.error, err, step);
        }
    }
    if (!command.cwd.empty() && ::chdir(command.cwd.c_str()) != 0) {
        fail_start(fds.error, errno, "changing to the working directory");
    }
    ::execvpe(argv[0], argv, envp);
    fail_start(fds.error, errno, nullptr);
}

void sleep_ms(long ms) {
    const timespec pause{ms / 1000, (ms % 1000) * 1'000'000};
    ::nanosleep(&pause, nullptr);
}

struct Dirent64 {
    std::uint64_t ino;
    std::int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[1];
};

bool sandbox_detail_probe_running() { return sandbox_detail::ProbeLayers::current != nullptr; }

// Processes in this pid namespace other than its init (reads the namespace's own /proc with raw
// getdents64: no allocation between clone and exit).
int count_namespace_processes() {
    const int dir = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        return 0;
    }
    int count = 0;
    alignas(8) char buffer[4096];
    for (;;) {
        const long n = ::syscall(SYS_getdents64, dir, buffer, sizeof buffer);
        if (n <= 0) {
            break;
        }
        for (long at = 0; at < n;) {
            const auto* entry = reinterpret_cast<const Dirent64*>(buffer + at);
            bool numeric = entry->name[0] != '\0';
            for (const char* c = entry->name; *c != '\0'; ++c) {
                numeric = numeric && *c >= '0' && *c <= '9';
            }
            if (numeric && !(entry->name[0] == '1' && entry->name[1] == '\0')) {
                ++count;
            }
            at += entry->reclen;
        }
    }
    ::close(dir);
    return count;
}

// The init of a fresh pid namespace (the grader's direct child): sets up the namespaces, starts
// the command as its only child, waits for it, then reports leftovers, kills everything else in
// the namespace and reports the command's wait status. Raw clone only (no glibc fork: the grader
// may have threads whose locks were copied held).
[[noreturn]] void run_init(const Command& command, char* const* argv, char* const* envp, ChildFds fds,
                           const Jail& jail) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const char* step = "setting up the namespaces";
    if (const int err = jail.enter_first_child(&step); err != 0) {
        fail_start(fds.error, err, step);
    }
    const long child = ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (child < 0) {
        fail_start(fds.error, errno, "starting the command in the namespace");
    }
    if (child == 0) {
        // Tell the grader our pid as it sees it: "self" of its /proc.
        char link[32] = {};
        const ssize_t n = ::readlinkat(jail.host_proc_fd(), "self", link, sizeof link - 1);
        StatusRecord record{1, 0, 0};
        for (ssize_t i = 0; i < n; ++i) {
            record.a = record.a * 10 + (link[i] - '0');
        }
        (void)!::write(fds.status, &record, sizeof record);
        exec_child(command, argv, envp, fds, 0, &jail);
    }
    // Keep only the status pipe: the grader's reads must see end-of-file when the command's
    // processes are gone, not when the init exits.
    const int status_fd = ::fcntl(fds.status, F_DUPFD_CLOEXEC, 100);
    ::syscall(SYS_close_range, 0U, static_cast<unsigned>(status_fd - 1), 0U);
    ::syscall(SYS_close_range, static_cast<unsigned>(status_fd + 1), ~0U, 0U);
    int status = 0;
    for (;;) {
        int st = 0;
        const pid_t done = ::waitpid(-1, &st, 0);
        if (done == child) {
            status = st;
            break;
        }
        if (done < 0 && errno != EINTR) {
            break;
        }
    }
    // A process the command killed on its way out may still be dying: give it a moment.
    int leftovers = 0;
    for (int i = 0; i < 15; ++i) {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        leftovers = count_namespace_processes();
        if (leftovers == 0) {
            break;
        }
        sleep_ms(10);
    }
    ::kill(-1, SIGKILL);
    while (::waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
    }
    const StatusRecord end{2, status, leftovers};
    (void)!::write(status_fd, &end, sizeof end);
    ::_exit(0);
}

void append_capped(std::string& out, long& dropped, long cap, const char* data, std::size_t n) {
    const auto room = static_cast<std::size_t>(std::max<long>(0, cap - static_cast<long>(out.size())));
    const std::size_t keep = std::min(room, n);
    out.append(data, keep);
    dropped += static_cast<long>(n - keep);
}

void set_end(Completed& result, int status, bool timed_out) {
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
}

bool confining(const Command& command) {
    if (!command.confinement) {
        return false;
    }
    if (sandbox_detail_probe_running()) {
        return true;
    }
    const auto box = sandbox();
    return box && (*box)->tier != Tier::none;
}

}  // namespace

Result<Completed> run(const Command& command) {
    if (command.argv.empty()) {
        return fail("internal: empty command");
    }
    std::unique_ptr<Jail> jail;
    if (command.confinement) {
        if (!sandbox_detail_probe_running()) {
            TRY_VOID(sandbox());  // --min-tier refusals surface here too
        }
        if (confining(command)) {
            TRY(prepared, Jail::prepare(*command.confinement));
            jail = std::move(prepared);
        }
    }
    const bool in_namespace = jail && jail->pid_namespace();
    std::vector<std::string> env_strings = build_env(command, jail != nullptr);
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

    Fd out_read, out_write, side_read, side_write, err_read, err_write, secret_read, secret_write, status_read,
        status_write;
    if (!make_pipe(out_read, out_write) || !make_pipe(err_read, err_write) ||
        (command.side_channel && !make_pipe(side_read, side_write)) ||
        (command.secret_fd4 && !make_pipe(secret_read, secret_write)) ||
        (in_namespace && !make_pipe(status_read, status_write))) {
        return fail("cannot create a pipe: {}", std::strerror(errno));
    }
    if (command.secret_fd4) {
        const auto& secret = *command.secret_fd4;
        if (secret.size() > 4096 ||
            ::write(secret_write.fd, secret.data(), secret.size()) != static_cast<ssize_t>(secret.size())) {
            return fail("cannot pass a secret to {}", command.argv[0]);
        }
        secret_write.reset();
    }
    const ChildFds child_fds{out_write.fd, side_write.fd, secret_read.fd, err_write.fd, status_write.fd};

    const auto started = std::chrono::steady_clock::now();
    const pid_t parent = ::getpid();
    const pid_t pid = in_namespace ? static_cast<pid_t>(::syscall(SYS_clone, jail->clone_flags() | SIGCHLD, 0, 0, 0, 0))
                                   : ::fork();
    if (pid < 0) {
        return fail("cannot start {}: {} failed: {}", command.argv[0], in_namespace ? "clone" : "fork",
                    std::strerror(errno));
    }
    if (pid == 0) {
        if (in_namespace) {
            run_init(command, argv.data(), envp.data(), child_fds, *jail);
        }
        exec_child(command, argv.data(), envp.data(), child_fds, parent, jail.get());
    }
    Jail::register_child(pid);
    ::setpgid(pid, pid);  // also in the parent, so the group exists before we might kill it
    out_write.reset();
    side_write.reset();
    err_write.reset();
    secret_read.reset();
    status_write.reset();

    StartError start_error;
    if (::read(err_read.fd, &start_error, sizeof start_error) == sizeof start_error) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        Jail::unregister_child(pid);
        if (jail) {
            (void)jail->sweep(pid, pid, false);
        }
        if (start_error.step[0] != '\0') {
            return fail("cannot run '{}': {}: {}", command.argv[0], start_error.step, std::strerror(start_error.err));
        }
        return fail("cannot run '{}': {}", command.argv[0], std::strerror(start_error.err));
    }
    // The pid of the command itself (inside a namespace it is the init's child).
    pid_t command_pid = pid;
    if (in_namespace) {
        StatusRecord record;
        if (::read(status_read.fd, &record, sizeof record) == sizeof record && record.kind == 1 && record.a > 0) {
            command_pid = record.a;
        }
    }

    Completed result;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    Fd pid_fd(pidfd);
    bool exited = false;
    bool timed_out = false;
    bool limit_hit = false;
    std::array<char, 65536> buffer{};
    const auto deadline = started + command.deadline;
    auto next_watch = started + std::chrono::milliseconds(500);
    const auto kill_all = [&] {
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);  // in a namespace: its init, which takes the namespace with it
        if (command_pid != pid) {
            ::kill(command_pid, SIGKILL);
        }
    };

    while (out_read.fd >= 0 || side_read.fd >= 0 || !exited) {
        std::array<pollfd, 3> fds{};
        nfds_t n = 0;
        fds[n++] = {out_read.fd, POLLIN, 0};
        fds[n++] = {side_read.fd, POLLIN, 0};
        fds[n++] = {exited ? -1 : pid_fd.fd, POLLIN, 0};
        int wait_ms = jail ? 50 : 200;  // the sandbox's memory and disk pollers sample this often
        if (command.deadline.count() > 0 && !timed_out) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            wait_ms = static_cast<int>(std::clamp<long>(left.count(), 0, wait_ms));
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
                Jail::unregister_child(pid);
                result.cpu = std::chrono::milliseconds(
                    (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 +
                    (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000);
                if (in_namespace) {
                    // The init exits 0 after reporting the command's own status (unless killed).
                    StatusRecord record;
                    bool reported = false;
                    while (::read(status_read.fd, &record, sizeof record) == sizeof record) {
                        if (record.kind == 2) {
                            set_end(result, record.a, timed_out);
                            result.leftovers = static_cast<int>(record.b);
                            reported = true;
                        }
                    }
                    if (!reported) {
                        set_end(result, status, timed_out);
                    }
                } else {
                    set_end(result, status, timed_out);
                }
                if (jail) {
                    // Counts what is left, then kills it (and anything the group held open).
                    const bool main_exited = !timed_out && !limit_hit && result.end == ProcessEnd::exited;
                    const auto after = jail->sweep(pid, command_pid, main_exited);
                    if (!in_namespace) {
                        result.leftovers = after.leftovers;
                    }
                    result.out_of_memory = after.out_of_memory;
                    result.out_of_disk = after.out_of_disk;
                    result.peak_memory = after.peak_memory;
                }
                // Whatever the child started and left behind in its group goes too; this also
                // closes pipes a leftover held open, so the reads below see end-of-file.
                ::kill(-pid, SIGKILL);
            } else if (!timed_out && command.deadline.count() > 0 && std::chrono::steady_clock::now() >= deadline) {
                timed_out = true;
                if (command.on_deadline) {
                    result.diagnosis = command.on_deadline(command_pid, result.side);
                }
                kill_all();
            } else if (!timed_out && command.watch && std::chrono::steady_clock::now() >= next_watch) {
                next_watch = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
                if (command.watch(command_pid)) {
                    timed_out = true;
                    result.stopped_early = true;
                    if (command.on_deadline) {
                        result.diagnosis = command.on_deadline(command_pid, result.side);
                    }
                    kill_all();
                }
            } else if (jail && !limit_hit && jail->over_limit(pid, command_pid)) {
                limit_hit = true;
                kill_all();
            }
        }
        // After the child is gone, stop waiting for pipes held open by escaped processes.
        if (exited && std::chrono::steady_clock::now() - started > command.deadline + std::chrono::seconds(5) &&
            command.deadline.count() > 0) {
            break;
        }
    }
    if (!exited) {
        kill_all();
        ::waitpid(pid, nullptr, 0);
        Jail::unregister_child(pid);
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
