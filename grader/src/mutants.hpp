// Mutants: each a plausible student bug, kept as a patch against the reference
// (exercises/<day>/mutants/<name>.patch). `grade check` applies one to a scratch copy of the
// solution and grades that copy like any submission.
#pragma once

#include <filesystem>

#include "course.hpp"
#include "error.hpp"

namespace grade {

std::filesystem::path mutant_patch(const BundlePaths& bundle, const DaySpec& day, const MutantSpec& mutant);

// A fresh copy of solutions/<day> under scratch/<day>, with the patch applied. An Error when the
// patch does not apply (a stale mutant is a course defect, not a kill).
Result<std::filesystem::path> prepare_mutant(const BundlePaths& bundle, const DaySpec& day, const MutantSpec& mutant,
                                             const std::filesystem::path& scratch);

// The patch files in mutants/ that grading.yaml does not list (sync: every patch is declared).
std::vector<std::string> undeclared_mutants(const BundlePaths& bundle, const DaySpec& day);

}  // namespace grade
