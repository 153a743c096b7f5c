#include "runtime.hpp"

#include <algorithm>
#include <fstream>

#include "digest.hpp"
#include "subprocess.hpp"
#include "util.hpp"
#include "workspace.hpp"

namespace grade {
namespace fs = std::filesystem;

namespace {

// Bumped when the layout of a runtime directory changes, so that older runtimes stop matching.
constexpr const char* runtime_format = "course-runtime 3";

const std::vector<Flavour> all_flavours = {Flavour::release, Flavour::tsan, Flavour::asan};

std::vector<std::string> targets_for(const RuntimeNeeds& needs) {
    std::vector<std::string> targets = {"ct_cvdelay", "ct_cvspur", "ct_cvwake", "ct_lockdelay"};
    for (const auto f : needs.flavours) {
        targets.push_back("ct_harness_" + to_string(f));
        targets.push_back("ct_pch_" + to_string(f));
        if (needs.asio) {
            targets.push_back("ct_asio_" + to_string(f));
        }
    }
    return targets;
}

std::vector<fs::path> outputs_for(const fs::path& dir, const RuntimeNeeds& needs) {
    std::vector<fs::path> outputs = {dir / "shims" / "libct_cvdelay.so", dir / "shims" / "libct_cvspur.so",
                                     dir / "shims" / "libct_cvwake.so", dir / "shims" / "libct_lockdelay.so"};
    for (const auto f : needs.flavours) {
        outputs.push_back(dir / "lib" / ("libct_harness_" + to_string(f) + ".a"));
        outputs.push_back(dir / "CMakeFiles" / ("ct_pch_" + to_string(f) + ".dir") / "cmake_pch.hxx.gch");
        if (needs.asio) {
            outputs.push_back(dir / "lib" / ("libct_asio_" + to_string(f) + ".a"));
        }
    }
    return outputs;
}

}  // namespace

Result<std::string> runtime_key(const BundlePaths& bundle, const std::string& toolchain) {
    std::vector<fs::path> files;
    for (const auto& dir : {bundle.harness_dir(), bundle.root / "grader" / "cmake"}) {
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); ++it) {
            if (it->is_regular_file()) {
                files.push_back(it->path());
            }
        }
        if (ec) {
            return fail("cannot read {} of the course bundle: {}", dir.string(), ec.message());
        }
    }
    std::sort(files.begin(), files.end());
    Sha256 sha;
    sha.field(runtime_format);
    sha.field(toolchain);
    for (const auto& file : files) {
        sha.field(file.lexically_relative(bundle.root).generic_string());  // a linked grader/ counts as in place
        if (!sha.file(file)) {
            return fail("cannot read {} of the course bundle", file.string());
        }
    }
    return sha.hex();
}

bool runtime_complete(const fs::path& dir, const std::string& key, const RuntimeNeeds& needs) {
    if (read_file(dir / "runtime.key").value_or("") != key + "\n") {
        return false;
    }
    const auto outputs = outputs_for(dir, needs);
    return std::all_of(outputs.begin(), outputs.end(), [](const fs::path& p) { return fs::exists(p); });
}

Result<void> build_runtime(const BundlePaths& bundle, const fs::path& dir, const std::string& key,
                           const RuntimeNeeds& needs, const std::function<void(const std::string&)>& progress) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return fail("cannot create the runtime directory {}: {}", dir.string(), ec.message());
    }
    std::vector<std::string> flavours;
    for (const auto f : all_flavours) {
        flavours.push_back(to_string(f));
    }
    std::vector<std::string> configure = {"cmake", "-S", (bundle.root / "grader" / "cmake" / "runtime").string(),
                                          "-B", dir.string(), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=",
                                          "-DCT_HARNESS_DIR=" + bundle.harness_dir().string(),
                                          "-DCT_FLAVOURS=" + fmt::format("{}", fmt::join(flavours, ";"))};
    if (on_path("ccache")) {
        configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
        configure.push_back("-DCMAKE_C_COMPILER_LAUNCHER=ccache");
    }
    std::vector<std::string> names;
    for (const auto f : needs.flavours) {
        names.push_back(to_string(f));
    }
    if (progress) {
        progress(fmt::format("building the course runtime ({}{}) in {}: once, then every day and submission reuses it",
                             fmt::join(names, ", "), needs.asio ? ", with Asio support" : "", dir.string()));
    }
    // Configured afresh when the bundle moved (CMake refuses a tree made from another source).
    const auto stamp = dir / "runtime.configure";
    const std::string stamp_text = fmt::format("{}", fmt::join(configure, "\n"));
    if (read_file(stamp).value_or("") != stamp_text || !fs::exists(dir / "build.ninja")) {
        fs::remove(dir / "CMakeCache.txt", ec);
        fs::remove_all(dir / "CMakeFiles", ec);
        Command cmd{.argv = configure, .cwd = dir, .deadline = std::chrono::minutes(10), .output_cap = 1 << 20};
        TRY(configured, run(cmd));
        if (!configured.ok()) {
            return fail("configuring the course runtime in {} failed ({}):\n{}", dir.string(),
                        describe_end(configured), configured.output);
        }
        std::ofstream(stamp) << stamp_text;
    }
    std::vector<std::string> argv = {"cmake", "--build", dir.string(), "--target"};
    for (const auto& target : targets_for(needs)) {
        argv.push_back(target);
    }
    Command cmd{.argv = argv, .cwd = dir, .deadline = std::chrono::minutes(30), .output_cap = 1 << 20};
    TRY(built, run(cmd));
    if (!built.ok()) {
        return fail("building the course runtime in {} failed ({}):\n{}", dir.string(), describe_end(built),
                    built.output);
    }
    // The key last: a runtime stamped with it is complete for what was built.
    std::ofstream(dir / "runtime.key") << key << "\n";
    return {};
}

std::vector<fs::path> own_runtime_dirs() {
    std::error_code ec;
    const auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return {};
    }
    return {exe.parent_path() / "runtime", exe.parent_path().parent_path() / "lib" / "grade" / "runtime"};
}

fs::path cached_runtime_dir(const std::string& key) {
    // "sha256:" and 16 hex digits: unique enough among the runtimes one cache ever holds.
    return cache_root() / "runtime" / key.substr(key.find(':') + 1, 16);
}

std::optional<fs::path> built_runtime(const BundlePaths& bundle, const std::string& toolchain) {
    const auto key = runtime_key(bundle, toolchain);
    if (!key) {
        return std::nullopt;
    }
    auto dirs = own_runtime_dirs();
    dirs.push_back(cached_runtime_dir(*key));
    for (const auto& dir : dirs) {
        if (read_file(dir / "runtime.key").value_or("") == *key + "\n") {
            return dir;
        }
    }
    return std::nullopt;
}

Result<fs::path> find_runtime(const BundlePaths& bundle, const std::string& toolchain, const RuntimeNeeds& needs,
                              const std::function<void(const std::string&)>& progress) {
    TRY(key, runtime_key(bundle, toolchain));
    for (const auto& dir : own_runtime_dirs()) {
        if (runtime_complete(dir, key, needs)) {
            return dir;
        }
    }
    const auto dir = cached_runtime_dir(key);
    if (runtime_complete(dir, key, needs)) {
        return dir;
    }
    std::error_code ec;
    fs::create_directories(dir.parent_path(), ec);
    TRY(lock, hold_lock(dir.string() + ".lock", [&] {
            if (progress) {
                progress(fmt::format("another grader is building the course runtime in {}; waiting", dir.string()));
            }
        }));
    if (!runtime_complete(dir, key, needs)) {
        TRY_VOID(build_runtime(bundle, dir, key, needs, progress));
    }
    return dir;
}

}  // namespace grade
