// `grade --version`: the grader, its bundle (digest and place), the toolchain, the course runtime it
// uses and the sandbox tier.
#include <iostream>

#include "bundle.hpp"
#include "commands.hpp"
#include "grading.hpp"
#include "runtime.hpp"

namespace grade {

int cmd_version(const Printer& printer) {
    const auto bundle = locate_bundle();
    if (!bundle) {
        printer.error(bundle.error());
        return exit_infrastructure;
    }
    const auto environment = describe_environment(*bundle);
    if (!environment) {
        printer.error(environment.error());
        return exit_infrastructure;
    }
    const auto runtime = built_runtime(*bundle, environment->toolchain);
    std::cout << fmt::format("grade {}\nbundle {} ({})\ntoolchain {}\nruntime {}\nsandbox {}\n",
                             environment->grader_version, environment->bundle_digest, bundle->root.string(),
                             environment->toolchain,
                             runtime ? runtime->string() : "not built yet (the first grading builds it; or grade prepare)",
                             environment->sandbox_tier);
    return exit_full_marks;
}

}  // namespace grade
