#include "gradebook.hpp"

#include <gtest/gtest.h>

namespace grade {
namespace {

TEST(GradebookTest, CsvFieldsAreQuotedAndFormulasStayText) {
    EXPECT_EQ(csv_field("alice"), "alice");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
    EXPECT_EQ(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
}

GradebookRow row(const std::string& id, double score, const std::string& status = "graded") {
    GradebookRow r;
    r.student.id = id;
    r.frozen.sha = "abc";
    r.frozen.fetched_at = 100;
    r.days["day01"] = RunRecord{.student = id, .day = "day01", .status = status, .score = score, .max_score = 10};
    return r;
}

TEST(GradebookTest, OneRowPerStudentWithFlagsAndReasons) {
    auto late = row("bob", 5);
    late.frozen.late_seconds = 7200;
    late.frozen.rewritten = "history rewritten: x";
    auto missing = row("carol", 0, "no_submission");
    missing.days["day01"].reason = "commit abc has no directory day01";
    const auto csv = gradebook_csv({row("alice", 10), late, missing}, {"day01"});
    EXPECT_EQ(csv,
              "student,commit,fetched_at,claimed_commit_date,late,late_by,rewritten_history,day01,total,notes\n"
              "alice,abc,1970-01-01T00:01:40Z,,no,,no,10,10,\n"
              "bob,abc,1970-01-01T00:01:40Z,,yes,2.0 h,yes,5,5,history rewritten: x\n"
              "carol,abc,1970-01-01T00:01:40Z,,no,,no,0,0,day01: commit abc has no directory day01\n");
}

TEST(GradebookTest, SummaryHasTheDistributionAndTheMostFailedTests) {
    auto a = row("a", 10);
    auto b = row("b", 4);
    TestResult failed;
    failed.name = "CounterHidden.NoRace";
    failed.outcome = Outcome::sanitizer;
    b.results["day01"].tests.push_back(failed);
    const auto summary = summary_markdown({a, b, row("c", 0, "error")}, {"day01"}, {"r.yaml:3: bad"});
    EXPECT_NE(summary.find("1 error, 2 graded"), std::string::npos) << summary;
    EXPECT_NE(summary.find("mean 7.0, median 10, min 4, max 10 (of 10)"), std::string::npos) << summary;
    EXPECT_NE(summary.find("| CounterHidden.NoRace | 1 |"), std::string::npos);
    EXPECT_NE(summary.find("- r.yaml:3: bad"), std::string::npos);
    EXPECT_NE(summary.find("- c day01: error"), std::string::npos);
}

TEST(GradebookTest, FeedbackMarkdownExplainsLateAndFailures) {
    auto r = row("bob", 5);
    r.frozen.late_seconds = 3600;
    TestResult failed;
    failed.name = "EventHidden.NoLostWakeup";
    failed.outcome = Outcome::deadlock;
    failed.max_score = 5;
    failed.task = 1;
    failed.message = "lost wakeup\nseed 3";
    r.results["day01"].tests.push_back(failed);
    const auto md = student_markdown(r);
    EXPECT_NE(md.find("**Late:** first fetched 1.0 h after your deadline"), std::string::npos) << md;
    EXPECT_NE(md.find("- **EventHidden.NoLostWakeup** (deadlock, 0/5, task 1)"), std::string::npos) << md;
    EXPECT_NE(md.find("  lost wakeup\n  seed 3\n"), std::string::npos) << md;
}

}  // namespace
}  // namespace grade
