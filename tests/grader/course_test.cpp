#include "course.hpp"

#include <gtest/gtest.h>

namespace grade {
namespace {

const char* const day_yaml = R"(title: A day
files: [a.hpp, a.cpp]
flavours: [release, tsan]
tasks:
  - number: 1
    title: First
    hints: [one, two]
public_tests:
  - name: APublic.Works
    task: 1
    points: 3
)";

const char* const grading_yaml = R"(hidden_tests:
  - name: AHidden.Races
    task: 1
    points: 7
    flavour: tsan
    timeout: 9
    repeat: 2
    preload: cvspur
    timing: true
    tsan_options: detect_deadlocks=0
mutants:
  - name: m01-x
    killed_by: [AHidden.Races]
alternatives:
  - name: a01-y
)";

Result<DaySpec> parse(const std::string& day, const std::optional<std::string>& grading = grading_yaml) {
    return parse_day("day01-a-day", day, "day.yaml", grading, "grading.yaml", Limits{});
}

TEST(Course, ParsesADayWithItsPrivateHalf) {
    const auto day = parse(day_yaml);
    ASSERT_TRUE(day) << day.error().message;
    EXPECT_EQ(day->number, 1);
    EXPECT_EQ(day->slug, "a-day");
    EXPECT_EQ(day->files, (std::vector<std::string>{"a.hpp", "a.cpp"}));
    ASSERT_EQ(day->tests.size(), 2u);
    EXPECT_FALSE(day->tests[0].hidden);
    const auto& hidden = day->tests[1];
    EXPECT_TRUE(hidden.hidden);
    EXPECT_EQ(hidden.flavour, Flavour::tsan);
    EXPECT_EQ(hidden.timeout_s, 9);
    EXPECT_EQ(hidden.repeat, 2);
    EXPECT_EQ(hidden.preload, Preload::cvspur);
    EXPECT_TRUE(hidden.timing);
    EXPECT_EQ(hidden.tsan_options, "detect_deadlocks=0");
    EXPECT_DOUBLE_EQ(day->max_score(), 10.0);
    ASSERT_EQ(day->mutants.size(), 1u);
    EXPECT_EQ(day->mutants[0].killed_by, std::vector<std::string>{"AHidden.Races"});
    ASSERT_EQ(day->alternatives.size(), 1u);
    EXPECT_EQ(day->alternatives[0].name, "a01-y");
    EXPECT_EQ(day->tasks[0].hints.size(), 2u);
}

TEST(Course, TsanOptionsNeverTouchTheGradersOwn) {
    std::string grading = grading_yaml;
    grading.replace(grading.find("detect_deadlocks=0"), 18, "log_path=stolen");
    const auto day = parse(day_yaml, grading);
    ASSERT_FALSE(day);
    EXPECT_NE(day.error().message.find("may not change log_path"), std::string::npos) << day.error().message;
    EXPECT_NE(day.error().message.find("grading.yaml:"), std::string::npos) << day.error().message;
}

TEST(Course, WithoutGradingYamlOnlyPublicTests) {
    const auto day = parse(day_yaml, std::nullopt);
    ASSERT_TRUE(day);
    EXPECT_FALSE(day->has_grading);
    EXPECT_EQ(day->tests.size(), 1u);
}

TEST(Course, MalformedYamlNamesFileLineAndColumn) {
    const auto day = parse("title: x\nfiles: [a.cpp\n");
    ASSERT_FALSE(day);
    EXPECT_NE(day.error().message.find("day.yaml:"), std::string::npos) << day.error().message;
    EXPECT_NE(day.error().message.find("malformed yaml"), std::string::npos) << day.error().message;
}

TEST(Course, MisspeltKeyIsAnErrorWithASuggestion) {
    std::string text = day_yaml;
    text.replace(text.find("    points: 3"), 13, "    pionts: 3");
    const auto day = parse(text);
    ASSERT_FALSE(day);
    EXPECT_NE(day.error().message.find("day.yaml:11:5: unknown key 'pionts'"), std::string::npos) << day.error().message;
    EXPECT_NE(day.error().message.find("did you mean 'points'"), std::string::npos) << day.error().message;
}

TEST(Course, WrongTypeNamesTheKeyAndLine) {
    std::string text = day_yaml;
    text.replace(text.find("points: 3"), 9, "points: lots");
    const auto day = parse(text);
    ASSERT_FALSE(day);
    EXPECT_NE(day.error().message.find("day.yaml:11:13: 'points' has the wrong type"), std::string::npos)
        << day.error().message;
}

TEST(Course, RejectsUnderscoresInTestNames) {
    std::string text = day_yaml;
    text.replace(text.find("APublic.Works"), 13, "A_Public.Works");
    EXPECT_FALSE(parse(text));
}

TEST(Course, RejectsAFlavourTheDayDoesNotBuild) {
    std::string grading = grading_yaml;
    grading.replace(grading.find("flavour: tsan"), 13, "flavour: asan");
    const auto day = parse(day_yaml, grading);
    ASSERT_FALSE(day);
    EXPECT_NE(day.error().message.find("flavour asan"), std::string::npos) << day.error().message;
}

TEST(Course, RejectsAKillerThatIsNoTest) {
    std::string grading = grading_yaml;
    grading.replace(grading.find("killed_by: [AHidden.Races]"), 26, "killed_by: [AHidden.Nope]");
    EXPECT_FALSE(parse(day_yaml, grading));
}

TEST(Course, RejectsDuplicateTestsAndUnknownTasks) {
    std::string grading = grading_yaml;
    grading.replace(grading.find("AHidden.Races\n"), 13, "APublic.Works");
    EXPECT_FALSE(parse(day_yaml, grading));
    std::string text = day_yaml;
    text.replace(text.find("    task: 1"), 11, "    task: 7");
    EXPECT_FALSE(parse(text));
}

TEST(Course, ResolvesEverySpellingOfADay) {
    const auto course = parse_course("format_version: 1\ntitle: t\ndays: [day01-threads-and-races, day03-coordination]\n",
                                     "course.yaml");
    ASSERT_TRUE(course) << course.error().message;
    for (const auto* name : {"day3", "day03", "3", "03", "coordination", "day03-coordination"}) {
        const auto dir = resolve_day(*course, name);
        ASSERT_TRUE(dir) << name;
        EXPECT_EQ(*dir, "day03-coordination");
    }
}

TEST(Course, UnknownDayIsAUsageErrorListingTheDays) {
    const auto course = parse_course("format_version: 1\ntitle: t\ndays: [day01-threads-and-races]\n", "course.yaml");
    ASSERT_TRUE(course);
    const auto dir = resolve_day(*course, "threads-and-race");
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().kind, ErrorKind::usage);
    EXPECT_NE(dir.error().message.find("Did you mean 'threads-and-races'?"), std::string::npos) << dir.error().message;
    EXPECT_NE(dir.error().message.find("day01-threads-and-races"), std::string::npos);
}

TEST(Course, CourseYamlRejectsDuplicateNumbersAndBadNames) {
    EXPECT_FALSE(parse_course("format_version: 1\ntitle: t\ndays: [day01-a, day01-b]\n", "c"));
    EXPECT_FALSE(parse_course("format_version: 1\ntitle: t\ndays: [first-day]\n", "c"));
    EXPECT_FALSE(parse_course("format_version: 2\ntitle: t\ndays: [day01-a]\n", "c"));
}

}  // namespace
}  // namespace grade
