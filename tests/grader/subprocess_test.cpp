#include "subprocess.hpp"

#include <gtest/gtest.h>

namespace grade {
namespace {

TEST(Subprocess, CapturesOutputAndExitStatus) {
    const auto done = run({.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"}, .deadline = std::chrono::seconds(10)});
    ASSERT_TRUE(done);
    EXPECT_EQ(done->end, ProcessEnd::exited);
    EXPECT_EQ(done->exit_code, 3);
    EXPECT_EQ(done->output, "out\nerr\n");
    EXPECT_EQ(describe_end(*done), "exit status 3");
}

TEST(Subprocess, DeadlineKillsTheWholeGroupAndDiagnosesFirst) {
    bool diagnosed = false;
    Command cmd{.argv = {"sh", "-c", "sleep 30 & sleep 30"}, .deadline = std::chrono::milliseconds(300)};
    cmd.on_deadline = [&](pid_t, const std::string&) {
        diagnosed = true;
        return std::string("stuck");
    };
    const auto done = run(cmd);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->end, ProcessEnd::timed_out);
    EXPECT_TRUE(diagnosed);
    EXPECT_EQ(done->diagnosis, "stuck");
    EXPECT_LT(done->wall, std::chrono::seconds(10));  // the background sleep did not keep the pipe open
}

TEST(Subprocess, OutputBeyondTheCapIsCountedNotKept) {
    Command cmd{.argv = {"sh", "-c", "head -c 100000 /dev/zero"}, .deadline = std::chrono::seconds(10)};
    cmd.output_cap = 1000;
    const auto done = run(cmd);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->output.size(), 1000u);
    EXPECT_EQ(done->output_dropped, 99000);
}

TEST(Subprocess, SideChannelIsFdThree) {
    Command cmd{.argv = {"sh", "-c", "printf frame >&3"}, .deadline = std::chrono::seconds(10)};
    cmd.side_channel = true;
    const auto done = run(cmd);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->side, "frame");
    EXPECT_TRUE(done->output.empty());
}

TEST(Subprocess, SignalsAreReportedInWords) {
    const auto done = run({.argv = {"sh", "-c", "kill -SEGV $$"}, .deadline = std::chrono::seconds(10)});
    ASSERT_TRUE(done);
    EXPECT_EQ(done->end, ProcessEnd::signaled);
    EXPECT_NE(describe_end(*done).find("SIGSEGV"), std::string::npos);
}

TEST(Subprocess, AMissingProgramIsAnError) {
    const auto done = run({.argv = {"no-such-program-here"}, .deadline = std::chrono::seconds(10)});
    ASSERT_FALSE(done);
    EXPECT_NE(done.error().message.find("no-such-program-here"), std::string::npos);
}

TEST(Subprocess, EnvironmentIsAddedAndRemoved) {
    Command cmd{.argv = {"sh", "-c", "echo \"$GRADE_X-${HOME:-gone}\""}, .deadline = std::chrono::seconds(10)};
    cmd.env = {{"GRADE_X", "set"}};
    cmd.unset_env = {"HOME"};
    const auto done = run(cmd);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->output, "set-gone\n");
}

}  // namespace
}  // namespace grade
