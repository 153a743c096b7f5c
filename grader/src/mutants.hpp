// Variants of the reference, each kept as a patch against it: mutants (exercises/<day>/mutants/
// <name>.patch, one plausible student bug each, which the tests must catch) and alternatives
// (exercises/<day>/alternatives/<name>.patch, a correct design other than the reference's, which
// the tests must accept). `grade check` applies one to a scratch copy of the solution and grades
// that copy like any submission.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "course.hpp"
#include "error.hpp"

namespace grade {

enum class VariantKind { mutant, alternative };

// "mutants" or "alternatives": the variant's directory under exercises/<day>/.
std::string variant_dir(VariantKind kind);

std::filesystem::path variant_patch(const BundlePaths& bundle, const DaySpec& day, VariantKind kind,
                                    const std::string& name);

// A fresh copy of solutions/<day> under scratch/<day>, with the patch applied. An Error when the
// patch does not apply (a stale variant is a course defect, not a verdict).
Result<std::filesystem::path> prepare_variant(const BundlePaths& bundle, const DaySpec& day, VariantKind kind,
                                              const std::string& name, const std::filesystem::path& scratch);

// The patch files in the variant directory that grading.yaml does not list (sync: every patch is
// declared).
std::vector<std::string> undeclared_variants(const BundlePaths& bundle, const DaySpec& day, VariantKind kind);

}  // namespace grade
