// Tiers, probes and settings of the sandbox; the Jail itself is in sandbox_jail.cpp.
#include "sandbox.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

#include "sandbox_internal.hpp"
#include "subprocess.hpp"
#include "workspace.hpp"

namespace grade {
namespace fs = std::filesystem;
using namespace sandbox_detail;

std::string to_string(Tier tier) {
    switch (tier) {
        case Tier::A: return "A";
        case Tier::B: return "B";
        case Tier::C: return "C";
        case Tier::D: return "D";
        case Tier::none: return "none";
    }
    return "none";
}

std::optional<Tier> parse_tier(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "a") return Tier::A;
    if (lower == "b") return Tier::B;
    if (lower == "c") return Tier::C;
    if (lower == "d") return Tier::D;
    if (lower == "none") return Tier::none;
    return std::nullopt;
}

std::string to_string(Layer layer) {
    switch (layer) {
        case Layer::slot_uid: return "slot uids";
        case Layer::rlimits: return "rlimits";
        case Layer::no_new_privs: return "no_new_privs";
        case Layer::seccomp: return "seccomp";
        case Layer::landlock: return "landlock";
        case Layer::user_namespace: return "user namespace";
        case Layer::pid_namespace: return "pid namespace";
        case Layer::mount_namespace: return "mount namespace";
        case Layer::ipc_namespace: return "ipc namespace";
        case Layer::net_namespace: return "network namespace";
        case Layer::cgroup_memory: return "memory cgroup";
        case Layer::cgroup_pids: return "pids cgroup";
        case Layer::subreaper: return "subreaper";
    }
    return "?";
}

namespace {

std::mutex g_mutex;
SandboxSettings g_settings;
bool g_configured = false;

// The tier a layer belongs to: it is used only when the tier in force is at least this one.
Tier tier_of(Layer layer, bool root) {
    switch (layer) {
        case Layer::cgroup_memory:
        case Layer::cgroup_pids: return Tier::A;
        case Layer::user_namespace:
        case Layer::pid_namespace:
        case Layer::mount_namespace:
        case Layer::ipc_namespace:
        case Layer::net_namespace: return Tier::B;
        case Layer::slot_uid: return root ? Tier::C : Tier::A;
        default: return Tier::D;
    }
}

LayerStatus& layer(SandboxProbe& probe, Layer which) {
    for (auto& l : probe.layers) {
        if (l.layer == which) {
            return l;
        }
    }
    probe.layers.push_back({which, false, false, ""});
    return probe.layers.back();
}

void set(SandboxProbe& probe, Layer which, bool works, std::string detail) {
    auto& l = layer(probe, which);
    l.works = works;
    l.detail = std::move(detail);
}

// Runs `true` through a Jail restricted to `layers` and says why it failed, if it did.
std::optional<std::string> try_layers(const std::vector<Layer>& layers) {
    ProbeLayers only{layers};
    Command cmd{.argv = {"true"}, .deadline = std::chrono::seconds(10), .output_cap = 4096};
    Confinement c;
    c.role = Confinement::Role::test;
    c.tasks = 64;
    c.memory_bytes = 256L << 20;
    cmd.confinement = c;
    const auto done = run(cmd);
    if (!done) {
        return done.error().message;
    }
    if (!done->ok()) {
        return describe_end(*done) + (done->output.empty() ? "" : ": " + done->output.substr(0, 200));
    }
    return std::nullopt;
}

SandboxProbe run_probe() {
    SandboxProbe probe;
    probe.root = ::geteuid() == 0;
    for (const Layer l : {Layer::slot_uid, Layer::rlimits, Layer::no_new_privs, Layer::seccomp, Layer::landlock,
                          Layer::user_namespace, Layer::pid_namespace, Layer::mount_namespace, Layer::ipc_namespace,
                          Layer::net_namespace, Layer::cgroup_memory, Layer::cgroup_pids, Layer::subreaper}) {
        layer(probe, l);
    }
    set(probe, Layer::rlimits, true, "CPU, file size, open files, processes, core; address space for compilers");
    const bool nnp = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) >= 0;
    set(probe, Layer::no_new_privs, nnp, nnp ? "" : "prctl(PR_GET_NO_NEW_PRIVS) failed");
    int subreaper = 0;
    const bool reaper = ::prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0) == 0;
    set(probe, Layer::subreaper, reaper, reaper ? "" : "prctl(PR_GET_CHILD_SUBREAPER) failed");
    probe.landlock_abi = landlock_abi();
    set(probe, Layer::landlock, probe.landlock_abi > 0,
        probe.landlock_abi > 0 ? fmt::format("ABI {}", probe.landlock_abi) : "not in this kernel (or disabled at boot)");
    const bool seccomp = seccomp_available() && seccomp_program({}).has_value();
    set(probe, Layer::seccomp, seccomp, seccomp ? "deny list, EPERM" : "not in this kernel");
    if (probe.root) {
        const auto cache = cache_root();
        const bool reach = !closed_to_others(cache);
        set(probe, Layer::slot_uid, reach,
            reach ? "a build uid and a test uid per slot"
                  : fmt::format("the cache {} is not reachable by other users (set GRADE_CACHE elsewhere)",
                                cache.string()));
    } else {
        set(probe, Layer::slot_uid, false, "not root: everything runs as the grader's own user");
    }
    // cgroups: v1 controllers under our own group (root, or a delegated hierarchy).
    probe.memory_cgroup = own_cgroup("memory");
    probe.pids_cgroup = own_cgroup("pids");
    const bool memory = cgroup_writable(probe.memory_cgroup, "memory.limit_in_bytes", "268435456");
    const bool pids = cgroup_writable(probe.pids_cgroup, "pids.max", "64");
    set(probe, Layer::cgroup_memory, memory,
        memory ? "v1 under " + probe.memory_cgroup
               : probe.memory_cgroup.empty() ? "no v1 memory controller (cgroup v2 is not used yet)"
                                             : "cannot make groups under " + probe.memory_cgroup);
    set(probe, Layer::cgroup_pids, pids,
        pids ? "v1 under " + probe.pids_cgroup
             : probe.pids_cgroup.empty() ? "no v1 pids controller" : "cannot make groups under " + probe.pids_cgroup);
    if (!memory) {
        probe.memory_cgroup.clear();
    }
    if (!pids) {
        probe.pids_cgroup.clear();
    }
    // Namespaces and the child-side layers, for real: `true` through a Jail.
    std::vector<Layer> ns = {Layer::pid_namespace, Layer::mount_namespace, Layer::ipc_namespace, Layer::net_namespace};
    if (!probe.root) {
        ns.push_back(Layer::user_namespace);
    }
    // The probe's Jails need the static layer results above.
    g_probe_in_progress = &probe;
    const auto ns_error = try_layers(ns);
    for (const Layer l : ns) {
        set(probe, l, !ns_error, ns_error ? *ns_error : "");
    }
    if (probe.root) {
        set(probe, Layer::user_namespace, false, "not needed as root");
    }
    std::vector<Layer> inner;
    for (const Layer l : {Layer::no_new_privs, Layer::seccomp, Layer::landlock, Layer::slot_uid}) {
        if (layer(probe, l).works) {
            inner.push_back(l);
        }
    }
    if (const auto inner_error = try_layers(inner)) {
        for (const Layer l : inner) {
            if (try_layers({l})) {
                set(probe, l, false, *inner_error);
            }
        }
    }
    g_probe_in_progress = nullptr;

    const auto works = [&](Layer l) { return layer(probe, l).works; };
    const bool namespaces = works(Layer::pid_namespace) && works(Layer::mount_namespace) &&
                            works(Layer::net_namespace) && works(Layer::ipc_namespace);
    if (namespaces && works(Layer::cgroup_memory) && works(Layer::cgroup_pids)) {
        probe.best = Tier::A;
    } else if (namespaces) {
        probe.best = Tier::B;
    } else if (probe.root && works(Layer::slot_uid)) {
        probe.best = Tier::C;
    } else {
        probe.best = Tier::D;
    }
    return probe;
}

// Slots: one per concurrently running grader, so two graders never share uids. A slot is an
// flock()ed file held for the process's lifetime.
int take_slot() {
    const fs::path dir = ::geteuid() == 0 ? fs::path("/run/grade-slots") : fs::temp_directory_path() / "grade-slots";
    std::error_code ec;
    fs::create_directories(dir, ec);
    for (int slot = 0; slot < 256; ++slot) {
        const auto file = dir / fmt::format("slot-{}.lock", slot);
        const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            return -1;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            return slot;  // the fd stays open (and locked) until the process ends
        }
        ::close(fd);
    }
    return -1;
}

uid_t uid_base() {
    if (const char* env = std::getenv("GRADE_UID_BASE"); env != nullptr && *env != '\0') {
        return static_cast<uid_t>(std::strtoul(env, nullptr, 10));
    }
    return 1'500'000'000;
}

}  // namespace

namespace sandbox_detail {
const SandboxProbe* g_probe_in_progress = nullptr;
thread_local const std::vector<Layer>* ProbeLayers::current = nullptr;
uid_t probe_uid() { return uid_base() - 1; }
}  // namespace sandbox_detail

std::optional<fs::path> closed_to_others(const fs::path& path) {
    // Both the path as given (its symlinks are walked through) and where it leads.
    std::error_code ec;
    for (const fs::path& target : {fs::absolute(path, ec).lexically_normal(), fs::weakly_canonical(path, ec)}) {
        std::optional<fs::path> closed;
        for (fs::path at = target; !at.empty(); at = at.parent_path()) {
            struct stat info {};
            if (::stat(at.c_str(), &info) == 0 && (info.st_mode & S_IXOTH) == 0) {
                closed = at;  // keep going: the one nearest the root is the first on the way
            }
            if (at == at.parent_path()) {
                break;
            }
        }
        if (closed) {
            return closed;
        }
    }
    return std::nullopt;
}

const SandboxProbe& probe_sandbox() {
    static const SandboxProbe probe = run_probe();
    return probe;
}

void configure_sandbox(const SandboxSettings& settings) {
    std::lock_guard lock(g_mutex);
    g_settings = settings;
    g_configured = true;
}

bool Sandbox::uses(Layer which) const {
    for (const auto& l : probe.layers) {
        if (l.layer == which) {
            return l.used;
        }
    }
    return false;
}

Result<const Sandbox*> sandbox() {
    static std::once_flag once;
    static Sandbox box;
    static std::optional<Error> error;
    std::call_once(once, [] {
        SandboxSettings settings;
        {
            std::lock_guard lock(g_mutex);
            settings = g_settings;
        }
        for (const auto& [name, target] : {std::pair{"GRADE_MAX_TIER", &settings.max_tier},
                                           std::pair{"GRADE_MIN_TIER", &settings.min_tier}}) {
            const char* env = std::getenv(name);
            if (!*target && env != nullptr && *env != '\0') {
                *target = parse_tier(env);
                if (!*target) {
                    error = Error{ErrorKind::usage, fmt::format("{}={}: a tier is A, B, C, D or none", name, env)};
                    return;
                }
            }
        }
        box.probe = probe_sandbox();
        box.tier = std::min(box.probe.best, settings.max_tier.value_or(Tier::A));
        if (settings.min_tier && box.tier < *settings.min_tier) {
            error = Error{ErrorKind::infrastructure,
                          fmt::format("this host gives sandbox tier {}{}, below the --min-tier {} asked for; `grade "
                                      "doctor` shows which layers are missing",
                                      to_string(box.tier),
                                      box.tier < box.probe.best ? fmt::format(" (capped by --max-tier)") : "",
                                      to_string(*settings.min_tier))};
            return;
        }
        for (auto& l : box.probe.layers) {
            l.used = box.tier != Tier::none && l.works && box.tier >= tier_of(l.layer, box.probe.root);
            const bool wanted = !(l.layer == Layer::user_namespace && box.probe.root);
            if (box.tier != Tier::none && wanted && !l.works && box.tier >= tier_of(l.layer, box.probe.root)) {
                box.warnings.push_back(fmt::format("sandbox layer {} is missing: {}", to_string(l.layer), l.detail));
            }
        }
        if (box.tier == Tier::none) {
            box.warnings.push_back("no sandbox: submissions run with the grader's rights (tier forced to none)");
        } else if (box.tier < box.probe.best) {
            box.warnings.push_back(fmt::format("sandbox capped at tier {} (this host gives {})", to_string(box.tier),
                                               to_string(box.probe.best)));
        }
        if (!box.uses(Layer::cgroup_memory) && box.tier != Tier::none) {
            // Not a missing layer of the tier, but worth knowing: memory is polled, not capped.
            box.warnings.push_back("memory limits are enforced by polling (no memory cgroup): a fast allocation can "
                                   "overshoot for a fraction of a second");
        }
        if (box.uses(Layer::cgroup_memory)) {
            remove_stale_groups(box.probe.memory_cgroup);
        }
        if (box.uses(Layer::cgroup_pids)) {
            remove_stale_groups(box.probe.pids_cgroup);
        }
        if (box.uses(Layer::slot_uid)) {
            box.slot = take_slot();
            if (box.slot < 0) {
                error = Error{ErrorKind::infrastructure, "no free sandbox slot (256 graders already run here?)"};
                return;
            }
            box.build_uid = uid_base() + static_cast<uid_t>(2 * box.slot);
            box.test_uid = box.build_uid + 1;
        }
    });
    if (error) {
        return tl::unexpected(*error);
    }
    return &box;
}

std::string describe_limits(const Confinement& c) {
    const auto mib = [](long bytes) { return bytes / (1L << 20); };
    std::string text;
    const auto add = [&](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
    if (c.memory_bytes > 0) add(fmt::format("memory {} MiB{}", mib(c.memory_bytes), c.sanitizer ? " (sanitizer)" : ""));
    if (c.tasks > 0) add(fmt::format("{} processes+threads", c.tasks));
    if (c.cpu_seconds > 0) add(fmt::format("CPU {} s per process", c.cpu_seconds));
    if (c.file_bytes > 0) add(fmt::format("files up to {} MiB", mib(c.file_bytes)));
    if (c.disk_bytes > 0) add(fmt::format("disk {} MiB", mib(c.disk_bytes)));
    add(c.network ? "loopback network" : "no network");
    return text;
}

}  // namespace grade
