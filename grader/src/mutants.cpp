#include "mutants.hpp"

#include "subprocess.hpp"

namespace grade {
namespace fs = std::filesystem;

fs::path mutant_patch(const BundlePaths& bundle, const DaySpec& day, const MutantSpec& mutant) {
    return bundle.exercise_dir(day.dir) / "mutants" / (mutant.name + ".patch");
}

Result<fs::path> prepare_mutant(const BundlePaths& bundle, const DaySpec& day, const MutantSpec& mutant,
                                const fs::path& scratch) {
    const auto patch = mutant_patch(bundle, day, mutant);
    if (!fs::exists(patch)) {
        return fail("{}: the mutant {} has no patch file", patch.string(), mutant.name);
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

std::vector<std::string> undeclared_mutants(const BundlePaths& bundle, const DaySpec& day) {
    std::vector<std::string> extra;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(bundle.exercise_dir(day.dir) / "mutants", ec)) {
        if (entry.path().extension() != ".patch") {
            continue;
        }
        const auto name = entry.path().stem().string();
        if (std::none_of(day.mutants.begin(), day.mutants.end(), [&](const auto& m) { return m.name == name; })) {
            extra.push_back(name);
        }
    }
    std::sort(extra.begin(), extra.end());
    return extra;
}

}  // namespace grade
