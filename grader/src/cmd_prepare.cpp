// `grade prepare`: builds the course runtime (the harness every day's tests link, its Asio support
// and the shims) in every flavour ahead of the first grading, so that grading a day compiles only
// that day's tests and the student's files. The course's own build runs it (into build/runtime,
// installed with the grader); without it, the first grading that needs a runtime builds the part
// it needs in the grader's cache.
#include <iostream>

#include "bundle.hpp"
#include "commands.hpp"
#include "grading.hpp"
#include "runtime.hpp"

namespace grade {

int cmd_prepare(const PrepareOptions& options, const Printer& printer) {
    const auto bundle = locate_bundle();
    if (!bundle) {
        printer.error(bundle.error());
        return exit_infrastructure;
    }
    const auto toolchain = toolchain_version();
    if (!toolchain) {
        printer.error(toolchain.error());
        return exit_infrastructure;
    }
    const auto key = runtime_key(*bundle, *toolchain);
    if (!key) {
        printer.error(key.error());
        return exit_infrastructure;
    }
    const std::filesystem::path dir = options.into ? std::filesystem::absolute(*options.into) : cached_runtime_dir(*key);
    const RuntimeNeeds everything{{Flavour::release, Flavour::tsan, Flavour::asan}, true};
    // Always through the build (a no-op when nothing changed), so that a build system sees the
    // runtime's stamp renewed after each run.
    const auto built = build_runtime(*bundle, dir, *key, everything, [&](const std::string& text) {
        printer.progress(text);
    });
    if (!built) {
        printer.error(built.error());
        return exit_infrastructure;
    }
    std::cout << fmt::format("course runtime ready in {} ({})\n", dir.string(), *key);
    return exit_full_marks;
}

}  // namespace grade
