// Public tests for task 3 (SharedCounter). Run them with `grade day5`; the hidden tests go
// further.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ct/ct.hpp"
#include "shared_counter.hpp"

namespace {

TEST(SharedCounterPublic, ChildAddsReachTheParent) {
    cc::SharedCounter counter;
    counter.add(5);
    // A plain fork() (not cc::Process), so that this test needs only task 3.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0) << "fork() failed";
    if (child == 0) {
        for (int i = 0; i < 1000; ++i) {
            counter.add(1);
        }
        ::_exit(counter.value() >= 1005 ? 0 : 1);
    }
    ct::step("a child that adds 1000 to the counter must end");
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "the child saw the counter below 1005 after its own 1000 adds: it did not start from the parent's 5";
    EXPECT_EQ(counter.value(), 1005) << "the parent added 5, the child 1000 (after the fork): the parent must see both";
}

}  // namespace
