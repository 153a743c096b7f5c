// Public tests for task 1 (Process). Run them with `grade day5`; the hidden tests go further.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>

#include "ct/ct.hpp"
#include "process.hpp"

namespace {

TEST(ProcessPublic, ExitCodesComeBack) {
    ct::step("spawn() of two children that return 0 and 3, and join() of both, must finish");
    auto zero = cc::Process::spawn([] { return 0; });
    auto three = cc::Process::spawn([] { return 3; });
    EXPECT_GT(zero.pid(), 0) << "pid() must be the child's process id";
    EXPECT_NE(zero.pid(), getpid()) << "pid() is this process's own id, not the child's";
    EXPECT_NE(zero.pid(), three.pid()) << "two children have two different pids";
    EXPECT_TRUE(zero.joinable()) << "a child nobody has joined yet is joinable";
    EXPECT_EQ(zero.join(), 0) << "the child's fn returned 0, so join() must return 0";
    EXPECT_EQ(three.join(), 3) << "the child's fn returned 3, so join() must return 3";
    EXPECT_FALSE(zero.joinable()) << "after join() there is nothing left to join";
}

TEST(ProcessPublic, SignalEndsAreNegative) {
    ct::step("spawn() of a child that waits for a signal must return");
    auto child = cc::Process::spawn([] {
        for (;;) {
            pause();  // until SIGTERM ends the process
        }
        return 0;
    });
    ::kill(child.pid(), SIGTERM);
    ct::step("join() of a child killed with SIGTERM must return");
    EXPECT_EQ(child.join(), -SIGTERM) << "a child ended by signal N joins as -N (Python's exitcode), here -SIGTERM";
}

}  // namespace
