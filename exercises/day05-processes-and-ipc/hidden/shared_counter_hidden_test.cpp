// Misconceptions: "fork() shares my memory" (only a MAP_SHARED mapping is shared; MAP_PRIVATE
// memory, like the heap, is copied, so each process counts on its own copy), and "a std::mutex
// protects shared memory from other processes too" (it excludes them, but a waiter it puts to
// sleep in the kernel is only ever woken by its own process: an unlock() in another process never
// wakes it, and it sleeps for good). Hidden tests for task 3.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "ct/ct.hpp"
#include "shared_counter.hpp"

namespace {

using namespace std::chrono_literals;

// A child this test forks itself (so that only task 3 is tested): killed and reaped by the
// destructor if it is still there.
class Child {
public:
    template <class Body>
    explicit Child(Body body) {
        std::fflush(nullptr);
        m_pid = ::fork();
        if (m_pid == 0) {
            int code = 100;
            try {
                code = body();
            } catch (...) {
                code = 101;
            }
            ::_exit(code);
        }
    }
    ~Child() { kill_and_reap(); }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return m_pid; }
    bool ended() const { return m_status.has_value(); }
    int status() const { return m_status.value_or(0); }

    // Reaps the child if it has ended; true if it has.
    bool poll() {
        if (!m_status && m_pid > 0) {
            int status = 0;
            if (::waitpid(m_pid, &status, WNOHANG) == m_pid) {
                m_status = status;
            }
        }
        return m_status.has_value();
    }
    void kill_and_reap() {
        if (m_pid > 0 && !m_status) {
            ::kill(m_pid, SIGKILL);
            int status = 0;
            ::waitpid(m_pid, &status, 0);
            m_status = status;
        }
    }

private:
    pid_t m_pid = -1;
    std::optional<int> m_status;
};

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A process's scheduler state (R, S, D, Z, ...) and its current system call (202 is futex), from
// /proc; '?' and -2 when /proc cannot tell.
char state_of(pid_t pid) {
    const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
}

long syscall_of(pid_t pid) {
    std::istringstream in(read_text("/proc/" + std::to_string(pid) + "/syscall"));
    std::string word;
    if (!(in >> word)) {
        return -2;
    }
    if (word == "running") {
        return -1;
    }
    try {
        return std::stol(word);
    } catch (...) {
        return -2;
    }
}

constexpr long sys_futex = 202;

std::string describe_status(int status) {
    if (WIFSIGNALED(status)) {
        return "was killed by signal " + std::to_string(WTERMSIG(status)) +
               (WTERMSIG(status) == SIGABRT ? " (SIGABRT: glibc's own mutex checks abort when one mutex is used by "
                                              "several processes without PTHREAD_PROCESS_SHARED)"
                                            : "");
    }
    return "ended with exit code " + std::to_string(WEXITSTATUS(status)) +
           (WEXITSTATUS(status) == 101 ? " (an exception in add())" : "");
}

// value() called in this process on a thread of its own, with `limit` to return. A lock that
// strands its waiters can strand this process's own call as well, and the test must still be able
// to say what it saw. The thread is left behind if it does not return (the test then fails).
struct Look {
    std::optional<long> value;
    pid_t tid = 0;  // the thread that called value()
};
Look value_within(const cc::SharedCounter& counter, std::chrono::milliseconds limit) {
    auto result = std::make_shared<std::promise<long>>();
    auto tid = std::make_shared<std::atomic<pid_t>>(0);
    auto future = result->get_future();
    std::thread([&counter, result, tid] {
        tid->store(::gettid());
        result->set_value(counter.value());
    }).detach();
    if (future.wait_for(limit) != std::future_status::ready) {
        return {std::nullopt, tid->load()};
    }
    return {future.get(), tid->load()};
}

TEST(SharedCounterHidden, FourProcessesTwoHundredThousandAddsEach) {
    constexpr int processes = 4;
    constexpr long adds = 200'000;
    constexpr int rounds = 10;
    cc::SharedCounter counter;
    for (int round = 0; round < rounds; ++round) {
        const long before = counter.value();
        // All four start together (they wait for a byte each on the gate pipe), so that they
        // really compete for the counter instead of running one after another.
        int gate[2];
        ASSERT_EQ(::pipe(gate), 0);
        std::vector<std::unique_ptr<Child>> children;
        for (int p = 0; p < processes; ++p) {
            children.push_back(std::make_unique<Child>([&] {
                ::close(gate[1]);
                char go = 0;
                if (::read(gate[0], &go, 1) != 1) {
                    return 102;
                }
                for (long i = 0; i < adds; ++i) {
                    counter.add(1);
                }
                return 0;
            }));
            ASSERT_GT(children.back()->pid(), 0) << "fork() failed";
        }
        ::close(gate[0]);
        const std::array<char, processes> go{};
        ASSERT_EQ(::write(gate[1], go.data(), go.size()), processes);
        ::close(gate[1]);

        ct::step("round " + std::to_string(round + 1) + ": 4 processes x 200000 add(1) must finish");
        // Wait for the four. Stuck means: every unfinished child asleep in a futex wait (the
        // kernel's sleep behind a mutex) while the counter does not move, 10 looks in a row
        // 50 ms apart. Nobody can wake such a child any more.
        // Between looks the adders are stopped in turn for 10 ms each (SIGSTOP, then SIGCONT): the
        // preemption that, with a lock, makes the others wait for its holder, forced many times a
        // round instead of left to the scheduler. A correct counter only slows down; a lock whose waiters only
        // their own process can wake strands them.
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        const std::string stranded_parent =
            "value() called in the test's own process did not return within 2 s while the adding processes "
            "were running: ";
        const auto parent_stuck = [&](const Look& look) {
            std::string seen = stranded_parent;
            if (look.tid > 0 && state_of(look.tid) == 'S' && syscall_of(look.tid) == sys_futex) {
                seen += "the calling thread is asleep in a futex wait (the kernel's sleep behind a mutex) and no adding "
                        "process can wake it. That is what a mutex that is not process-shared (a std::mutex) does in "
                        "shared memory: a waiter it puts to sleep is only woken by an unlock() in its own process. "
                        "Use a lock-free std::atomic<long>, or a pthread mutex made PTHREAD_PROCESS_SHARED.";
            } else {
                seen += "value() must not wait for other processes for long.";
            }
            return seen;
        };
        auto first = value_within(counter, 2s);
        if (!first.value) {
            for (auto& child : children) {
                child->kill_and_reap();
            }
            FAIL() << "round " << round + 1 << ": " << parent_stuck(first);
        }
        long last_value = *first.value;
        int quiet_looks = 0;
        std::size_t next_to_stop = static_cast<std::size_t>(round) % children.size();
        std::string stuck;
        for (;;) {
            int running = 0;
            for (auto& child : children) {
                running += child->poll() ? 0 : 1;
            }
            if (running == 0) {
                break;
            }
            // Ten stops of 10 ms, one adder after another, then a look. 10 ms: on a loaded CPU the
            // others must get a turn while the holder is stopped, or nobody comes to wait. No stop
            // once an adder sleeps in a futex wait: a stop and continue interrupts that wait, and
            // the lock would take the stranded waiter back in.
            for (int stop = 0; stop < 10; ++stop) {
                bool someone_waits = false;
                for (auto& other : children) {
                    if (!other->poll() && state_of(other->pid()) == 'S' && syscall_of(other->pid()) == sys_futex) {
                        someone_waits = true;
                    }
                }
                if (someone_waits) {
                    std::this_thread::sleep_for(12ms);
                    continue;
                }
                auto& child = children[next_to_stop];
                next_to_stop = (next_to_stop + 1) % children.size();
                if (!child->poll()) {
                    ::kill(child->pid(), SIGSTOP);
                    std::this_thread::sleep_for(10ms);
                    ::kill(child->pid(), SIGCONT);
                }
                std::this_thread::sleep_for(2ms);
            }
            const auto look = value_within(counter, 2s);
            if (!look.value) {
                stuck = parent_stuck(look);
                break;
            }
            const long now = *look.value;
            int asleep_in_futex = 0;
            for (auto& child : children) {
                if (!child->poll() && state_of(child->pid()) == 'S' && syscall_of(child->pid()) == sys_futex) {
                    ++asleep_in_futex;
                }
            }
            int still_running = 0;
            for (auto& child : children) {
                still_running += child->ended() ? 0 : 1;
            }
            quiet_looks = (now == last_value && still_running > 0 && asleep_in_futex == still_running) ? quiet_looks + 1
                                                                                                         : 0;
            last_value = now;
            if (quiet_looks >= 10) {
                stuck = std::to_string(still_running) + " of the 4 processes are asleep in a futex wait (the kernel's "
                        "sleep behind a mutex), and the counter has stayed at " + std::to_string(now) +
                        " for half a second: nobody will ever wake them. That is what a mutex that is not "
                        "process-shared (a std::mutex) does in shared memory: it keeps the processes out of each "
                        "other's way, but a waiter it puts to sleep is only woken by an unlock() in its own process. "
                        "Use a lock-free std::atomic<long>, or a pthread mutex made PTHREAD_PROCESS_SHARED.";
                break;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stuck = std::to_string(still_running) + " of the 4 processes had not finished their 200000 adds after "
                        "20 s (the counter was at " + std::to_string(now) + ")";
                break;
            }
        }
        if (!stuck.empty()) {
            for (auto& child : children) {
                child->kill_and_reap();
            }
            FAIL() << "round " << round + 1 << " of " << rounds << ": 4 processes x 200000 add(1) on one counter: "
                   << stuck;
        }
        for (std::size_t p = 0; p < children.size(); ++p) {
            const int status = children[p]->status();
            ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
                << "round " << round + 1 << ": adding process " << p + 1 << " " << describe_status(status);
        }
        const auto after = value_within(counter, 2s);
        ASSERT_TRUE(after.value.has_value()) << "round " << round + 1 << ": " << parent_stuck(after);
        const long added = *after.value - before;
        if (added == 0) {
            FAIL() << "4 processes forked after the counter was made each called add(1) 200000 times, and the parent's "
                   << "value() did not move (" << before << "): the children counted in memory of their own. fork() "
                   << "copies ordinary memory (the heap, the stack, a MAP_PRIVATE mapping) on the first write; only a "
                   << "MAP_SHARED mapping stays the same memory in parent and child.";
        }
        ASSERT_EQ(added, processes * adds)
            << "round " << round + 1 << " of " << rounds << ": 4 processes x 200000 add(1) moved the counter by "
            << added << " instead of 800000: " << processes * adds - added << " adds were lost. An add that is a "
            << "load and then a store lets another process's adds in between; it must be one atomic step (a lock-free "
            << "std::atomic<long>, or a process-shared mutex around it).";
    }
}

TEST(SharedCounterHidden, ParentAndChildSeeEachOthersAdds) {
    cc::SharedCounter counter;
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    // The child waits until the parent has added 5 (after the fork), checks that it sees them,
    // and adds 10. Exit code: 0, or 10 + what it saw.
    Child child([&] {
        ::close(go[1]);
        char byte = 0;
        if (::read(go[0], &byte, 1) != 1) {
            return 102;
        }
        const long seen = counter.value();
        counter.add(10);
        return seen == 5 ? 0 : static_cast<int>(10 + std::min(seen, 50L));
    });
    ASSERT_GT(child.pid(), 0) << "fork() failed";
    ::close(go[0]);
    counter.add(5);
    ASSERT_EQ(::write(go[1], "x", 1), 1);
    ::close(go[1]);
    ct::step("a child that adds 10 to the counter must end");
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!child.poll() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(child.ended()) << "the child did not end within 10 s";
    const int status = child.status();
    ASSERT_TRUE(WIFEXITED(status)) << "the child " << describe_status(status);
    const int code = WEXITSTATUS(status);
    EXPECT_EQ(code, 0) << "the parent added 5 after the fork, then told the child; the child's value() was "
                       << code - 10 << ": adds made by the parent after the fork must be visible in the child (the "
                       << "memory must be MAP_SHARED, not copied)";
    EXPECT_EQ(counter.value(), 15) << "the parent added 5 and the child 10: the parent must see 15";
}

TEST(SharedCounterHidden, NegativeAndLargeDeltas) {
    cc::SharedCounter counter;
    EXPECT_EQ(counter.value(), 0) << "a new counter starts at 0";
    counter.add(-7);
    EXPECT_EQ(counter.value(), -7);
    counter.add(1L << 40);
    EXPECT_EQ(counter.value(), (1L << 40) - 7) << "add() takes a long: 2^40 must not be cut to 32 bits";
    counter.add(-(1L << 41));
    EXPECT_EQ(counter.value(), -(1L << 40) - 7);
}

// VmSize of this process in KiB.
long vm_size_kib() {
    std::istringstream in(read_text("/proc/self/status"));
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmSize:", 0) == 0) {
            return std::stol(line.substr(7));
        }
    }
    return 0;
}

TEST(SharedCounterHidden, DestructorUnmapsItsMemory) {
    {
        cc::SharedCounter warm_up;  // whatever the first counter maps once (and keeps) is not a leak
    }
    const long before = vm_size_kib();
    for (int i = 0; i < 1000; ++i) {
        cc::SharedCounter counter;
        counter.add(i);
    }
    const long grown = vm_size_kib() - before;
    EXPECT_LT(grown, 1024) << "creating and destroying 1000 SharedCounters grew the process's mapped memory by " << grown
                           << " KiB: ~SharedCounter() must munmap() what the constructor mapped (a mapping is at "
                           << "least a 4 KiB page, so 1000 forgotten ones are about 4000 KiB)";
}

}  // namespace
