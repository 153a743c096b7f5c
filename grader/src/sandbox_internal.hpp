// The sandbox's parts, shared by sandbox*.cpp (not used elsewhere): seccomp programs (the only
// libseccomp user), Landlock rules, cgroup v1 groups, and a /proc scanner.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "error.hpp"

#include "sandbox.hpp"

namespace grade::sandbox_detail {

// The probe runs `true` through Jails restricted to some layers; while it does, Jail::prepare
// takes its layers from here (and the static probe results) instead of from sandbox().
struct ProbeLayers {
    explicit ProbeLayers(const std::vector<Layer>& layers) : m_saved(current) { current = &layers; }
    ~ProbeLayers() { current = m_saved; }
    ProbeLayers(const ProbeLayers&) = delete;
    ProbeLayers& operator=(const ProbeLayers&) = delete;
    static thread_local const std::vector<Layer>* current;

private:
    const std::vector<Layer>* m_saved;
};
extern const SandboxProbe* g_probe_in_progress;
uid_t probe_uid();

// ---- seccomp (sandbox_seccomp.cpp) ----
struct SeccompRules {
    bool network = false;  // AF_INET/AF_INET6 sockets allowed
    pid_t grader = 0;      // signals and ptrace aimed at it are refused
    pid_t grader_group = 0;
};
// The BPF program libseccomp generates, exported once in the parent: the child only installs it.
Result<std::vector<sock_filter>> seccomp_program(const SeccompRules& rules);
// True if this kernel accepts a filter (checked in a child by the probe, here only the prctl).
bool seccomp_available();

// ---- Landlock (sandbox_landlock.cpp) ----
int landlock_abi();  // 0: not available
struct LandlockRule {
    std::string path;
    unsigned long long access = 0;
};
struct LandlockSpec {
    int abi = 0;
    unsigned long long handled_fs = 0;
    unsigned long long handled_net = 0;
    unsigned long long scoped = 0;
    std::vector<LandlockRule> rules;
};
// Rules for a confinement: the system read-only, `read_*` readable, `write_dirs` writable.
LandlockSpec landlock_spec(int abi, const std::vector<std::filesystem::path>& read_dirs,
                           const std::vector<std::filesystem::path>& read_files,
                           const std::vector<std::filesystem::path>& write_dirs, bool network_unrestricted);
// In the child (async-signal-safe): builds the ruleset and restricts the calling thread.
int landlock_enter(const LandlockSpec& spec, const char** step);

// ---- cgroup v1 (sandbox_cgroup.cpp) ----
// The grader's own group of a v1 controller ("/sys/fs/cgroup/memory/process_api/x"), or empty.
std::string own_cgroup(const std::string& controller);
// Removes the groups of graders that died without removing theirs (killed mid-command):
// "grade-<pid>-<n>" and "grade-probe-<pid>" whose <pid> is no longer a running grade.
void remove_stale_groups(const std::string& parent);
// A probe: can a child group be made, limited and removed there?
bool cgroup_writable(const std::string& parent, const std::string& limit_file, const std::string& value);

class CgroupGroup {
public:
    CgroupGroup() = default;
    ~CgroupGroup();
    CgroupGroup(const CgroupGroup&) = delete;
    CgroupGroup& operator=(const CgroupGroup&) = delete;
    // Makes <parent>/<name> and writes the limits; opens cgroup.procs for the child to join.
    Result<void> create(const std::string& parent, const std::string& name,
                        const std::vector<std::pair<std::string, std::string>>& limits);
    // Takes over an existing group (to remove it).
    void adopt(const std::string& path) { m_path = path; }
    int procs_fd() const { return m_procs; }
    std::vector<pid_t> members() const;
    long read_number(const std::string& file) const;  // -1 when unreadable
    long oom_kills() const;                            // memory.oom_control's oom_kill, else failcnt > 0
    // Kills every member until none is left (bounded), then removes the group.
    void destroy();

private:
    std::string m_path;
    int m_procs = -1;
};

// ---- /proc ----
struct ProcInfo {
    pid_t pid = 0;
    pid_t ppid = 0;
    pid_t pgid = 0;
    uid_t uid = 0;
    char state = '?';
    long rss_pages = 0;
    long threads = 1;
};
std::vector<ProcInfo> scan_processes();
// `roots` and every process descending from them.
std::vector<ProcInfo> descendants(const std::vector<ProcInfo>& all, const std::vector<pid_t>& roots);

// Bytes of disk used beneath `dirs` (st_blocks, symbolic links not followed).
long disk_usage(const std::vector<std::filesystem::path>& dirs);

}  // namespace grade::sandbox_detail
