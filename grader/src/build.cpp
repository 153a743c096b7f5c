#include "build.hpp"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "subprocess.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& parts, const std::string& separator) {
    std::string out;
    for (const auto& part : parts) {
        out += (out.empty() ? "" : separator) + part;
    }
    return out;
}

std::vector<std::string> test_sources(const BundlePaths& bundle, const DaySpec& day) {
    std::vector<std::string> sources;
    std::error_code ec;
    for (const auto& dir : {bundle.template_dir(day.dir) / "tests", bundle.exercise_dir(day.dir) / "hidden"}) {
        std::vector<std::string> found;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            if (entry.is_regular_file() && entry.path().extension() == ".cpp") {
                found.push_back(entry.path().string());
            }
        }
        std::sort(found.begin(), found.end());
        sources.insert(sources.end(), found.begin(), found.end());
    }
    return sources;
}

bool on_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        if (!dir.empty() && ::access((fs::path(dir) / program).c_str(), X_OK) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace

fs::path test_binary(const Workspace& workspace, Flavour flavour) {
    return workspace.build() / "bin" / ("tests_" + to_string(flavour));
}

fs::path shim_library(const Workspace& workspace, Preload preload) {
    return workspace.build() / "shims" / ("libct_" + to_string(preload) + ".so");
}

std::string clean_compiler_output(const std::string& raw, const std::string& private_student_dir,
                                  const std::string& day_dir, const std::string& hidden_dir,
                                  const std::string& public_dir) {
    static const std::regex noise(
        R"(^(\[\d+/\d+\] |FAILED: |ninja: |: && |/usr/bin/(c\+\+|g\+\+|cc|ccache)|ccache |cd /|collect2: ))");
    static const std::regex object_context(R"(^/usr/bin/ld: \S+\.o: in function)");
    static const std::regex location(R"(^(\S+?):(\d+)(:\d+)?: )");
    static const std::regex quoted(R"(^\s*(\d+\s*)?\|)");
    // Every flavour compiles the same files, so each error arrives once per flavour (interleaved,
    // as the flavours build in parallel): a block (a diagnostic line and the lines quoting its
    // source) is shown only the first time.
    std::set<std::string> seen_blocks;
    std::string block;
    std::string out;
    const auto flush = [&] {
        if (!block.empty() && seen_blocks.insert(block).second) {
            out += block;
        }
        block.clear();
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
        const bool starts_block = std::regex_search(line, m, location) || line.rfind("In file included from", 0) == 0;
        if (starts_block) {
            in_hidden = !hidden_dir.empty() && line.find(hidden_dir) != std::string::npos;
            flush();
        }
        if (in_hidden && std::regex_search(line, quoted)) {
            continue;  // GCC quotes the source line: never show hidden test source
        }
        replace_all(line, private_student_dir, day_dir);
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
        "-DCMAKE_BUILD_TYPE=", "-DCT_DAY=" + day.dir, "-DCT_STUDENT_DIR=" + ws.student().string(),
        "-DCT_STUDENT_SOURCES=" + join(student_sources, ";"),
        "-DCT_TEST_SOURCES=" + join(test_sources(bundle, day), ";"), "-DCT_FLAVOURS=" + join(flavours, ";"),
        "-DCT_HARNESS_DIR=" + bundle.harness_dir().string(), "-DCT_LIBRARIES=" + join(day.libraries, ";")};
    if (on_path("ccache")) {
        configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache");
        configure.push_back("-DCMAKE_C_COMPILER_LAUNCHER=ccache");
    }
    const std::string stamp_text = join(configure, "\n");
    const auto stamp = ws.build() / "grade-configure.stamp";
    const std::string old_stamp = read_file(stamp).value_or("");
    const auto deadline = std::chrono::seconds(day.limits.build_timeout_s);
    const std::string private_dir = ws.student().string() + "/";
    const std::string hidden_dir = bundle.exercise_dir(day.dir).string() + "/hidden/";
    if (old_stamp != stamp_text || !fs::exists(ws.build() / "build.ninja")) {
        Command cmd{.argv = configure, .deadline = deadline, .output_cap = 1 << 20};
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
    // The condition-variable shims are tiny and shared by every flavour.
    argv.push_back("ct_cvdelay");
    argv.push_back("ct_cvspur");
    Command cmd{.argv = argv, .deadline = deadline, .output_cap = 1 << 20};
    TRY(built, run(cmd));
    result.wall += built.wall;
    result.ok = built.ok();
    if (!result.ok) {
        result.messages = clean_compiler_output(built.output, private_dir, day.dir + "/", hidden_dir,
                                                (bundle.template_dir(day.dir) / "tests").string() + "/");
        if (built.end == ProcessEnd::timed_out) {
            result.messages += fmt::format("the build did not finish within {} s\n", day.limits.build_timeout_s);
        }
    }
    return result;
}

}  // namespace grade
