// `grade doctor`: is this machine fit to grade? The toolchain and its versions, a ThreadSanitizer
// preflight (with the ASLR fallback the grader uses when vm.mmap_rnd_bits is above 28), the
// sandbox tier with the status of every layer, and the limits a test and a build run under.
// Exit 0 when grading works here, 3 when it cannot (no compiler, TSan cannot start at all).
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "bundle.hpp"
#include "commands.hpp"
#include "sandbox.hpp"
#include "subprocess.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;

namespace {

std::string first_line(std::string text) {
    const auto end = text.find('\n');
    if (end != std::string::npos) {
        text.erase(end);
    }
    return text;
}

// "<program> <args>" -> its first output line, or nothing when it is missing.
std::optional<std::string> version_of(const std::vector<std::string>& argv) {
    const auto done = run({.argv = argv, .deadline = std::chrono::seconds(20), .output_cap = 4096});
    if (!done || !done->ok()) {
        return std::nullopt;
    }
    return first_line(done->output);
}

struct Preflight {
    bool ok = false;
    std::string text;
};

// Builds and runs a racy two-thread program under TSan: it must start and report the race.
Preflight tsan_preflight() {
    char dir_template[] = "/tmp/grade-doctor-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) {
        return {false, "cannot make a scratch directory in /tmp"};
    }
    const fs::path dir = dir_template;
    const auto cleanup = [&] {
        std::error_code ec;
        fs::remove_all(dir, ec);
    };
    std::ofstream(dir / "race.cpp") << "#include <thread>\nint shared;\nint main() {\n"
                                       "  std::thread t([] { shared = 1; });\n  shared = 2;\n  t.join();\n}\n";
    const auto compiled = run({.argv = {"c++", "-std=c++20", "-fsanitize=thread", "-g", "-O1", (dir / "race.cpp").string(),
                                        "-o", (dir / "race").string(), "-pthread"},
                               .deadline = std::chrono::seconds(120)});
    if (!compiled || !compiled->ok()) {
        cleanup();
        return {false, "c++ -fsanitize=thread cannot build a program: " +
                           (compiled ? first_line(compiled->output) : compiled.error().message)};
    }
    Command racy{.argv = {(dir / "race").string()}, .deadline = std::chrono::seconds(60)};
    racy.env = {{"TSAN_OPTIONS", "exitcode=66"}};
    auto ran = run(racy);
    bool fallback = false;
    if (ran && ran->output.find("unexpected memory mapping") != std::string::npos) {
        racy.disable_aslr = true;
        ran = run(racy);
        fallback = true;
    }
    cleanup();
    if (!ran) {
        return {false, ran.error().message};
    }
    if (ran->output.find("data race") == std::string::npos) {
        return {false, fmt::format("a racy program ran under TSan without a report ({}): {}", describe_end(*ran),
                                   first_line(ran->output))};
    }
    return {true, fallback ? "reports races, but only without address randomisation (the grader does that "
                             "automatically; or as root: sysctl vm.mmap_rnd_bits=28)"
                           : "reports races"};
}

std::string mib(long bytes) { return fmt::format("{} MiB", bytes >> 20); }

}  // namespace

int cmd_doctor(const Printer& printer) {
    bool fit = true;
    std::string out = printer.bold("Toolchain") + "\n";
    const auto row = [&](const std::string& name, const std::optional<std::string>& value, const std::string& missing,
                         bool required) {
        out += fmt::format("  {:<18} {}\n", name, value ? *value : (required ? printer.red(missing) : printer.yellow(missing)));
        fit = fit && (value.has_value() || !required);
    };
    const auto cxx = version_of({"c++", "-dumpfullversion"});
    row("c++", cxx ? "g++ " + *cxx : cxx, "missing: run scripts/setup-deps.sh", true);
    row("cmake", version_of({"cmake", "--version"}), "missing: run scripts/setup-deps.sh", true);
    row("ninja", version_of({"ninja", "--version"}), "missing: run scripts/setup-deps.sh", true);
    row("ccache", version_of({"ccache", "--version"}), "missing: every build compiles everything", false);
    row("gdb", version_of({"gdb", "--version"}), "missing: hangs are reported without thread dumps", false);
    row("patch", version_of({"patch", "--version"}), "missing: grade check cannot apply mutants", false);

    out += "\n" + printer.bold("ThreadSanitizer") + "\n";
    const auto rnd_bits = read_file("/proc/sys/vm/mmap_rnd_bits");
    out += fmt::format("  {:<18} {}\n", "vm.mmap_rnd_bits",
                       rnd_bits ? first_line(*rnd_bits) + (std::stoi(*rnd_bits) > 28 ? " (above 28: TSan needs "
                                                                                             "setarch -R)"
                                                                                           : " (fine for TSan)")
                                : std::string("unknown"));
    if (cxx) {
        const auto preflight = tsan_preflight();
        out += fmt::format("  {:<18} {}\n", "preflight", preflight.ok ? printer.green(preflight.text) : printer.red(preflight.text));
        fit = fit && preflight.ok;
    }

    out += "\n" + printer.bold("Sandbox") + "\n";
    const auto box = sandbox();
    if (!box) {
        out += "  " + printer.red(box.error().message) + "\n";
        fit = false;
    } else {
        const Sandbox& s = **box;
        out += fmt::format("  tier {} (this host allows {}){}\n", to_string(s.tier), to_string(s.probe.best),
                           s.probe.root ? ", running as root" : ", running unprivileged");
        for (const auto& layer : s.probe.layers) {
            std::string status = layer.used ? printer.green("used") : layer.works ? printer.yellow("off") : "missing";
            if (layer.layer == Layer::user_namespace && s.probe.root) {
                status = "not needed";
            }
            std::string detail = layer.detail;
            if (layer.layer == Layer::slot_uid && layer.used) {
                detail = fmt::format("slot {}: build uid {}, test uid {}", s.slot, s.build_uid, s.test_uid);
            }
            out += fmt::format("  {:<18} {:<12} {}\n", to_string(layer.layer), status, detail);
        }
        for (const auto& warning : s.warnings) {
            out += "  " + printer.yellow("warning: ") + warning + "\n";
        }
    }

    out += "\n" + printer.bold("Limits") + " (course defaults; grading.yaml may change them per day)\n";
    Limits limits;
    if (const auto bundle = locate_bundle()) {
        if (const auto course = load_course(*bundle)) {
            limits = course->defaults;
        }
    }
    out += fmt::format("  {:<18} {} s wall, memory {} ({} under TSan/ASan, never as RLIMIT_AS), {} processes+threads,\n"
                       "  {:<18} files up to 64 MiB, {} MiB written, {} kept of the output, {}\n",
                       "test", limits.test_timeout_s, mib(limits.memory_mb << 20), mib(limits.sanitizer_memory_mb << 20),
                       limits.threads, "", limits.disk_mb, limits.output_bytes >= (1 << 20) ? mib(limits.output_bytes)
                                                                                       : std::to_string(limits.output_bytes) + " bytes",
                       limits.network ? "loopback network" : "no network (days say network: loopback when they need it)");
    out += fmt::format("  {:<18} {} s wall, memory {} (also the address space of each compiler), files up to 512 MiB,\n"
                       "  {:<18} no network, reads only the course's harness, CMake and the day's tests\n",
                       "build", limits.build_timeout_s, mib(limits.build_memory_mb << 20), "");
    out += "\n" + (fit ? printer.green("This machine can grade.") : printer.red("This machine cannot grade as it is.")) + "\n";
    std::cout << out << std::flush;
    return fit ? exit_full_marks : exit_infrastructure;
}

}  // namespace grade
