// The native result format: a valid Gradescope results.json with our additions under extra_data
// (grader-design §3), so `--format gradescope` needs no conversion.
#pragma once

#include <nlohmann/json.hpp>

#include "error.hpp"
#include "score.hpp"

namespace grade {

nlohmann::json to_json(const DayResult& result);
Result<DayResult> from_json(const nlohmann::json& json);

}  // namespace grade
