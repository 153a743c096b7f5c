#include "mutants.hpp"

#include <algorithm>
#include <iterator>

#include "subprocess.hpp"

namespace grade {
namespace fs = std::filesystem;

std::string variant_dir(VariantKind kind) { return kind == VariantKind::mutant ? "mutants" : "alternatives"; }

fs::path variant_patch(const BundlePaths& bundle, const DaySpec& day, VariantKind kind, const std::string& name) {
    return bundle.exercise_dir(day.dir) / variant_dir(kind) / (name + ".patch");
}

Result<fs::path> prepare_variant(const BundlePaths& bundle, const DaySpec& day, VariantKind kind,
                                 const std::string& name, const fs::path& scratch) {
    const auto patch = variant_patch(bundle, day, kind, name);
    if (!fs::exists(patch)) {
        return fail("{}: the {} {} has no patch file", patch.string(),
                    kind == VariantKind::mutant ? "mutant" : "alternative", name);
    }
    const fs::path copy = scratch / day.dir;
    std::error_code ec;
    fs::remove_all(copy, ec);
    fs::create_directories(copy, ec);
    for (const auto& name : day.files) {
        fs::copy_file(bundle.solution_dir(day.dir) / name, copy / name, fs::copy_options::overwrite_existing, ec);
        if (ec) {
            return fail("cannot copy {} of the reference: {}", name, ec.message());
        }
    }
    Command cmd{.argv = {"patch", "-p1", "--batch", "--forward", "--no-backup-if-mismatch", "-d", copy.string(), "-i",
                         patch.string()},
                .deadline = std::chrono::seconds(30)};
    TRY(applied, run(cmd));
    if (!applied.ok()) {
        return fail("{}: the patch does not apply to solutions/{} ({}):\n{}", patch.string(), day.dir,
                    describe_end(applied), applied.output);
    }
    return copy;
}

std::vector<std::string> undeclared_variants(const BundlePaths& bundle, const DaySpec& day, VariantKind kind) {
    std::vector<std::string> declared;
    if (kind == VariantKind::mutant) {
        std::transform(day.mutants.begin(), day.mutants.end(), std::back_inserter(declared),
                       [](const MutantSpec& m) { return m.name; });
    } else {
        std::transform(day.alternatives.begin(), day.alternatives.end(), std::back_inserter(declared),
                       [](const AlternativeSpec& a) { return a.name; });
    }
    std::vector<std::string> extra;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(bundle.exercise_dir(day.dir) / variant_dir(kind), ec)) {
        const auto name = entry.path().stem().string();
        if (entry.path().extension() == ".patch" && std::find(declared.begin(), declared.end(), name) == declared.end()) {
            extra.push_back(name);
        }
    }
    std::sort(extra.begin(), extra.end());
    return extra;
}

}  // namespace grade
