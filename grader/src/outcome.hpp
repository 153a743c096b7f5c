// The closed set of test outcomes (grader-design §3).
#pragma once

#include <optional>
#include <string>

namespace grade {

enum class Outcome { pass, fail, timeout, deadlock, crash, sanitizer, build_error, not_run };

std::string to_string(Outcome outcome);
std::optional<Outcome> outcome_from_string(const std::string& text);

}  // namespace grade
