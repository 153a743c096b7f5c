#include "bundle.hpp"

#include <openssl/evp.h>
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

Result<std::string> bundle_digest(const BundlePaths& bundle) {
    std::vector<fs::path> files;
    // Exactly what grading reads, so an installed bundle (which has no mutants or design notes)
    // and the course repository it came from have the same digest.
    const auto add_tree = [&](const fs::path& dir, bool skip_instructor_only) {
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); ++it) {
            if (skip_instructor_only && it->is_directory() && it->path().filename() == "mutants") {
                it.disable_recursion_pending();
                continue;
            }
            if (it->is_regular_file() && !(skip_instructor_only && it->path().extension() == ".md")) {
                files.push_back(it->path());
            }
        }
    };
    add_tree(bundle.root / "exercises", true);
    add_tree(bundle.harness_dir(), false);
    add_tree(bundle.root / "grader" / "cmake", false);
    add_tree(bundle.gdb_dir(), false);
    std::error_code ec;
    for (const auto& day : fs::directory_iterator(bundle.root / "templates", ec)) {
        if (fs::exists(day.path() / "day.yaml")) {
            files.push_back(day.path() / "day.yaml");
            add_tree(day.path() / "tests", false);
        }
    }
    std::sort(files.begin(), files.end());

    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
        return fail("cannot compute sha256 (OpenSSL)");
    }
    std::vector<char> buffer(1 << 16);
    for (const auto& file : files) {
        const auto name = fs::relative(file, bundle.root).generic_string();
        EVP_DigestUpdate(ctx.get(), name.data(), name.size() + 1);  // with its NUL as a separator
        std::ifstream in(file, std::ios::binary);
        while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
            EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
        }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx.get(), digest, &length);
    std::string hex = "sha256:";
    for (unsigned int i = 0; i < length; ++i) {
        hex += fmt::format("{:02x}", digest[i]);
    }
    return hex;
}

}  // namespace grade
