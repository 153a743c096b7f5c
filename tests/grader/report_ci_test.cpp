#include "report_ci.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>

namespace grade {
namespace {

DaySpec day() {
    DaySpec d;
    d.dir = "day03-coordination-primitives";
    d.files = {"event.hpp", "event.cpp"};
    return d;
}

DayResult result() {
    DayResult r;
    r.day = "day03-coordination-primitives";
    r.score = 3;
    r.max_score = 10;
    TestResult pass;
    pass.name = "EventPublic.SetThenWait";
    pass.outcome = Outcome::pass;
    pass.max_score = pass.score = 3;
    TestResult hang;
    hang.name = "EventHidden.NoLostWakeup";
    hang.outcome = Outcome::deadlock;
    hang.max_score = 7;
    hang.task = 1;
    hang.message = "Deadlock: thread 2 waits forever at event.cpp:17: `cv_.wait(lk);`\n100% done, a:b";
    r.tests = {pass, hang};
    return r;
}

TEST(ReportCiTest, LocatesTheStudentsLineInADiagnosisOrACompilerError) {
    const auto at = locate_in_message("... at event.cpp:17: `x` and event.hpp:3", day());
    ASSERT_TRUE(at);
    EXPECT_EQ(at->path, "day03-coordination-primitives/event.cpp");  // the first one the message names
    EXPECT_EQ(at->line, 17);
    EXPECT_FALSE(locate_in_message("at other_event.cpp:17", day()));
    const auto build = locate_build_error(
        "day03-coordination-primitives/event.cpp: In function 'f':\n"
        "day03-coordination-primitives/event.cpp:12:5: error: expected ';'\n",
        day());
    ASSERT_TRUE(build);
    EXPECT_EQ(build->path, "day03-coordination-primitives/event.cpp");
    EXPECT_EQ(build->line, 12);
}

TEST(ReportCiTest, GithubCommandsAnnotateFailuresAndEndWithPoints) {
    const auto text = github_commands(result(), day());
    EXPECT_EQ(text,
              "::error file=day03-coordination-primitives/event.cpp,line=17,title=EventHidden.NoLostWakeup (deadlock%2C "
              "0/7)::Deadlock: thread 2 waits forever at event.cpp:17: `cv_.wait(lk);`%0A100%25 done, a:b\n"
              "::notice title=Points::Points 3/10 (day03-coordination-primitives)\n")
        << text;
}

TEST(ReportCiTest, JunitIsValidXmlWithOneCasePerTest) {
    pugi::xml_document doc;
    ASSERT_TRUE(doc.load_string(junit_xml(result()).c_str()));
    const auto suite = doc.child("testsuites").child("testsuite");
    EXPECT_EQ(std::string(suite.attribute("tests").value()), "2");
    EXPECT_EQ(std::string(suite.attribute("failures").value()), "1");
    const auto failed = suite.find_child_by_attribute("testcase", "name", "EventHidden.NoLostWakeup");
    EXPECT_EQ(std::string(failed.child("failure").attribute("type").value()), "deadlock");
    EXPECT_NE(std::string(failed.child("failure").text().get()).find("event.cpp:17"), std::string::npos);
    EXPECT_TRUE(suite.find_child_by_attribute("testcase", "name", "EventPublic.SetThenWait").first_child().empty());
}

TEST(ReportCiTest, GithubSummaryIsATable) {
    const auto md = github_summary(result());
    EXPECT_NE(md.find("### day03-coordination-primitives: 3/10"), std::string::npos);
    EXPECT_NE(md.find("| ❌ | EventHidden.NoLostWakeup | 1 | 0/7 | deadlock |"), std::string::npos) << md;
}

}  // namespace
}  // namespace grade
