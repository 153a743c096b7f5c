#include "report_json.hpp"

#include <map>

namespace grade {

nlohmann::json to_json(const DayResult& result) {
    nlohmann::json tests = nlohmann::json::array();
    std::map<int, int> index_in_task;
    for (const auto& test : result.tests) {
        const int index = ++index_in_task[test.task];
        nlohmann::json output_extra = {{"outcome", to_string(test.outcome)},
                                       {"seed", test.seed},
                                       {"runs", test.runs},
                                       {"failed_runs", test.failed_runs},
                                       {"wall_ms", test.wall.count()}};
        tests.push_back({{"name", test.name},
                         {"number", fmt::format("{}.{}", test.task, index)},
                         {"score", test.score},
                         {"max_score", test.max_score},
                         {"status", test.score >= test.max_score ? "passed" : "failed"},
                         {"visibility", "visible"},
                         {"tags", {fmt::format("task{}", test.task), test.hidden ? "hidden" : "public"}},
                         {"output", test.message},
                         {"extra_data", output_extra}});
    }
    nlohmann::json outcomes = nlohmann::json::object();
    for (const auto& [outcome, count] : result.outcome_counts()) {
        outcomes[to_string(outcome)] = count;
    }
    return {{"score", result.score},
            {"execution_time", result.execution_time.count() / 1000},
            {"output", fmt::format("{}: {:g}/{:g}", result.day, result.score, result.max_score)},
            {"tests", tests},
            {"extra_data",
             {{"day", result.day},
              {"title", result.title},
              {"max_score", result.max_score},
              {"grader", result.grader_version},
              {"bundle", result.bundle},
              {"toolchain", result.toolchain},
              {"sandbox_tier", result.sandbox_tier},
              {"sandbox_warnings", result.sandbox_warnings},
              {"commit", result.commit},
              {"outcomes", outcomes},
              {"execution_ms", result.execution_time.count()},
              {"build_messages", result.build_messages},
              {"missing_files", result.missing},
              {"rejected_files", result.rejected}}}};
}

Result<DayResult> from_json(const nlohmann::json& json) {
    try {
        DayResult result;
        const auto& extra = json.at("extra_data");
        result.day = extra.at("day").get<std::string>();
        result.title = extra.value("title", "");
        result.grader_version = extra.value("grader", "");
        result.bundle = extra.value("bundle", "");
        result.toolchain = extra.value("toolchain", "");
        result.sandbox_tier = extra.value("sandbox_tier", "");
        result.sandbox_warnings = extra.value("sandbox_warnings", std::vector<std::string>{});
        result.commit = extra.value("commit", "");
        result.build_messages = extra.value("build_messages", "");
        result.missing = extra.value("missing_files", std::vector<std::string>{});
        result.rejected = extra.value("rejected_files", std::vector<std::string>{});
        result.execution_time = std::chrono::milliseconds(extra.value("execution_ms", 0L));
        for (const auto& t : json.at("tests")) {
            TestResult test;
            test.name = t.at("name").get<std::string>();
            const auto number = t.value("number", "0.0");
            test.task = std::stoi(number.substr(0, number.find('.')));
            test.max_score = t.at("max_score").get<double>();
            const auto& tags = t.value("tags", nlohmann::json::array());
            test.hidden = std::find(tags.begin(), tags.end(), "hidden") != tags.end();
            test.message = t.value("output", "");
            const auto& test_extra = t.at("extra_data");
            const auto outcome = outcome_from_string(test_extra.at("outcome").get<std::string>());
            if (!outcome) {
                return fail("unknown outcome '{}' in a result file", test_extra.at("outcome").get<std::string>());
            }
            test.outcome = *outcome;
            test.seed = test_extra.value("seed", std::uint64_t{0});
            test.runs = test_extra.value("runs", 0);
            test.failed_runs = test_extra.value("failed_runs", 0);
            test.wall = std::chrono::milliseconds(test_extra.value("wall_ms", 0L));
            result.tests.push_back(std::move(test));
        }
        total(result);
        return result;
    } catch (const nlohmann::json::exception& e) {
        return fail("not a grade result file: {}", e.what());
    }
}

}  // namespace grade
