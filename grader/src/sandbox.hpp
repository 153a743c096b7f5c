// The supervisor's isolation (grader-design §5): whatever a submission does while it is built or
// tested, the grader survives, the host and the other submissions are untouched, and nothing the
// submission started outlives it.
//
// Layers, each probed once at start-up (probe_sandbox) and reported with its status:
//   slot uids       a build uid and a test uid per slot (root only; RLIMIT_NPROC counts only then)
//   rlimits         CPU, file size, open files, processes, core; address space for compilers only
//                   (RLIMIT_AS breaks TSan and ASan, so sanitizer tests never get it)
//   no_new_privs    no setuid gains
//   seccomp         a deny list: mount, ptrace of the grader, kexec, bpf, modules, namespaces,
//                   io_uring, signals to the grader, sockets other than AF_UNIX for days without network
//   landlock        reads only the system and the command's own inputs; writes only its own directories;
//                   no signals or abstract sockets outside its domain (ABI 6)
//   namespaces      pid (a private init that takes every process with it), mount (a private /proc),
//                   ipc, network (loopback only, and only for days that need it), user when not root
//   cgroups         memory and pids limits for the whole tree (v1 controllers under the grader's own group)
//   subreaper       orphans come back to the grader, so the final sweep finds them
// Without a memory cgroup an RSS poller enforces the memory limit; a disk poller bounds what a test
// writes. The tier names the strongest set that works (A namespaces + cgroups + all below; B
// namespaces without cgroups; C root without namespaces; D unprivileged without namespaces; none:
// only process groups, deadlines and the old rlimits), and a missing layer is a warning.
//
// The Jail is the parent side of one confined command: prepared before fork (everything that
// allocates), entered in the child with async-signal-safe calls only, swept after the child ended.
// subprocess.cpp is still the only place that forks; it calls these hooks.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace grade {

enum class Tier { none, D, C, B, A };  // weakest first: a higher value is stronger

std::string to_string(Tier tier);
std::optional<Tier> parse_tier(std::string_view text);  // "A".."D" (any case) or "none"

enum class Layer {
    slot_uid,
    rlimits,
    no_new_privs,
    seccomp,
    landlock,
    user_namespace,
    pid_namespace,
    mount_namespace,
    ipc_namespace,
    net_namespace,
    cgroup_memory,
    cgroup_pids,
    subreaper,
};

std::string to_string(Layer layer);

struct LayerStatus {
    Layer layer;
    bool works = false;
    bool used = false;     // works and allowed by the tier in force
    std::string detail;    // "ABI 7", "not root", "cgroup v1 at /sys/fs/cgroup/memory/..."
};

struct SandboxProbe {
    bool root = false;
    Tier best = Tier::none;            // what this host allows
    std::vector<LayerStatus> layers;
    int landlock_abi = 0;
    std::string memory_cgroup;         // the grader's own v1 memory group (parent of ours); empty: none
    std::string pids_cgroup;
};

// What this process will use: the probe capped by --max-tier (or GRADE_MAX_TIER), checked against
// --min-tier. Computed once, on first use.
struct Sandbox {
    SandboxProbe probe;
    Tier tier = Tier::none;
    std::vector<std::string> warnings;  // one per missing or disabled layer, in words
    int slot = -1;                      // -1: no slot uids
    uid_t build_uid = 0;
    uid_t test_uid = 0;

    bool uses(Layer layer) const;
    bool namespaces() const { return uses(Layer::pid_namespace); }
};

struct SandboxSettings {
    std::optional<Tier> min_tier;  // refuse weaker hosts (usage: official runs)
    std::optional<Tier> max_tier;  // simulate a weaker host (development, tests/hostile)
};

// Called by main before any command runs; GRADE_MAX_TIER / GRADE_MIN_TIER fill what is unset.
void configure_sandbox(const SandboxSettings& settings);

// The sandbox in force; an error when the host is below --min-tier (an infrastructure error: the
// grader cannot grade here) or the settings are inconsistent.
Result<const Sandbox*> sandbox();

// Runs the probes without applying settings or allocating a slot (for `grade doctor`).
const SandboxProbe& probe_sandbox();

// The first directory on the way to `path` that other users cannot enter (no o+x), if any: the
// slot uids cannot read what lies below it.
std::optional<std::filesystem::path> closed_to_others(const std::filesystem::path& path);

// What one command may do. The caller (build.cpp, test_run.cpp) fills it from the day's limits.
struct Confinement {
    enum class Role { build, test } role = Role::test;
    bool sanitizer = false;          // never RLIMIT_AS
    long memory_bytes = 0;           // the whole tree; 0: unlimited
    int tasks = 0;                   // processes + threads; 0: unlimited
    long cpu_seconds = 0;            // per process; 0: unlimited
    long file_bytes = 0;             // largest file; 0: unlimited
    long disk_bytes = 0;             // bytes under write_dirs (polled); 0: unchecked
    int open_files = 0;              // 0: inherited
    bool network = false;            // loopback only (a network namespace with lo up)
    std::vector<std::filesystem::path> read_dirs;   // readable and executable trees (besides the system's)
    std::vector<std::filesystem::path> read_files;  // single readable/executable files
    std::vector<std::filesystem::path> write_dirs;  // read-write trees, owned by the role's uid
    std::vector<std::filesystem::path> private_dirs;  // readable by this role's slot uid only (the student's files)
    std::filesystem::path private_tmp;  // TMPDIR and HOME, writable (the shared /tmp is not)
};

// The environment a confined command starts from (no inherited variables: tokens, GRADE_*, ...).
std::map<std::string, std::string> confined_environment(const Confinement& confinement);

// What happened besides the exit status, for the verdict.
struct Aftermath {
    int leftovers = 0;          // processes still running after the command's main process ended
    bool out_of_memory = false; // the memory limit stopped the tree
    bool out_of_disk = false;   // the disk limit stopped it
    long peak_memory = 0;       // bytes (cgroup max usage, or the poller's largest sample)
};

class Jail {
public:
    static Result<std::unique_ptr<Jail>> prepare(const Confinement& confinement);
    ~Jail();
    Jail(const Jail&) = delete;
    Jail& operator=(const Jail&) = delete;

    // clone() flags for the first child (0: a plain fork, no namespaces).
    int clone_flags() const { return m_clone_flags; }
    bool pid_namespace() const { return (m_clone_flags & 0x20000000) != 0; }  // CLONE_NEWPID

    // In the first child (async-signal-safe): the init of the namespaces, or the command itself.
    // Returns 0 or an errno; `step` names what failed.
    int enter_first_child(const char** step) const;
    // In the process that will exec the command (async-signal-safe): uid, rlimits, no-new-privs,
    // Landlock, seccomp. Returns 0 or an errno.
    int enter_command(const char** step) const;
    // The host's /proc, opened before the init mounts its own (to learn the command's host pid).
    int host_proc_fd() const { return m_host_proc; }

    // While the command runs (from the supervisor's poll loop): the memory and disk pollers.
    // True when a limit was crossed and the tree must be killed.
    bool over_limit(pid_t first_child, pid_t command);
    // Kills every process of the run still alive, reaps the grader's orphans, removes cgroups.
    // `leftovers` counts what still ran after the command's main process ended.
    Aftermath sweep(pid_t first_child, pid_t command, bool main_exited);

    // Bookkeeping of the grader's live direct children (so orphans can be told from them).
    static void register_child(pid_t pid);
    static void unregister_child(pid_t pid);

private:
    Jail() = default;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    int m_clone_flags = 0;
    int m_host_proc = -1;
};

// Layer detail for `grade doctor` and warnings: the limits a confinement puts in force, in words.
std::string describe_limits(const Confinement& confinement);

}  // namespace grade
