#include "score.hpp"

namespace grade {

double test_score(double max_score, Outcome outcome) { return outcome == Outcome::pass ? max_score : 0.0; }

TestResult combine_runs(const TestSpec& spec, const std::vector<TestResult>& runs) {
    TestResult combined;
    combined.name = spec.name;
    combined.task = spec.task;
    combined.hidden = spec.hidden;
    combined.max_score = spec.points;
    combined.runs = static_cast<int>(runs.size());
    combined.outcome = runs.empty() ? Outcome::not_run : Outcome::pass;
    for (const auto& run : runs) {
        combined.wall += run.wall;
        if (combined.seed == 0) {
            combined.seed = run.seed;
        }
        if (run.outcome != Outcome::pass) {
            ++combined.failed_runs;
            if (combined.outcome == Outcome::pass) {
                combined.outcome = run.outcome;
                combined.message = run.message;
                combined.seed = run.seed;
            }
        }
    }
    combined.score = test_score(combined.max_score, combined.outcome);
    return combined;
}

void total(DayResult& result) {
    result.score = 0;
    result.max_score = 0;
    for (auto& test : result.tests) {
        test.score = test_score(test.max_score, test.outcome);
        result.score += test.score;
        result.max_score += test.max_score;
    }
}

std::map<Outcome, int> DayResult::outcome_counts() const {
    std::map<Outcome, int> counts;
    for (const auto& test : tests) {
        ++counts[test.outcome];
    }
    return counts;
}

int DayResult::passed() const {
    int n = 0;
    for (const auto& test : tests) {
        n += test.outcome == Outcome::pass ? 1 : 0;
    }
    return n;
}

}  // namespace grade
