// Finds the course bundle the grader grades with, and its digest.
//
// The bundle is what grading needs: exercises/ (yaml, hidden tests), the public parts of
// templates/ (day.yaml, public tests), and grader/{harness,cmake,gdb}. In the course repository it
// is the repository itself; an installed grader carries a copy in share/grade/bundle. The digest
// (sha256 over the files' paths and contents) is printed in every result, so a student can see when
// their local grade used a different bundle than the instructor's.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "course.hpp"
#include "error.hpp"

namespace grade {

// GRADE_BUNDLE, else <exe>/../share/grade/bundle, else the source tree this grader was built from.
Result<BundlePaths> locate_bundle();

// "sha256:<hex>" over every file that grading reads (mutants and solutions excluded); with a day,
// over what grading that one day reads (so a fix to day 3's tests regrades nobody's day 1).
Result<std::string> bundle_digest(const BundlePaths& bundle, const std::optional<std::string>& day = {});

// The course repository has solutions/ and mutants (grade check needs them); a student bundle not.
bool has_solutions(const BundlePaths& bundle);

}  // namespace grade
