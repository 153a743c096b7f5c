#include "outcome.hpp"

#include <array>
#include <utility>

namespace grade {
namespace {

constexpr std::array<std::pair<Outcome, const char*>, 8> names = {{
    {Outcome::pass, "pass"},
    {Outcome::fail, "fail"},
    {Outcome::timeout, "timeout"},
    {Outcome::deadlock, "deadlock"},
    {Outcome::crash, "crash"},
    {Outcome::sanitizer, "sanitizer"},
    {Outcome::build_error, "build_error"},
    {Outcome::not_run, "not_run"},
}};

}  // namespace

std::string to_string(Outcome outcome) {
    for (const auto& [value, name] : names) {
        if (value == outcome) {
            return name;
        }
    }
    return "not_run";
}

std::optional<Outcome> outcome_from_string(const std::string& text) {
    for (const auto& [value, name] : names) {
        if (text == name) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace grade
