#include "stall_watch.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace grade {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(UntimedBlock, FutexWaitsWithoutATimeoutAndWaitsForChildren) {
    // nr, six arguments, stack pointer, program counter (as /proc/<pid>/task/<tid>/syscall shows them)
    EXPECT_TRUE(untimed_block("202 0x7f12 0x80 0x2 0x0 0x0 0xffffffff 0x7ffd 0x7f00"));  // FUTEX_WAIT_PRIVATE
    EXPECT_TRUE(untimed_block("202 0x7f12 0x189 0x0 0x0 0x0 0xffffffff 0x7ffd 0x7f00"));  // WAIT_BITSET|PRIVATE|REALTIME
    EXPECT_TRUE(untimed_block("61 0xffffffffffffffff 0x7ffd 0x0 0x0 0x0 0x0 0x7ffd 0x7f00"));  // wait4
    EXPECT_TRUE(untimed_block("247 0x0 0x0 0x7ffd 0x4 0x0 0x0 0x7ffd 0x7f00"));  // waitid
}

TEST(UntimedBlock, AnythingThatCanEndByItselfIsNot) {
    EXPECT_FALSE(untimed_block("202 0x7f12 0x80 0x2 0x7ffd1000 0x0 0xffffffff 0x7ffd 0x7f00"));  // timed futex wait
    EXPECT_FALSE(untimed_block("202 0x7f12 0x81 0x1 0x0 0x0 0x0 0x7ffd 0x7f00"));  // FUTEX_WAKE
    EXPECT_FALSE(untimed_block("230 0x1 0x0 0x7ffd 0x0 0x0 0x0 0x7ffd 0x7f00"));   // clock_nanosleep
    EXPECT_FALSE(untimed_block("7 0x7ffd 0x1 0xffffffff 0x0 0x0 0x0 0x7ffd 0x7f00"));  // poll, even untimed
    EXPECT_FALSE(untimed_block("0 0x3 0x7ffd 0x1000 0x0 0x0 0x0 0x7ffd 0x7f00"));  // read
    EXPECT_FALSE(untimed_block("running"));
    EXPECT_FALSE(untimed_block("-1 0x7ffd 0x7f00"));
    EXPECT_FALSE(untimed_block(""));
    EXPECT_FALSE(untimed_block("garbage 0xzz"));
}

TreeSample blocked(int threads, long ticks) { return {threads, 0, threads, false, ticks}; }

TEST(StallWatch, BlockedForGoodOnlyAfterAQuietWindowWithoutCpu) {
    StallWatch watch(3s);
    const auto t0 = Clock::now();
    EXPECT_FALSE(watch.observe(blocked(3, 100), t0));
    EXPECT_FALSE(watch.observe(blocked(3, 100), t0 + 2s));
    const auto stall = watch.observe(blocked(3, 100), t0 + 3s);
    ASSERT_TRUE(stall);
    EXPECT_EQ(stall->kind, StallKind::blocked);
    EXPECT_EQ(stall->quiet, 3000ms);
}

TEST(StallWatch, CpuUsedOrAThreadAwakeStartsTheWindowAgain) {
    StallWatch watch(3s);
    const auto t0 = Clock::now();
    watch.observe(blocked(3, 100), t0);
    EXPECT_FALSE(watch.observe(blocked(3, 101), t0 + 2s));  // a thread ran in between
    EXPECT_FALSE(watch.observe(blocked(3, 101), t0 + 4s));  // only 2 s quiet since then
    EXPECT_FALSE(watch.observe({3, 0, 2, false, 101}, t0 + 5s));  // one thread in a timed wait
    EXPECT_FALSE(watch.observe(blocked(3, 101), t0 + 7s));
    EXPECT_TRUE(watch.observe(blocked(3, 101), t0 + 10s));
}

TEST(StallWatch, APosixTimerCouldStillWakeTheTest) {
    StallWatch watch(1s);
    const auto t0 = Clock::now();
    for (int i = 0; i < 10; ++i) {
        EXPECT_FALSE(watch.observe({2, 0, 2, true, 5}, t0 + std::chrono::seconds(i)));
    }
}

TEST(StallWatch, StoppedWhenEveryThreadIsStoppedTwiceInARow) {
    StallWatch watch(3s);
    const auto t0 = Clock::now();
    EXPECT_FALSE(watch.observe({4, 4, 0, false, 9}, t0));
    EXPECT_FALSE(watch.observe({4, 3, 0, false, 9}, t0 + 500ms));  // continued in between
    EXPECT_FALSE(watch.observe({4, 4, 0, false, 9}, t0 + 1s));
    const auto stall = watch.observe({4, 4, 0, false, 9}, t0 + 1500ms);
    ASSERT_TRUE(stall);
    EXPECT_EQ(stall->kind, StallKind::stopped);
}

TEST(StallWatch, NothingToSayAboutAProcessThatIsGone) {
    StallWatch watch(0s);
    EXPECT_FALSE(watch.observe({}, Clock::now()));
    EXPECT_FALSE(watch.observe({}, Clock::now()));
}

// The /proc side, on real processes: a child whose two threads deadlock on each other's join,
// one that stops itself, and one that sleeps.
pid_t fork_child(void (*body)()) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        body();
        ::_exit(0);
    }
    return pid;
}

void reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
}

TEST(SampleTree, SeesThreadsBlockedForGood) {
    const pid_t pid = fork_child([] {
        std::mutex m;
        std::condition_variable cv;
        std::thread waiter([&] {
            std::unique_lock lock(m);
            cv.wait(lock, [] { return false; });
        });
        waiter.join();
    });
    TreeSample sample;
    for (int i = 0; i < 100 && !(sample.threads == 2 && sample.blocked_for_good == 2); ++i) {
        std::this_thread::sleep_for(20ms);
        sample = sample_tree(pid);
    }
    reap(pid);
    EXPECT_EQ(sample.threads, 2);
    EXPECT_EQ(sample.blocked_for_good, 2) << "a condition-variable wait and a join, both untimed";
    EXPECT_EQ(sample.stopped, 0);
    EXPECT_FALSE(sample.timers);
}

TEST(SampleTree, SeesAStoppedProcessAndItsChildren) {
    const pid_t pid = fork_child([] {
        ::setpgid(0, 0);  // a group of its own, so that the test can kill the grandchild with it
        if (::fork() == 0) {
            ::raise(SIGSTOP);
            ::_exit(0);
        }
        ::raise(SIGSTOP);
    });
    TreeSample sample;
    for (int i = 0; i < 100 && sample.stopped < 2; ++i) {
        std::this_thread::sleep_for(20ms);
        sample = sample_tree(pid);
    }
    ::kill(-pid, SIGKILL);
    EXPECT_EQ(sample.threads, 2);
    EXPECT_EQ(sample.stopped, 2);
    reap(pid);
}

TEST(SampleTree, ASleepIsNotBlockedForGood) {
    const pid_t pid = fork_child([] { std::this_thread::sleep_for(10s); });
    std::this_thread::sleep_for(100ms);
    const auto sample = sample_tree(pid);
    reap(pid);
    EXPECT_EQ(sample.threads, 1);
    EXPECT_EQ(sample.blocked_for_good, 0);
}

}  // namespace
}  // namespace grade
