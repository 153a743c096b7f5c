#include "report_ci.hpp"

#include <pugixml.hpp>

#include <regex>
#include <sstream>

namespace grade {
namespace {

std::string escape_regex(const std::string& text) {
    static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
    return std::regex_replace(text, special, R"(\$&)");
}

// Workflow command escaping (GitHub's toolkit: escapeData / escapeProperty).
std::string escape_data(const std::string& text) {
    std::string out;
    for (const char c : text) {
        out += c == '%' ? std::string("%25") : c == '\r' ? std::string("%0D") : c == '\n' ? std::string("%0A") : std::string(1, c);
    }
    return out;
}

std::string escape_property(const std::string& text) {
    std::string out;
    for (const char c : escape_data(text)) {
        out += c == ':' ? std::string("%3A") : c == ',' ? std::string("%2C") : std::string(1, c);
    }
    return out;
}

bool is_failure(Outcome o) { return o != Outcome::pass && o != Outcome::not_run; }

}  // namespace

std::string junit_xml(const DayResult& result) {
    pugi::xml_document doc;
    auto suites = doc.append_child("testsuites");
    suites.append_attribute("name") = "grade";
    auto suite = suites.append_child("testsuite");
    suite.append_attribute("name") = result.day.c_str();
    int failures = 0;
    int errors = 0;
    int skipped = 0;
    for (const auto& test : result.tests) {
        failures += test.outcome == Outcome::fail || test.outcome == Outcome::timeout ||
                            test.outcome == Outcome::deadlock || test.outcome == Outcome::sanitizer
                        ? 1
                        : 0;
        errors += test.outcome == Outcome::crash || test.outcome == Outcome::build_error ? 1 : 0;
        skipped += test.outcome == Outcome::not_run ? 1 : 0;
    }
    const auto seconds = [](std::chrono::milliseconds ms) { return fmt::format("{:.3f}", ms.count() / 1000.0); };
    suite.append_attribute("tests") = static_cast<int>(result.tests.size());
    suite.append_attribute("failures") = failures;
    suite.append_attribute("errors") = errors;
    suite.append_attribute("skipped") = skipped;
    suite.append_attribute("time") = seconds(result.execution_time).c_str();
    suites.append_attribute("tests") = static_cast<int>(result.tests.size());
    suites.append_attribute("failures") = failures;
    suites.append_attribute("errors") = errors;
    auto properties = suite.append_child("properties");
    for (const auto& [name, value] :
         std::vector<std::pair<std::string, std::string>>{{"score", fmt::format("{:g}", result.score)},
                                                          {"max_score", fmt::format("{:g}", result.max_score)},
                                                          {"grader", result.grader_version},
                                                          {"bundle", result.bundle},
                                                          {"toolchain", result.toolchain},
                                                          {"sandbox_tier", result.sandbox_tier},
                                                          {"commit", result.commit}}) {
        auto p = properties.append_child("property");
        p.append_attribute("name") = name.c_str();
        p.append_attribute("value") = value.c_str();
    }
    for (const auto& test : result.tests) {
        auto tc = suite.append_child("testcase");
        tc.append_attribute("classname") = fmt::format("{}.task{}", result.day, test.task).c_str();
        tc.append_attribute("name") = test.name.c_str();
        tc.append_attribute("time") = seconds(test.wall).c_str();
        if (test.outcome == Outcome::pass) {
            continue;
        }
        const char* kind = test.outcome == Outcome::not_run                                            ? "skipped"
                           : test.outcome == Outcome::crash || test.outcome == Outcome::build_error ? "error"
                                                                                                      : "failure";
        auto node = tc.append_child(kind);
        node.append_attribute("type") = to_string(test.outcome).c_str();
        node.append_attribute("message") =
            fmt::format("{} ({:g}/{:g} points)", to_string(test.outcome), test.score, test.max_score).c_str();
        std::string body = test.message;
        if (test.outcome == Outcome::build_error && !result.build_messages.empty()) {
            body = result.build_messages;
        }
        node.text().set(body.c_str());
    }
    std::ostringstream out;
    doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
    return out.str();
}

std::optional<SourceLocation> locate_in_message(const std::string& message, const DaySpec& day) {
    std::optional<SourceLocation> first;
    std::ptrdiff_t first_at = 0;
    for (const auto& file : day.files) {
        const std::regex at("(^|[^A-Za-z0-9_/.-])(?:" + escape_regex(day.dir) + "/)?" + escape_regex(file) + ":([0-9]+)");
        std::smatch m;
        if (std::regex_search(message, m, at) && (!first || m.position(0) < first_at)) {
            first = SourceLocation{day.dir + "/" + file, std::stoi(m[2])};
            first_at = m.position(0);
        }
    }
    return first;  // the diagnosis names the student's own frame first
}

std::optional<SourceLocation> locate_build_error(const std::string& build_messages, const DaySpec& day) {
    std::istringstream lines(build_messages);
    std::string line;
    while (std::getline(lines, line)) {
        for (const auto& file : day.files) {
            const std::regex error("(?:^|[ |])(?:" + escape_regex(day.dir) + "/)?" + escape_regex(file) +
                                   ":([0-9]+):[0-9]+: (?:fatal )?error: ");
            std::smatch m;
            if (std::regex_search(line, m, error)) {
                return SourceLocation{day.dir + "/" + file, std::stoi(m[1])};
            }
        }
    }
    return std::nullopt;
}

std::string github_commands(const DayResult& result, const DaySpec& day) {
    std::string out;
    const auto annotate = [&](const char* level, const std::optional<SourceLocation>& where, const std::string& title,
                              const std::string& text) {
        out += fmt::format("::{} ", level);
        if (where) {
            out += fmt::format("file={},line={},", escape_property(where->path), where->line);
        }
        out += fmt::format("title={}::{}\n", escape_property(title), escape_data(text));
    };
    if (!result.build_messages.empty()) {
        annotate("error", locate_build_error(result.build_messages, day), result.day + " does not compile",
                 result.build_messages);
    }
    for (const auto& test : result.tests) {
        if (!is_failure(test.outcome) || test.outcome == Outcome::build_error) {
            continue;
        }
        annotate("error", locate_in_message(test.message, day),
                 fmt::format("{} ({}, {:g}/{:g})", test.name, to_string(test.outcome), test.score, test.max_score),
                 test.message);
    }
    out += fmt::format("::notice title=Points::Points {:g}/{:g} ({})\n", result.score, result.max_score, result.day);
    return out;
}

std::string github_summary(const DayResult& result) {
    std::string out = fmt::format("### {}: {:g}/{:g}\n\n", result.day, result.score, result.max_score);
    out += "| | test | task | points | outcome |\n|---|---|---|---|---|\n";
    for (const auto& test : result.tests) {
        out += fmt::format("| {} | {}{} | {} | {:g}/{:g} | {} |\n", test.outcome == Outcome::pass ? "✅" : "❌", test.name,
                           test.hidden ? " (hidden)" : "", test.task, test.score, test.max_score, to_string(test.outcome));
    }
    for (const auto& test : result.tests) {
        if (is_failure(test.outcome) && test.outcome != Outcome::build_error && !test.message.empty()) {
            out += fmt::format("\n<details><summary>{}</summary>\n\n```\n{}\n```\n</details>\n", test.name, test.message);
        }
    }
    if (!result.build_messages.empty()) {
        out += fmt::format("\n<details><summary>compiler output</summary>\n\n```\n{}\n```\n</details>\n",
                           result.build_messages);
    }
    out += fmt::format("\n<sub>grader {} · bundle {} · {} · sandbox {}</sub>\n", result.grader_version,
                       result.bundle.substr(0, 19), result.toolchain, result.sandbox_tier);
    return out;
}

}  // namespace grade
