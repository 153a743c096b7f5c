#include "build.hpp"

#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "embed_scan.hpp"
#include "sandbox.hpp"
#include "subprocess.hpp"
#include "util.hpp"

extern char** environ;

namespace grade {
namespace fs = std::filesystem;

namespace {

// The compiler cache of a confined build: one per slot when builds run as the slot's build uid
// (a test uid can never write it), else the user's own.
fs::path ccache_dir(const Sandbox* box) {
    if (box != nullptr && box->slot >= 0) {
        return cache_root() / "ccache" / fmt::format("slot-{}", box->slot);
    }
    if (const char* dir = std::getenv("CCACHE_DIR"); dir != nullptr && *dir != '\0') {
        return dir;
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
        return fs::path(xdg) / "ccache";
    }
    const char* home = std::getenv("HOME");
    return fs::path(home != nullptr ? home : "/tmp") / ".cache" / "ccache";
}

// What a build may do: read the system, the course's harness, CMake function and this day's tests,
// and the student's files; write its build tree and the compiler cache. Never the solutions, other
// days, other workspaces, or /dev/zero.
Confinement build_confinement(const BundlePaths& bundle, const DaySpec& day, const Workspace& ws,
                              const fs::path& runtime, const fs::path& ccache) {
    Confinement c;
    c.role = Confinement::Role::build;
    c.memory_bytes = day.limits.build_memory_mb << 20;
    c.tasks = 256;
    c.cpu_seconds = 600;
    c.file_bytes = 512L << 20;
    c.network = false;
    c.read_dirs = {bundle.cmake_day_dir().parent_path(), bundle.harness_dir(), runtime,
                   bundle.template_dir(day.dir) / "tests", bundle.exercise_dir(day.dir) / "hidden"};
    c.private_dirs = {ws.student()};
    c.write_dirs = {ws.build(), ccache};
    c.private_tmp = ws.root / "build-tmp";
    return c;
}

// The day's public and hidden test sources, with their text.
std::vector<std::pair<std::string, std::string>> read_test_sources(const BundlePaths& bundle, const DaySpec& day) {
    std::vector<std::pair<std::string, std::string>> sources;
    std::error_code ec;
    for (const auto& dir : {bundle.template_dir(day.dir) / "tests", bundle.exercise_dir(day.dir) / "hidden"}) {
        std::vector<std::string> found;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (entry.is_regular_file() && entry.path().extension() == ".cpp") {
                found.push_back(entry.path().string());
            }
        }
        std::sort(found.begin(), found.end());
        for (const auto& path : found) {
            sources.emplace_back(path, read_file(path).value_or(""));
        }
    }
    return sources;
}

}  // namespace

fs::path test_binary(const Workspace& workspace, Flavour flavour) {
    return workspace.build() / "bin" / ("tests_" + to_string(flavour));
}

fs::path shim_library(const fs::path& runtime, Preload preload) {
    return runtime / "shims" / ("libct_" + to_string(preload) + ".so");
}

std::map<Flavour, std::vector<std::string>> test_sources_by_flavour(
    const DaySpec& day, const std::vector<std::pair<std::string, std::string>>& sources) {
    // TEST(Suite, Name), TEST_F, TEST_P, TYPED_TEST, RC_GTEST_PROP, RC_GTEST_FIXTURE_PROP, ...
    static const std::regex definition(R"(\b(?:TEST|TEST_F|TEST_P|TYPED_TEST|TYPED_TEST_P|RC_GTEST_PROP|)"
                                       R"(RC_GTEST_FIXTURE_PROP|RC_GTEST_TYPED_FIXTURE_PROP)\s*\(\s*(\w+)\s*,\s*(\w+))");
    std::map<std::string, std::vector<std::string>> defined_in;  // test name -> sources
    std::set<std::string> without_tests;
    for (const auto& [path, text] : sources) {
        bool any = false;
        for (auto it = std::sregex_iterator(text.begin(), text.end(), definition); it != std::sregex_iterator(); ++it) {
            defined_in[(*it)[1].str() + "." + (*it)[2].str()].push_back(path);
            any = true;
        }
        if (!any) {
            without_tests.insert(path);
        }
    }
    const bool all_found = std::all_of(day.tests.begin(), day.tests.end(),
                                       [&](const TestSpec& t) { return defined_in.contains(t.name); });
    std::map<Flavour, std::vector<std::string>> by_flavour;
    for (const auto flavour : day.flavours) {
        auto& chosen = by_flavour[flavour];
        for (const auto& [path, text] : sources) {
            const bool holds = std::any_of(day.tests.begin(), day.tests.end(), [&](const TestSpec& t) {
                if (t.flavour != flavour) {
                    return false;
                }
                const auto found = defined_in.find(t.name);
                return found != defined_in.end() &&
                       std::find(found->second.begin(), found->second.end(), path) != found->second.end();
            });
            if (!all_found || holds || without_tests.contains(path)) {
                chosen.push_back(path);
            }
        }
    }
    return by_flavour;
}

std::vector<std::string> student_dir_spellings(const Workspace& ws) {
    const std::string student = ws.student().filename().string() + "/";
    return {ws.student().string() + "/", std::string(debug_workspace) + "/build/../" + student,
            std::string(debug_workspace) + "/" + student, "../" + student};
}

std::string clean_compiler_output(const std::string& raw, const std::vector<std::string>& student_dirs,
                                  const std::string& day_dir, const std::string& hidden_dir,
                                  const std::string& public_dir) {
    static const std::regex noise(
        R"(^(\[\d+/\d+\] |FAILED: |ninja: |: && |/usr/bin/(c\+\+|g\+\+|cc|ccache)|ccache |cd /|collect2: ))");
    static const std::regex object_context(R"(^/usr/bin/ld: \S+\.o: in function)");
    static const std::regex location(R"(^(\S+?):(\d+)(:\d+)?: )");
    static const std::regex quoted(R"(^\s*(\d+\s*)?\|)");
    static const std::regex context(R"(^(In file included from |\S+?: (In |At global scope)))");
    // Every flavour compiles the same files, so each error arrives once per flavour (interleaved,
    // as the flavours build in parallel): a block (the context lines GCC puts before a diagnostic,
    // such as "In member function", the diagnostic line and the lines quoting its source) is shown
    // only the first time.
    std::set<std::string> seen_blocks;
    std::string block;
    bool block_has_diagnostic = false;
    std::string out;
    const auto flush = [&] {
        if (!block.empty() && seen_blocks.insert(block).second) {
            out += block;
        }
        block.clear();
        block_has_diagnostic = false;
    };
    std::istringstream in(raw);
    std::string line;
    bool in_hidden = false;
    bool undefined = false;
    while (std::getline(in, line)) {
        if (std::regex_search(line, noise) || std::regex_search(line, object_context)) {
            continue;
        }
        if (line.rfind("/usr/bin/ld: ", 0) == 0) {
            line.erase(0, 13);
            undefined = undefined || line.find("undefined reference") != std::string::npos;
        }
        std::smatch m;
        const bool diagnostic = std::regex_search(line, m, location);
        if (diagnostic || std::regex_search(line, context)) {
            in_hidden = !hidden_dir.empty() && line.find(hidden_dir) != std::string::npos;
            if (block_has_diagnostic) {
                flush();  // a new diagnostic, or the context of the next one
            }
            block_has_diagnostic = block_has_diagnostic || diagnostic;
        }
        if (in_hidden && std::regex_search(line, quoted)) {
            continue;  // GCC quotes the source line: never show hidden test source
        }
        for (const auto& dir : student_dirs) {
            replace_all(line, dir, day_dir);
        }
        replace_all(line, hidden_dir, "hidden-tests/");
        replace_all(line, public_dir, day_dir + "tests/");
        block += line + "\n";
    }
    flush();
    if (undefined) {
        out += "(An undefined reference means a function is declared but never defined: is a .cpp file missing, or "
               "a definition's signature different from its declaration?)\n";
    }
    return out;
}

Result<BuildResult> build_day(const BuildRequest& request) {
    const auto& bundle = *request.bundle;
    const auto& day = *request.day;
    const auto& ws = request.workspace;
    BuildResult result;

    std::vector<std::string> student_sources;
    for (const auto& file : request.student_files) {
        if (file.ends_with(".cpp")) {
            student_sources.push_back((ws.student() / file).string());
        }
    }
    std::vector<std::string> flavours;
    for (const auto f : day.flavours) {
        flavours.push_back(to_string(f));
    }
    std::vector<std::string> configure = {
        "cmake", "-S", bundle.cmake_day_dir().string(), "-B", ws.build().string(), "-G", "Ninja",
        "-DCMAKE_BUILD_TYPE=", "-DCMAKE_CXX_FLAGS=-fdebug-prefix-map=" + ws.root.string() + "=" + debug_workspace,
        "-DCT_DAY=" + day.dir, "-DCT_STUDENT_DIR=" + ws.student().string(),
        fmt::format("-DCT_STUDENT_SOURCES={}", fmt::join(student_sources, ";")),
        fmt::format("-DCT_FLAVOURS={}", fmt::join(flavours, ";")), "-DCT_HARNESS_DIR=" + bundle.harness_dir().string(),
        "-DCT_RUNTIME_DIR=" + request.runtime.string(), fmt::format("-DCT_LIBRARIES={}", fmt::join(day.libraries, ";"))};
    for (const auto& [flavour, sources] : test_sources_by_flavour(day, read_test_sources(bundle, day))) {
        configure.push_back(fmt::format("-DCT_TEST_SOURCES_{}={}", to_string(flavour), fmt::join(sources, ";")));
    }
    if (on_path("ccache")) {
        configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
        configure.push_back("-DCMAKE_C_COMPILER_LAUNCHER=ccache");
    }
    const std::string stamp_text = fmt::format("{}", fmt::join(configure, "\n"));
    const auto stamp = ws.build() / "grade-configure.stamp";
    const std::string old_stamp = read_file(stamp).value_or("");
    const auto deadline = std::chrono::seconds(day.limits.build_timeout_s);
    const std::string hidden_dir = bundle.exercise_dir(day.dir).string() + "/hidden/";
    const Sandbox* box = nullptr;
    if (const auto current = sandbox(); current && (*current)->tier != Tier::none) {
        box = *current;
    }
    const fs::path ccache = ccache_dir(box);
    const Confinement confinement = build_confinement(bundle, day, ws, request.runtime, ccache);
    if (box != nullptr && box->uses(Layer::slot_uid)) {
        for (const auto& dir : confinement.read_dirs) {
            if (const auto closed = closed_to_others(dir)) {
                return fail("the sandbox builds as an unprivileged user, who cannot reach {}: {} is closed to other "
                            "users. Make it enterable (chmod o+x {}) or keep the course elsewhere",
                            dir.string(), closed->string(), closed->string());
            }
        }
    }
    // Confined commands start from a clean environment; the user's compiler-cache settings
    // (CCACHE_DISABLE, CCACHE_MAXSIZE, ...) are not secrets and still apply.
    std::map<std::string, std::string> build_env;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry(*e);
        const auto eq = entry.find('=');
        if (entry.rfind("CCACHE_", 0) == 0 && eq != std::string::npos) {
            build_env[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
    }
    build_env["CCACHE_DIR"] = ccache.string();
    // One workspace's objects serve another's (a second student, the next e2e case, a mutant in a
    // fresh tree): ccache rewrites the absolute paths below the workspaces' directory to relative
    // ones before hashing, and the debug information names every workspace the same
    // (-fdebug-prefix-map in the configure line), so that no object carries another's path.
    build_env["CCACHE_BASEDIR"] = ws.root.parent_path().string();
    // Test sources are compiled with the runtime's precompiled header: ccache caches them only
    // when told that __TIME__ and the header's macros cannot differ (the header is the runtime's).
    const auto sloppiness = build_env["CCACHE_SLOPPINESS"];
    build_env["CCACHE_SLOPPINESS"] = (sloppiness.empty() ? "" : sloppiness + ",") + "pch_defines,time_macros";
    if (old_stamp != stamp_text || !fs::exists(ws.build() / "build.ninja")) {
        // A cache shared by two installs of the grader (GRADE_CACHE): CMake refuses a build tree
        // configured from another source directory, so that tree's cache starts over.
        const std::string same_source = "cmake\n-S\n" + bundle.cmake_day_dir().string() + "\n";
        if (!old_stamp.empty() && old_stamp.rfind(same_source, 0) != 0) {
            std::error_code ec;
            fs::remove(ws.build() / "CMakeCache.txt", ec);
            fs::remove_all(ws.build() / "CMakeFiles", ec);
        }
        Command cmd{.argv = configure, .env = build_env, .cwd = ws.build(), .deadline = deadline, .output_cap = 1 << 20};
        cmd.confinement = confinement;
        TRY(configured, run(cmd));
        result.wall += configured.wall;
        if (!configured.ok()) {
            return fail("configuring the build of {} failed ({}):\n{}", day.dir, describe_end(configured),
                        configured.output);
        }
        std::ofstream(stamp) << stamp_text;
    }

    std::vector<std::string> argv = {"cmake", "--build", ws.build().string(), "--target"};
    for (const auto f : request.flavours) {
        argv.push_back("tests_" + to_string(f));
    }
    Command cmd{.argv = argv, .env = build_env, .cwd = ws.build(), .deadline = deadline, .output_cap = 1 << 20};
    cmd.confinement = confinement;
    TRY(built, run(cmd));
    result.wall += built.wall;
    result.ok = built.ok();
    if (!result.ok && built.output.find("ccache: error:") != std::string::npos) {
        // The compiler cache failed, not the student's code: never a build_error (a 0) for them.
        return fail("the compiler cache failed while building {} (CCACHE_DIR={}):\n{}", day.dir, ccache.string(),
                    built.output.substr(built.output.find("ccache: error:"), 600));
    }
    if (result.ok) {
        // A header compiled into a hidden test can .incbin that test's source; refuse the copy.
        std::vector<fs::path> hidden;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(bundle.exercise_dir(day.dir) / "hidden", ec)) {
            hidden.push_back(entry.path());
        }
        // Scanned once per linked binary (a stamp of its size and time), not on every grading.
        const auto stamp_file = ws.root / "embed-scan.stamp";
        std::string scanned = read_file(stamp_file).value_or("");
        for (const auto f : request.flavours) {
            struct stat info {};
            const auto binary = test_binary(ws, f);
            const auto key = ::stat(binary.c_str(), &info) == 0
                                 ? fmt::format("{} {} {}.{}\n", binary.string(), info.st_size, info.st_mtim.tv_sec,
                                               info.st_mtim.tv_nsec)
                                 : std::string();
            if (!key.empty() && scanned.find(key) != std::string::npos) {
                continue;
            }
            if (const auto file = find_embedded(binary, hidden)) {
                result.ok = false;
                result.messages = fmt::format(
                    "The test binary holds a copy of the hidden test hidden-tests/{}: the submission embeds files in "
                    "the build (.incbin or the like). That is never graded.\n",
                    *file);
                return result;
            }
            scanned += key;
        }
        std::ofstream(stamp_file) << scanned;
    }
    if (!result.ok) {
        result.messages = clean_compiler_output(built.output, student_dir_spellings(ws), day.dir + "/", hidden_dir,
                                                (bundle.template_dir(day.dir) / "tests").string() + "/");
        if (built.end == ProcessEnd::timed_out) {
            result.messages += fmt::format("the build did not finish within {} s\n", day.limits.build_timeout_s);
        }
        if (built.out_of_memory) {
            result.messages += fmt::format("the build used more than its {} MiB of memory and was stopped\n",
                                           day.limits.build_memory_mb);
        }
    }
    return result;
}

}  // namespace grade
