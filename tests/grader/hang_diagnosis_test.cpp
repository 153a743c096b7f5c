#include "hang_diagnosis.hpp"

#include <gtest/gtest.h>

namespace grade {
namespace {

FrameInfo lock_frame(int owner) {
    FrameInfo f;
    f.func = "___pthread_mutex_lock";
    f.file = "./nptl/pthread_mutex_lock.c";
    f.mutex = 0x1000 + static_cast<std::uint64_t>(owner);
    f.owner = owner;
    return f;
}

FrameInfo at(const std::string& file, int line, const std::string& func = "cc::transfer") {
    FrameInfo f;
    f.func = func;
    f.file = "/private/student/" + file;
    f.line = line;
    return f;
}

ThreadDump thread(int number, int lwp, std::vector<FrameInfo> frames) { return {number, lwp, "t", std::move(frames)}; }

HangContext context() {
    HangContext c;
    c.student_files = {"account.cpp"};
    c.source_line = [](const std::string& file, int line) -> std::optional<std::string> {
        if (file == "account.cpp" && line == 14) {
            return std::string("std::lock_guard second(to.m);");
        }
        return std::nullopt;
    };
    return c;
}

TEST(HangDiagnosis, NamesATwoThreadCycleInWords) {
    const std::vector<ThreadDump> threads = {
        thread(1, 100, {{"__pthread_clockjoin_ex", "", 0, {}, {}, "", false}, at("x_hidden_test.cpp", 50, "TestBody")}),
        thread(2, 101, {lock_frame(102), at("account.cpp", 14)}),
        thread(3, 102, {lock_frame(101), at("account.cpp", 14)}),
    };
    const auto report = describe_hang(threads, context());
    EXPECT_EQ(report.kind, HangKind::deadlock);
    EXPECT_NE(report.text.find("thread 2 waits for a mutex held by thread 3, at account.cpp:14: "
                               "`std::lock_guard second(to.m);`"),
              std::string::npos)
        << report.text;
    EXPECT_NE(report.text.find("thread 3 waits for a mutex held by thread 2"), std::string::npos) << report.text;
    EXPECT_NE(report.text.find("std::scoped_lock"), std::string::npos) << report.text;
    EXPECT_NE(report.text.find("thread 1 (main) waits for another thread to finish"), std::string::npos) << report.text;
}

TEST(HangDiagnosis, SelfDeadlockIsNamedAsSuch) {
    const auto report = describe_hang({thread(1, 100, {lock_frame(100), at("account.cpp", 14)})}, context());
    EXPECT_EQ(report.kind, HangKind::deadlock);
    EXPECT_NE(report.text.find("locks a mutex it already holds"), std::string::npos) << report.text;
}

TEST(HangDiagnosis, ConditionWaitWithNobodyRunningIsALostWakeup) {
    FrameInfo cond;
    cond.func = "__pthread_cond_wait";
    cond.cond = true;
    auto c = context();
    c.last_step = "every waiter must return after set()";
    const auto report = describe_hang({thread(1, 100, {cond, at("account.cpp", 30, "cc::Event::wait")})}, c);
    EXPECT_EQ(report.kind, HangKind::stuck);
    EXPECT_NE(report.text.find("While: every waiter must return after set()"), std::string::npos) << report.text;
    EXPECT_NE(report.text.find("condition variable that nobody will notify"), std::string::npos) << report.text;
}

TEST(HangDiagnosis, BusyThreadsWithoutACycleAreNotCalledADeadlock) {
    auto c = context();
    c.busy = true;
    const auto report = describe_hang({thread(1, 100, {at("account.cpp", 40, "cc::spin")})}, c);
    EXPECT_EQ(report.kind, HangKind::busy);
    EXPECT_NE(report.text.find("livelock or an endless loop"), std::string::npos) << report.text;
}

TEST(HangDiagnosis, BusyThreadsThatReportedProgressAreSlowNotStuck) {
    auto c = context();
    c.busy = true;
    c.deadline_s = 30;
    c.progress = Progress{12000, 200000, "insertions"};
    const auto report = describe_hang({thread(1, 100, {at("map.hpp", 40, "cc::Map::insert")})}, c);
    EXPECT_EQ(report.kind, HangKind::busy);
    EXPECT_NE(report.text.find("12000 of 200000 insertions were done when the 30 s deadline passed"), std::string::npos)
        << report.text;
    EXPECT_NE(report.text.find("about 500 s"), std::string::npos) << report.text;
    EXPECT_EQ(report.text.find("livelock"), std::string::npos) << report.text;
}

TEST(HangDiagnosis, ProgressThatNeverMovedIsNoEvidenceOfProgress) {
    auto c = context();
    c.busy = true;
    c.deadline_s = 30;
    c.progress = Progress{0, 200000, "insertions"};
    const auto report = describe_hang({thread(1, 100, {at("map.hpp", 40, "cc::spin")})}, c);
    EXPECT_NE(report.text.find("livelock or an endless loop"), std::string::npos) << report.text;
}

TEST(HangDiagnosis, TsanBackgroundThreadIsIgnored) {
    const std::vector<ThreadDump> threads = {
        thread(1, 100, {lock_frame(100), at("account.cpp", 14)}),
        thread(2, 101, {{"__tsan::BackgroundThread(void*)", "", 0, {}, {}, "", false}}),
    };
    const auto report = describe_hang(threads, context());
    EXPECT_EQ(report.text.find("thread 2"), std::string::npos) << report.text;
}

TEST(HangDiagnosis, ParsesGdbOutput) {
    const auto threads = parse_thread_dump(
        "noise\nCTDUMP [{\"number\": 2, \"lwp\": 7, \"name\": \"x\", \"frames\": [{\"func\": \"___pthread_mutex_lock\", "
        "\"mutex\": 4096, \"owner\": 8, \"symbol\": \"g_lock\"}]}]\n[Inferior 1 detached]\n");
    ASSERT_EQ(threads.size(), 1u);
    EXPECT_EQ(threads[0].lwp, 7);
    ASSERT_TRUE(threads[0].frames[0].mutex);
    EXPECT_EQ(*threads[0].frames[0].owner, 8);
    EXPECT_EQ(threads[0].frames[0].symbol, "g_lock");
    EXPECT_TRUE(parse_thread_dump("gdb failed").empty());
}

}  // namespace
}  // namespace grade
