// Misconceptions: "a forked child may end like any program, with exit() or by returning" (it then
// runs the parent's exit handlers and flushes copies of the parent's buffers), "an exception in
// the child is caught somewhere, as usual" (it unwinds into the parent's code, which the child
// then runs as a second copy of the program), "fork copies my variables, not what printf still
// holds" (buffered text appears twice, or the child's never), and "a child that has ended is gone"
// (it stays a zombie until somebody reaps it). Hidden tests for task 1.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ct/ct.hpp"
#include "process.hpp"

namespace {

using namespace std::chrono_literals;

// Everything that is still readable in fd (made non-blocking) right now.
std::string read_available(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            text.append(buffer, static_cast<std::size_t>(n));
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return text;
        }
    }
}

int count_of(const std::string& text, const std::string& what) {
    int n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

// The pids of this process's children, running or zombie (from /proc/<pid>/stat).
std::vector<pid_t> my_children() {
    std::vector<pid_t> found;
    const pid_t me = ::getpid();
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream in(entry.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto close = stat.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream fields(stat.substr(close + 2));
        char state = 0;
        pid_t parent = 0;
        if (fields >> state >> parent && parent == me) {
            found.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return found;
}

// Kills and reaps every child still there, so that a failing check leaves no process behind.
// Returns how many there were.
int reap_leftovers() {
    const auto children = my_children();
    for (const pid_t child : children) {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
    }
    return static_cast<int>(children.size());
}

TEST(ProcessHidden, ExitCodesZeroThreeAndTwoHundredFiftyFive) {
    ct::step("spawn() and join() of children that return 0, 3 and 255 must finish");
    std::vector<cc::Process> children;
    for (const int code : {0, 3, 255}) {
        children.push_back(cc::Process::spawn([code] { return code; }));
    }
    EXPECT_EQ(children[0].join(), 0) << "fn returned 0";
    EXPECT_EQ(children[1].join(), 3) << "fn returned 3";
    EXPECT_EQ(children[2].join(), 255) << "fn returned 255, the largest exit code there is";
}

TEST(ProcessHidden, CrashesJoinAsMinusTheSignal) {
    ct::step("spawn() and join() of children that raise SIGSEGV and call abort() must finish");
    auto segfault = cc::Process::spawn([] {
        std::raise(SIGSEGV);
        return 0;
    });
    auto aborted = cc::Process::spawn([]() -> int { std::abort(); });
    EXPECT_EQ(segfault.join(), -SIGSEGV) << "a child that crashed with SIGSEGV joins as -SIGSEGV (-11): decode the wait "
                                         << "status with WIFSIGNALED / WTERMSIG, not WEXITSTATUS";
    EXPECT_EQ(aborted.join(), -SIGABRT) << "a child that called abort() joins as -SIGABRT (-6)";
}

TEST(ProcessHidden, NoZombiesAfterJoinOrDestruction) {
    ct::step("three children that return at once, one join() and two ~Process(), must finish");
    {
        auto joined = cc::Process::spawn([] { return 0; });
        auto dropped = cc::Process::spawn([] { return 0; });
        auto also_dropped = cc::Process::spawn([] { return 0; });
        EXPECT_EQ(joined.join(), 0);
        // Give the two that nobody joins time to end: a destructor must reap a child that has
        // already ended just as well as wait for one that has not.
        std::this_thread::sleep_for(100ms);
    }
    int status = 0;
    errno = 0;
    const pid_t found = ::waitpid(-1, &status, WNOHANG);
    const int error = errno;
    const int more = found != -1 ? reap_leftovers() : 0;
    EXPECT_TRUE(found == -1 && error == ECHILD)
        << "after one join() and two destroyed Process objects, waitpid(-1, WNOHANG) should find no child at all "
        << "(ECHILD), but it "
        << (found > 0 ? "reaped child " + std::to_string(found) + ", a zombie nobody had collected"
                      : found == 0 ? std::string("found a child still running") : "failed with " + std::to_string(error))
        << (more > 0 ? " (and " + std::to_string(more) + " more)" : "")
        << ". A child that has ended stays in the process table as a zombie until its parent calls waitpid(): "
        << "~Process() must join a child that nobody joined.";
}

TEST(ProcessHidden, DestructorWaitsForARunningChild) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ct::step("~Process() of a child that works for 200 ms must return");
    {
        auto child = cc::Process::spawn([out = fds[1]] {
            std::this_thread::sleep_for(200ms);
            return ::write(out, "done", 4) == 4 ? 0 : 1;
        });
    }
    ::close(fds[1]);
    const std::string written = read_available(fds[0]);
    ::close(fds[0]);
    errno = 0;
    const bool no_child = ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
    if (!no_child) {
        reap_leftovers();
    }
    EXPECT_EQ(written, "done") << "~Process() returned before the child had finished its 200 ms of work (it had "
                               << (written.empty() ? "written nothing yet" : "written \"" + written + "\"")
                               << "): the destructor must wait for the child (join), not leave it running or kill it";
    EXPECT_TRUE(no_child) << "after ~Process() a child was left over (running or a zombie): the destructor must reap it";
}

TEST(ProcessHidden, BufferedOutputAppearsExactlyOnce) {
    // stdout goes to a pipe of this test for the duration: text without a newline stays in
    // stdio's buffer until somebody flushes it, whether stdout is a pipe or a terminal.
    std::fflush(stdout);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const int saved = ::dup(STDOUT_FILENO);
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[1]);
    std::printf("[parent before]");
    int code = -1;
    {
        ct::step("spawn() and join() of a child that prints without a newline must finish");
        auto child = cc::Process::spawn([] {
            std::printf("[child]");
            return 0;
        });
        code = child.join();
    }
    std::printf("[parent after]");
    std::fflush(stdout);
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    const std::string output = read_available(fds[0]);
    ::close(fds[0]);
    EXPECT_EQ(code, 0);
    const int before = count_of(output, "[parent before]");
    const int child = count_of(output, "[child]");
    const int after = count_of(output, "[parent after]");
    EXPECT_EQ(before, 1) << "the parent printed \"[parent before]\" (still in stdout's buffer) and then called spawn(); "
                         << "it appeared " << before << " times in the output \"" << output << "\". "
                         << (before > 1 ? "fork() copied the unwritten buffer into the child, and the child wrote it "
                                          "as well: flush the parent's streams (fflush(nullptr)) before fork()."
                                        : "It was lost.");
    EXPECT_EQ(child, 1) << "the child printed \"[child]\" without a newline and returned; it appeared " << child
                        << " times in the output \"" << output << "\". "
                        << (child == 0 ? "_exit() does not flush stdio buffers: the child must fflush(nullptr) "
                                         "before it calls _exit()."
                                       : "");
    EXPECT_EQ(after, 1) << "\"[parent after]\" appeared " << after << " times in \"" << output << "\"";
    if (before == 1 && child == 1 && after == 1) {
        EXPECT_EQ(output, "[parent before][child][parent after]") << "the texts came out in the wrong order";
    }
}

// The parent's exit handlers must run once, in the parent. One that writes to a pipe whenever it
// runs in another process shows a child that left through exit() or returned into the parent's code.
int g_exit_probe = -1;
pid_t g_probe_owner = 0;

void exit_probe() {
    if (g_exit_probe >= 0 && ::getpid() != g_probe_owner) {
        const pid_t me = ::getpid();
        (void)!::write(g_exit_probe, &me, sizeof me);
    }
}

TEST(ProcessHidden, ChildNeverRunsTheParentsExitHandlers) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    g_exit_probe = fds[1];
    g_probe_owner = ::getpid();
    std::atexit(exit_probe);
    ct::step("spawn() and join() of a child that returns 7 must finish");
    const int code = cc::Process::spawn([] { return 7; }).join();
    ct::step("spawn() and join() of a child whose fn throws must finish");
    int thrown_code = -1;
    try {
        thrown_code = cc::Process::spawn([]() -> int { throw std::runtime_error("from the child"); }).join();
    } catch (...) {
        if (::getpid() != g_probe_owner) {
            // The child's exception came out of spawn(): this is the parent's test code, running
            // in the child. End the copy here, with a code the parent recognises.
            ::_exit(77);
        }
        throw;
    }
    g_exit_probe = -1;
    ::close(fds[1]);
    const std::string ran = read_available(fds[0]);
    ::close(fds[0]);
    EXPECT_EQ(code, 7);
    EXPECT_NE(thrown_code, 77) << "the exception thrown by fn came out of spawn() in the child: the child then ran the "
                               << "parent's code after spawn(). Catch everything around fn in the child (exit code 1).";
    EXPECT_TRUE(ran.empty()) << "the parent's atexit handler ran in " << ran.size() / sizeof(pid_t)
                             << " child process(es): the child left through exit() (or returned from main), which "
                             << "runs the parent's exit handlers, static destructors and stdio flushes a second time. "
                             << "A forked child must end with _exit().";
}

TEST(ProcessHidden, ExceptionInTheChildIsExitCodeOne) {
    ct::step("spawn() and join() of children whose fn throws must finish");
    const pid_t owner = ::getpid();
    int codes[2] = {-1, -1};
    try {
        codes[0] = cc::Process::spawn([]() -> int { throw std::runtime_error("boom"); }).join();
        codes[1] = cc::Process::spawn([]() -> int { throw 42; }).join();
    } catch (...) {
        if (::getpid() != owner) {
            ::_exit(77);  // see ChildNeverRunsTheParentsExitHandlers
        }
        throw;
    }
    EXPECT_EQ(codes[0], 1) << "fn threw std::runtime_error: the child must end with exit code 1 (Python's exit code "
                           << "for an exception in run())"
                           << (codes[0] == 77 ? ", but the exception came out of spawn() in the child" : "");
    EXPECT_EQ(codes[1], 1) << "fn threw an int (not a std::exception): still exit code 1 (catch (...))"
                           << (codes[1] == 77 ? ", but the exception came out of spawn() in the child" : "");
}

TEST(ProcessHidden, MoveAndJoinRules) {
    ct::step("spawn(), moves and join() of children that return at once must finish");
    auto first = cc::Process::spawn([] { return 1; });
    const pid_t first_pid = first.pid();
    cc::Process moved(std::move(first));
    EXPECT_EQ(moved.pid(), first_pid) << "a moved-to Process has the child";
    EXPECT_FALSE(first.joinable()) << "a moved-from Process has no child to join";  // NOLINT(bugprone-use-after-move)
    EXPECT_THROW(first.join(), std::logic_error) << "join() on a moved-from Process must throw std::logic_error";
    EXPECT_EQ(moved.join(), 1);
    EXPECT_THROW(moved.join(), std::logic_error) << "a second join() must throw std::logic_error";
    EXPECT_EQ(moved.pid(), first_pid) << "pid() still names the child after join()";

    auto second = cc::Process::spawn([] { return 2; });
    const pid_t second_pid = second.pid();
    auto third = cc::Process::spawn([] { return 3; });
    second = std::move(third);  // second's own child must be joined (reaped) first
    errno = 0;
    const bool reaped = ::waitpid(second_pid, nullptr, WNOHANG) == -1 && errno == ECHILD;
    if (!reaped) {
        second.join();
        reap_leftovers();
    }
    EXPECT_TRUE(reaped) << "move-assigning onto a Process that still had a child must join that child first; it was "
                        << "left unreaped";
    if (reaped) {
        EXPECT_EQ(second.join(), 3) << "after the move assignment the Process has the other child";
    }
}

}  // namespace
