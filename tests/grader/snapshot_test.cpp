#include "snapshot.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <fstream>

namespace grade {
namespace {
namespace fs = std::filesystem;

Observation seen(std::int64_t at, std::string sha) { return Observation{.student = "s", .sha = std::move(sha), .fetched_at = at}; }

// A linear history: every commit descends from every earlier one, unless named "rewrite...".
bool linear(const std::string& later, const std::string& earlier) {
    return later == earlier || !later.starts_with("rewrite");
}

TEST(FreezeTest, GradesTheLastCommitFetchedByTheDeadline) {
    const auto frozen = freeze({seen(10, "a"), seen(20, "b"), seen(40, "c")}, 30, 0, linear);
    EXPECT_EQ(frozen.sha, "b");
    EXPECT_EQ(frozen.late_seconds, 0);
    EXPECT_TRUE(frozen.rewritten.empty());
}

TEST(FreezeTest, NothingByTheDeadlineMeansTheFirstLaterCommitFlaggedLate) {
    Observation failed = seen(10, "");
    failed.error = "unreachable";
    const auto frozen = freeze({failed, seen(50, "x"), seen(90, "y")}, 30, 0, linear);
    EXPECT_EQ(frozen.sha, "x");
    EXPECT_EQ(frozen.late_seconds, 20);
}

TEST(FreezeTest, ExtensionDaysMoveTheDeadline) {
    const auto frozen = freeze({seen(10, "a"), seen(10 + 86400, "b")}, 20, 1, linear);
    EXPECT_EQ(frozen.sha, "b");
    EXPECT_EQ(frozen.late_seconds, 0);
}

TEST(FreezeTest, ALaterFetchThatDoesNotDescendFlagsRewrittenHistory) {
    const auto frozen = freeze({seen(10, "a"), seen(50, "rewrite1")}, 30, 0, linear);
    EXPECT_EQ(frozen.sha, "a");
    EXPECT_NE(frozen.rewritten.find("does not contain the graded commit a"), std::string::npos) << frozen.rewritten;
}

TEST(FreezeTest, NeverFetchedSaysWhy) {
    Observation failed = seen(10, "");
    failed.error = "no repository at x";
    EXPECT_EQ(freeze({failed}, 30, 0, linear).error, "no repository at x");
    EXPECT_EQ(freeze({}, 30, 0, linear).error, "never fetched");
}

// Whatever the fetches, the graded commit is one that was fetched, and it is late only when
// nothing was fetched by the deadline.
RC_GTEST_PROP(FreezeProperty, GradedCommitWasFetchedAndLateOnlyWhenNothingWasOnTime, ()) {
    const auto times = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 100));
    std::vector<Observation> observations;
    int t = 0;
    for (std::size_t i = 0; i < times.size(); ++i) {
        t += times[i];
        observations.push_back(seen(t, "c" + std::to_string(i)));
    }
    const int deadline = *rc::gen::inRange(0, 3000);
    const auto frozen = freeze(observations, deadline, 0, linear);
    if (observations.empty()) {
        RC_ASSERT(frozen.sha.empty());
        return;
    }
    const bool any_on_time = observations.front().fetched_at <= deadline;
    RC_ASSERT((frozen.late_seconds > 0) == !any_on_time);
    RC_ASSERT(std::any_of(observations.begin(), observations.end(), [&](const auto& o) { return o.sha == frozen.sha; }));
}

class SnapshotTest : public testing::Test {
protected:
    void SetUp() override {
        m_root = fs::temp_directory_path() / ("grade-snap-test-" + std::to_string(::getpid()));
        fs::remove_all(m_root);
        fs::create_directories(m_root);
    }
    void TearDown() override { fs::remove_all(m_root); }
    fs::path m_root;
};

TEST_F(SnapshotTest, JournalsKeepTheLatestRecordPerStudentAndDayAndSkipATornLastLine) {
    const Snapshot snap(m_root);
    RunRecord first{.student = "a", .day = "day01", .status = "graded", .score = 10, .at = 1};
    RunRecord second = first;
    second.score = 20;
    second.at = 2;
    RunRecord shard = first;
    shard.student = "b";
    ASSERT_TRUE(snap.append_run(snap.runs(1, 1), first));
    ASSERT_TRUE(snap.append_run(snap.runs(1, 1), second));
    ASSERT_TRUE(snap.append_run(snap.runs(2, 3), shard));
    std::ofstream(snap.runs(1, 1), std::ios::app) << "{\"student\": \"a\", \"da";  // killed mid-write
    const auto runs = snap.load_runs();
    ASSERT_TRUE(runs) << runs.error().message;
    ASSERT_EQ(runs->size(), 2U);
    EXPECT_EQ(runs->at({"a", "day01"}).score, 20);
    EXPECT_EQ(runs->at({"b", "day01"}).score, 10);
    EXPECT_EQ(snap.runs(2, 3).filename(), "runs.shard-2-of-3.jsonl");
}

TEST_F(SnapshotTest, ABadLineInTheMiddleIsAnErrorNamingIt) {
    const Snapshot snap(m_root);
    std::ofstream(snap.fetches()) << "not json\n{\"student\": \"a\"}\n";
    const auto fetches = snap.load_fetches();
    ASSERT_FALSE(fetches);
    EXPECT_NE(fetches.error().message.find("fetches.jsonl:1"), std::string::npos) << fetches.error().message;
}

TEST(WhyMovedTest, NamesWhatChanged) {
    RunRecord before{.sha = "aaaaaaaaaaaaaaaa", .grader = "1.0", .bundle = "b1", .toolchain = "g++ 12"};
    RunRecord after = before;
    after.bundle = "b2";
    EXPECT_EQ(why_moved(before, after), "the day's tests or harness changed");
    after.grader = "1.1";
    EXPECT_EQ(why_moved(before, after), "grader 1.0 -> 1.1; the day's tests or harness changed");
    EXPECT_EQ(why_moved(before, before), "same inputs: a flaky test or a timing verdict");
}

}  // namespace
}  // namespace grade
