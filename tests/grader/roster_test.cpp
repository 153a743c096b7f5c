#include "roster.hpp"

#include <gtest/gtest.h>

namespace grade {
namespace {

TEST(RosterTest, ParsesEntriesAndResolvesPathsAgainstTheRoster) {
    const auto roster = parse_roster(R"(title: T
deadline: 2026-12-01T23:59:00+01:00
days: [day3]
students:
  - id: alice
    repo: repos/alice
    branch: main
    extension_days: 2
  - id: bob
    repo: https://git.example.edu/bob.git
)",
                                     "r.yaml", "/srv/course");
    ASSERT_TRUE(roster) << roster.error().message;
    ASSERT_EQ(roster->students.size(), 2U);
    EXPECT_EQ(roster->students[0].repo, "/srv/course/repos/alice");
    EXPECT_EQ(roster->students[0].extension_days, 2);
    EXPECT_EQ(roster->students[0].line, 5);
    EXPECT_EQ(roster->students[1].repo, "https://git.example.edu/bob.git");
    EXPECT_EQ(*roster->deadline, *parse_time("2026-12-01T22:59:00Z"));
    EXPECT_EQ(roster->days, std::vector<std::string>{"day3"});
    EXPECT_TRUE(roster->problems.empty());
}

TEST(RosterTest, BadEntriesBecomeProblemsNamingTheirLineAndTheBatchGoesOn) {
    const auto roster = parse_roster(R"(students:
  - id: alice
    repo: a
  - id: alice
    repo: b
  - repo: c
  - id: "two words"
    repo: d
  - id: carol
    brnch: main
    repo: e
  - id: dave
  - just text
)",
                                     "r.yaml", "/x");
    ASSERT_TRUE(roster) << roster.error().message;
    std::vector<std::string> ids;
    for (const auto& s : roster->students) {
        ids.push_back(s.id);
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"alice", "carol", "dave"}));
    EXPECT_NE(roster->students[1].problem.find("r.yaml:10:5: unknown key 'brnch'"), std::string::npos)
        << roster->students[1].problem;
    EXPECT_NE(roster->students[1].problem.find("did you mean 'branch'"), std::string::npos);
    EXPECT_NE(roster->students[2].problem.find("has no repo"), std::string::npos);
    ASSERT_EQ(roster->problems.size(), 6U);
    EXPECT_NE(roster->problems[0].find("r.yaml:4: student alice is listed twice (first at line 2)"), std::string::npos)
        << roster->problems[0];
    EXPECT_NE(roster->problems[1].find("r.yaml:6: a student entry without an id"), std::string::npos);
    EXPECT_NE(roster->problems[2].find("'two words' is skipped"), std::string::npos);
    EXPECT_NE(roster->problems[5].find("r.yaml:13: a student entry must be a mapping"), std::string::npos)
        << roster->problems[5];
}

TEST(RosterTest, MalformedDocumentsNameFileAndLine) {
    const auto broken = parse_roster("students:\n  - id: a\n   repo: [\n", "r.yaml", "/x");
    ASSERT_FALSE(broken);
    EXPECT_NE(broken.error().message.find("r.yaml:"), std::string::npos) << broken.error().message;
    const auto no_list = parse_roster("title: x\n", "r.yaml", "/x");
    ASSERT_FALSE(no_list);
    EXPECT_NE(no_list.error().message.find("needs a list 'students:'"), std::string::npos);
    const auto bad_deadline = parse_roster("deadline: tomorrow\nstudents: []\n", "r.yaml", "/x");
    ASSERT_FALSE(bad_deadline);
    EXPECT_NE(bad_deadline.error().message.find("r.yaml:1:11: deadline 'tomorrow'"), std::string::npos)
        << bad_deadline.error().message;
}

TEST(RosterTest, TimesNeedAZoneAndRoundTrip) {
    EXPECT_FALSE(parse_time("2026-12-01T23:59:00"));
    EXPECT_FALSE(parse_time("2026-13-01T23:59:00Z"));
    EXPECT_EQ(parse_time("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_time("1970-01-01T01:00-01:00"), 7200);
    EXPECT_EQ(format_time(*parse_time("2026-12-01 23:59:30+0100")), "2026-12-01T22:59:30Z");
}

}  // namespace
}  // namespace grade
