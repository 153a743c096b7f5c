#include "score.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "report_json.hpp"

namespace grade {
namespace {

TEST(Score, FirstFailingRunDecides) {
    TestSpec spec;
    spec.name = "A.B";
    spec.points = 5;
    TestResult pass;
    pass.outcome = Outcome::pass;
    pass.seed = 10;
    TestResult fail;
    fail.outcome = Outcome::deadlock;
    fail.seed = 11;
    fail.message = "stuck";
    const auto combined = combine_runs(spec, {pass, fail, pass});
    EXPECT_EQ(combined.outcome, Outcome::deadlock);
    EXPECT_EQ(combined.seed, 11u);
    EXPECT_EQ(combined.runs, 3);
    EXPECT_EQ(combined.failed_runs, 1);
    EXPECT_EQ(combined.score, 0.0);
    EXPECT_EQ(combine_runs(spec, {pass, pass}).score, 5.0);
    EXPECT_EQ(combine_runs(spec, {}).outcome, Outcome::not_run);
}

const std::vector<Outcome> all_outcomes = {Outcome::pass,     Outcome::fail,      Outcome::timeout,
                                           Outcome::deadlock, Outcome::crash,     Outcome::sanitizer,
                                           Outcome::build_error, Outcome::not_run};

// Score and status derive from one place: a test passes iff its score equals its maximum, and the
// day's score is the sum of its tests' scores, whatever the outcomes.
RC_GTEST_PROP(Score, TotalIsTheSumAndPassMeansFullPoints, ()) {
    const auto points = *rc::gen::container<std::vector<int>>(rc::gen::inRange(1, 20));
    DayResult day;
    double expected = 0;
    double max = 0;
    for (const int p : points) {
        TestResult t;
        t.name = "T.X";
        t.max_score = p;
        t.outcome = *rc::gen::elementOf(all_outcomes);
        expected += t.outcome == Outcome::pass ? p : 0;
        max += p;
        day.tests.push_back(t);
    }
    total(day);
    RC_ASSERT(day.score == expected);
    RC_ASSERT(day.max_score == max);
    RC_ASSERT(day.full_marks() == (!points.empty() && expected == max));
}

// The JSON result reads back to the same day (names, outcomes, seeds, scores).
RC_GTEST_PROP(ReportJson, RoundTrips, ()) {
    DayResult day;
    day.day = "day01-threads-and-races";
    day.title = *rc::gen::arbitrary<std::string>();
    day.bundle = "sha256:00";
    const int n = *rc::gen::inRange(0, 8);
    for (int i = 0; i < n; ++i) {
        TestResult t;
        t.name = "Suite.Test" + std::to_string(i);
        t.task = *rc::gen::inRange(1, 5);
        t.hidden = *rc::gen::arbitrary<bool>();
        t.max_score = *rc::gen::inRange(0, 30);
        t.outcome = *rc::gen::elementOf(all_outcomes);
        t.seed = *rc::gen::inRange<std::uint64_t>(1, 1000000);
        t.message = *rc::gen::arbitrary<std::string>();
        day.tests.push_back(t);
    }
    total(day);
    const auto json = to_json(day);
    const auto back = from_json(nlohmann::json::parse(json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    RC_ASSERT(back.has_value());
    RC_ASSERT(back->score == day.score);
    RC_ASSERT(back->max_score == day.max_score);
    RC_ASSERT(back->tests.size() == day.tests.size());
    for (std::size_t i = 0; i < day.tests.size(); ++i) {
        RC_ASSERT(back->tests[i].name == day.tests[i].name);
        RC_ASSERT(back->tests[i].outcome == day.tests[i].outcome);
        RC_ASSERT(back->tests[i].task == day.tests[i].task);
        RC_ASSERT(back->tests[i].hidden == day.tests[i].hidden);
        RC_ASSERT(back->tests[i].seed == day.tests[i].seed);
    }
}

TEST(ReportJson, IsGradescopeShaped) {
    DayResult day;
    day.day = "day01-x";
    TestResult t;
    t.name = "A.B";
    t.task = 2;
    t.max_score = 4;
    t.outcome = Outcome::fail;
    day.tests = {t, t};
    total(day);
    const auto json = to_json(day);
    EXPECT_EQ(json["tests"][1]["number"], "2.2");
    EXPECT_EQ(json["tests"][0]["status"], "failed");
    EXPECT_EQ(json["tests"][0]["extra_data"]["outcome"], "fail");
    EXPECT_EQ(json["extra_data"]["outcomes"]["fail"], 2);
    EXPECT_TRUE(json["score"].is_number());
}

}  // namespace
}  // namespace grade
