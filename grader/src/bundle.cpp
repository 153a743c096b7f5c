#include "bundle.hpp"

#include "digest.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <vector>

#ifndef GRADE_SOURCE_DIR
#define GRADE_SOURCE_DIR ""
#endif

namespace grade {
namespace fs = std::filesystem;

Result<BundlePaths> locate_bundle() {
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv("GRADE_BUNDLE"); env != nullptr && *env != '\0') {
        const fs::path root(env);
        if (!fs::exists(root / "exercises" / "course.yaml")) {
            return fail("GRADE_BUNDLE={} has no exercises/course.yaml: it is not a course bundle", root.string());
        }
        return BundlePaths{root};
    }
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        candidates.push_back(exe.parent_path().parent_path() / "share" / "grade" / "bundle");
    }
    candidates.emplace_back(GRADE_SOURCE_DIR);
    for (const auto& root : candidates) {
        if (!root.empty() && fs::exists(root / "exercises" / "course.yaml")) {
            return BundlePaths{fs::weakly_canonical(root)};
        }
    }
    return fail("no course bundle found: set GRADE_BUNDLE to the course repository or to share/grade/bundle");
}

bool has_solutions(const BundlePaths& bundle) { return fs::is_directory(bundle.root / "solutions"); }

Result<std::string> bundle_digest(const BundlePaths& bundle, const std::optional<std::string>& day) {
    std::vector<fs::path> files;
    // Exactly what grading reads, so an installed bundle (which has no mutants, alternatives or
    // design notes) and the course repository it came from have the same digest.
    const auto add_tree = [&](const fs::path& dir, bool skip_instructor_only) {
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); ++it) {
            if (skip_instructor_only && it->is_directory() &&
                (it->path().filename() == "mutants" || it->path().filename() == "alternatives")) {
                it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file() && !(skip_instructor_only && it->path().extension() == ".md")) {
                files.push_back(it->path());
            }
        }
    };
    if (day) {
        files.push_back(bundle.course_yaml());
        add_tree(bundle.exercise_dir(*day), true);
    } else {
        add_tree(bundle.root / "exercises", true);
    }
    add_tree(bundle.harness_dir(), false);
    add_tree(bundle.root / "grader" / "cmake", false);
    add_tree(bundle.gdb_dir(), false);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(bundle.root / "templates", ec)) {
        if ((!day || entry.path().filename() == *day) && fs::exists(entry.path() / "day.yaml")) {
            files.push_back(entry.path() / "day.yaml");
            add_tree(entry.path() / "tests", false);
        }
    }
    std::sort(files.begin(), files.end());

    Sha256 sha;
    for (const auto& file : files) {
        sha.field(fs::relative(file, bundle.root).generic_string());
        if (!sha.file(file)) {
            return fail("cannot read {} of the course bundle", file.string());
        }
    }
    return sha.hex();
}

}  // namespace grade
