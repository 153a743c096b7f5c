// The CI formats of one graded day (grader-design §3): JUnit XML, and GitHub Actions' workflow
// commands (annotations on the student's lines, a `Points X/Y` notice) with a Markdown job summary.
#pragma once

#include <optional>
#include <string>

#include "course.hpp"
#include "score.hpp"

namespace grade {

std::string junit_xml(const DayResult& result);

// Where a failure points in the student's files: "dayNN-slug/file.cpp" and a line, taken from
// the diagnosis (a deadlock's or sanitizer's student frame) or the compiler's first error.
struct SourceLocation {
    std::string path;  // relative to the repository root
    int line = 0;
};
std::optional<SourceLocation> locate_in_message(const std::string& message, const DaySpec& day);
std::optional<SourceLocation> locate_build_error(const std::string& build_messages, const DaySpec& day);

// `::error file=...,line=...::` per failed test (or build error), then `::notice title=Points::Points X/Y`.
std::string github_commands(const DayResult& result, const DaySpec& day);
// The Markdown for $GITHUB_STEP_SUMMARY.
std::string github_summary(const DayResult& result);

}  // namespace grade
