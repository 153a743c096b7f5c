// The Jail: the parent side of one confined command (see sandbox.hpp). Everything that allocates
// happens in prepare(); enter_*() run between fork and exec and use raw system calls only.
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "sandbox.hpp"
#include "sandbox_internal.hpp"
#include "workspace.hpp"

namespace grade {
namespace fs = std::filesystem;
using namespace sandbox_detail;

namespace {

std::mutex g_children_mutex;
std::set<pid_t> g_children;

bool registered(pid_t pid) {
    std::lock_guard lock(g_children_mutex);
    return g_children.count(pid) != 0;
}

// The system, readable by every confined command (secrets there are protected by the slot uids).
const std::vector<fs::path> system_dirs = {"/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/etc",
                                           "/proc", "/sys", "/opt"};

// chown without following links; regular files with other hard links are left alone (a
// sandboxed uid must not trick root into handing it somebody else's file).
void own(const fs::path& path, uid_t uid, gid_t gid, mode_t dir_mode, bool recursive) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        return;
    }
    ::lchown(path.c_str(), uid, gid);
    ::chmod(path.c_str(), dir_mode);
    if (!recursive) {
        return;
    }
    // Every entry, not just when the top differs: a run at another tier (or an older grader) may
    // have left files of another owner inside.
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        struct stat entry {};
        if (::lstat(it->path().c_str(), &entry) != 0 || (S_ISREG(entry.st_mode) && entry.st_nlink > 1) ||
            (entry.st_uid == uid && entry.st_gid == gid)) {
            continue;
        }
        ::lchown(it->path().c_str(), uid, gid);
        if (S_ISDIR(entry.st_mode)) {
            ::chmod(it->path().c_str(), dir_mode);
        }
    }
}

int write_all(int fd, const char* text) {
    const auto n = static_cast<ssize_t>(std::strlen(text));
    return ::write(fd, text, static_cast<size_t>(n)) == n ? 0 : errno;
}

int write_file(const char* path, const char* text) {
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    const int err = write_all(fd, text);
    ::close(fd);
    return err;
}

int loopback_up() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno;
    }
    ifreq request{};
    std::strcpy(request.ifr_name, "lo");
    int err = 0;
    if (::ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
        err = errno;
    } else {
        request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
        if (::ioctl(fd, SIOCSIFFLAGS, &request) != 0) {
            err = errno;
        }
    }
    ::close(fd);
    return err;
}

int set_limit(int resource, long value) {
    const rlimit limit{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
    return ::setrlimit(resource, &limit) == 0 ? 0 : errno;
}

}  // namespace

struct Jail::Impl {
    Confinement conf;
    bool root = false;
    bool ns = false;
    bool userns = false;
    bool use_uid = false;
    bool use_rlimits = true;
    bool use_nnp = false;
    bool use_seccomp = false;
    bool use_landlock = false;
    bool use_subreaper = false;
    uid_t uid = 0;
    gid_t gid = 0;
    long nproc = 0;
    long address_space = 0;
    std::vector<sock_filter> filter;
    sock_fprog program{};
    LandlockSpec landlock;
    CgroupGroup memory_group;
    CgroupGroup pids_group;
    bool memory_cgroup = false;
    std::string uid_map, gid_map;
    std::string private_tmp;
    // /tmp: GoogleTest writes its captured streams (death tests) to a hard-coded /tmp. With a
    // mount namespace a test gets a fresh, size-capped tmpfs there; otherwise the shared /tmp,
    // whose entries of the test's uid are counted and removed afterwards (slot uids only).
    bool private_tmpfs = false;
    bool shared_tmp = false;
    std::string tmpfs_options;
    // Pollers.
    bool poll_memory = false;
    bool oom = false;
    bool disk_over = false;
    long peak = 0;
    std::chrono::steady_clock::time_point last_disk{};
    long page = 4096;

    // Entries of the shared /tmp that belong to this command's uid (only a slot uid is ours alone).
    std::vector<fs::path> own_tmp_entries() const {
        std::vector<fs::path> found;
        if (!shared_tmp || !use_uid) {
            return found;
        }
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
            struct stat info {};
            if (::lstat(entry.path().c_str(), &info) == 0 && info.st_uid == uid) {
                found.push_back(entry.path());
            }
        }
        return found;
    }

    long written() const {
        std::vector<fs::path> dirs = conf.write_dirs;
        if (!conf.private_tmp.empty()) {
            dirs.push_back(conf.private_tmp);
        }
        const auto tmp = own_tmp_entries();
        dirs.insert(dirs.end(), tmp.begin(), tmp.end());
        return disk_usage(dirs);
    }

    std::vector<ProcInfo> run_set(pid_t first_child, pid_t command) const {
        auto all = scan_processes();
        std::vector<ProcInfo> found;
        if (ns) {
            found = descendants(all, {first_child});
        } else if (use_uid) {
            for (const auto& p : all) {
                if (p.uid == uid) {
                    found.push_back(p);
                }
            }
        } else {
            std::vector<pid_t> roots = {command};
            const pid_t self = ::getpid();
            for (const auto& p : all) {
                if (p.ppid == self && p.pid != command && !registered(p.pid)) {
                    roots.push_back(p.pid);  // an orphan the subreaper took in
                }
            }
            found = descendants(all, roots);
        }
        return found;
    }
};

Jail::~Jail() {
    if (m_host_proc >= 0) {
        ::close(m_host_proc);
    }
}

void Jail::register_child(pid_t pid) {
    std::lock_guard lock(g_children_mutex);
    g_children.insert(pid);
}

void Jail::unregister_child(pid_t pid) {
    std::lock_guard lock(g_children_mutex);
    g_children.erase(pid);
}

Result<std::unique_ptr<Jail>> Jail::prepare(const Confinement& confinement) {
    std::unique_ptr<Jail> jail(new Jail());
    jail->m_impl = std::make_unique<Impl>();
    auto& impl = *jail->m_impl;
    impl.conf = confinement;
    impl.page = ::sysconf(_SC_PAGESIZE);

    // Which layers: the probe's trial set, or the sandbox in force.
    std::vector<Layer> layers;
    const SandboxProbe* probe = nullptr;
    const Sandbox* box = nullptr;
    if (ProbeLayers::current != nullptr) {
        layers = *ProbeLayers::current;
        layers.push_back(Layer::rlimits);
        probe = g_probe_in_progress;
    } else {
        TRY(current, sandbox());
        box = current;
        probe = &box->probe;
        for (const auto& l : box->probe.layers) {
            if (l.used) {
                layers.push_back(l.layer);
            }
        }
    }
    const auto has = [&](Layer l) { return std::find(layers.begin(), layers.end(), l) != layers.end(); };
    impl.root = ::geteuid() == 0;
    impl.ns = has(Layer::pid_namespace);
    impl.userns = impl.ns && !impl.root;
    impl.use_nnp = has(Layer::no_new_privs);
    impl.use_seccomp = has(Layer::seccomp);
    impl.use_landlock = has(Layer::landlock) && probe != nullptr && probe->landlock_abi > 0;
    impl.use_subreaper = !impl.ns && has(Layer::subreaper);
    impl.use_uid = has(Layer::slot_uid) && impl.root;
    const bool build = confinement.role == Confinement::Role::build;
    for (const auto& dir : confinement.write_dirs) {
        std::error_code ec;
        fs::create_directories(dir, ec);  // Landlock can only grant what exists
    }
    if (impl.use_uid) {
        if (box != nullptr) {
            impl.uid = build ? box->build_uid : box->test_uid;
        } else {
            impl.uid = probe_uid();
        }
        impl.gid = static_cast<gid_t>(impl.uid);
        const gid_t test_gid = box != nullptr ? static_cast<gid_t>(box->test_uid) : impl.gid;
        for (const auto& dir : confinement.write_dirs) {
            if (build) {
                own(dir, impl.uid, test_gid, 02750, true);
            } else {
                own(dir, impl.uid, impl.gid, 0700, true);
            }
        }
        for (const auto& dir : confinement.private_dirs) {
            own(dir, 0, impl.gid, 0750, false);
        }
    }
    if (impl.use_uid || !impl.root) {
        impl.nproc = confinement.tasks;
        if (!impl.root && confinement.tasks > 0) {
            // RLIMIT_NPROC counts every task (thread) of the user: leave room for what already runs.
            const uid_t me = ::getuid();
            long mine = 0;
            for (const auto& p : scan_processes()) {
                mine += p.uid == me ? p.threads : 0;
            }
            impl.nproc = confinement.tasks + mine;
        }
    }
    if (build && confinement.memory_bytes > 0) {
        impl.address_space = confinement.memory_bytes;  // compilers are never sanitized
    }

    if (impl.use_seccomp) {
        TRY(program, seccomp_program({confinement.network, ::getpid(), ::getpgrp()}));
        impl.filter = std::move(program);
        impl.program.len = static_cast<unsigned short>(impl.filter.size());
        impl.program.filter = impl.filter.data();
    }
    if (impl.use_landlock) {
        std::vector<fs::path> read_dirs = system_dirs;
        if (!build) {
            // Compilers get /dev/null and /dev/urandom only, never /dev/zero (`#include "/dev/zero"`).
            read_dirs.push_back("/dev");
        }
        read_dirs.insert(read_dirs.end(), confinement.read_dirs.begin(), confinement.read_dirs.end());
        read_dirs.insert(read_dirs.end(), confinement.private_dirs.begin(), confinement.private_dirs.end());
        std::vector<fs::path> read_files = confinement.read_files;
        if (build) {
            read_files.push_back("/dev/urandom");
            read_files.push_back("/dev/random");
        }
        std::vector<fs::path> write_dirs = confinement.write_dirs;
        if (!confinement.private_tmp.empty()) {
            write_dirs.push_back(confinement.private_tmp);
        }
        if (!build) {
            write_dirs.push_back("/tmp");
        }
        // With a network namespace the network is loopback-only already; without one, a day that
        // needs sockets gets them unrestricted (a visible gap of tiers C and D).
        impl.landlock = landlock_spec(probe->landlock_abi, read_dirs, read_files, write_dirs,
                                      confinement.network);
    }
    if (!build) {
        // A fresh tmpfs on /tmp would hide whatever the command needs under /tmp (a cache there).
        const auto under_tmp = [](const fs::path& path) {
            std::error_code ec;
            return fs::weakly_canonical(path, ec).string().rfind("/tmp/", 0) == 0;
        };
        bool needs_host_tmp = under_tmp(confinement.private_tmp);
        for (const auto* list : {&confinement.read_dirs, &confinement.read_files, &confinement.write_dirs,
                                 &confinement.private_dirs}) {
            needs_host_tmp = needs_host_tmp || std::any_of(list->begin(), list->end(), under_tmp);
        }
        impl.private_tmpfs = impl.ns && !needs_host_tmp;
        impl.shared_tmp = !impl.private_tmpfs;
        impl.tmpfs_options = fmt::format("size={},mode=1777",
                                         confinement.disk_bytes > 0 ? confinement.disk_bytes : 256L << 20);
    }
    if (!confinement.private_tmp.empty()) {
        std::error_code ec;
        fs::create_directories(confinement.private_tmp, ec);
        if (impl.use_uid && std::find(confinement.write_dirs.begin(), confinement.write_dirs.end(),
                                      confinement.private_tmp) == confinement.write_dirs.end()) {
            own(confinement.private_tmp, impl.uid, impl.gid, 0700, true);
        }
        impl.private_tmp = confinement.private_tmp.string();
    }

    // cgroups: only with the tier's namespaces (tier A); otherwise the pollers.
    static std::atomic<int> counter{0};
    const auto name = fmt::format("grade-{}-{}", ::getpid(), counter++);
    if (box != nullptr && box->uses(Layer::cgroup_memory) && confinement.memory_bytes > 0) {
        TRY_VOID(impl.memory_group.create(probe->memory_cgroup, name,
                                          {{"memory.limit_in_bytes", std::to_string(confinement.memory_bytes)},
                                           {"memory.swappiness", "0"}}));
        impl.memory_cgroup = true;
    }
    if (box != nullptr && box->uses(Layer::cgroup_pids) && confinement.tasks > 0) {
        TRY_VOID(impl.pids_group.create(probe->pids_cgroup, name, {{"pids.max", std::to_string(confinement.tasks)}}));
    }
    impl.poll_memory = !impl.memory_cgroup && confinement.memory_bytes > 0 && box != nullptr;

    if (impl.ns) {
        jail->m_clone_flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | (impl.userns ? CLONE_NEWUSER : 0);
        jail->m_host_proc = ::open("/proc", O_DIRECTORY | O_CLOEXEC);
        if (impl.userns) {
            impl.uid_map = fmt::format("{0} {0} 1\n", ::geteuid());
            impl.gid_map = fmt::format("{0} {0} 1\n", ::getegid());
        }
    }
    if (impl.use_subreaper) {
        ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    return jail;
}

int Jail::enter_first_child(const char** step) const {
    const auto& impl = *m_impl;
    int err = 0;
    if (impl.userns) {
        *step = "writing the user namespace's maps";
        if ((err = write_file("/proc/self/setgroups", "deny")) != 0 ||
            (err = write_file("/proc/self/uid_map", impl.uid_map.c_str())) != 0 ||
            (err = write_file("/proc/self/gid_map", impl.gid_map.c_str())) != 0) {
            return err;
        }
    }
    *step = "joining the cgroups";
    for (const int fd : {impl.memory_group.procs_fd(), impl.pids_group.procs_fd()}) {
        if (fd >= 0 && ::write(fd, "0", 1) != 1) {
            return errno;
        }
    }
    if (impl.ns) {
        *step = "making mounts private";
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
            return errno;
        }
        *step = "mounting /proc";
        if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
            return errno;
        }
        if (impl.private_tmpfs) {
            *step = "mounting a private /tmp";
            if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, impl.tmpfs_options.c_str()) != 0) {
                return errno;
            }
        }
        if (impl.conf.network) {
            *step = "bringing up loopback";
            if ((err = loopback_up()) != 0) {
                return err;
            }
        }
    }
    return 0;
}

int Jail::enter_command(const char** step) const {
    const auto& impl = *m_impl;
    const auto& c = impl.conf;
    int err = 0;
    if (impl.use_uid) {
        *step = "switching to the slot uid";
        if (::setgroups(0, nullptr) != 0 || ::setresgid(impl.gid, impl.gid, impl.gid) != 0 ||
            ::setresuid(impl.uid, impl.uid, impl.uid) != 0) {
            return errno;
        }
    }
    *step = "setting resource limits";
    if ((err = set_limit(RLIMIT_CORE, 0)) != 0) {
        return err;
    }
    if (c.cpu_seconds > 0) {
        const rlimit cpu{static_cast<rlim_t>(c.cpu_seconds), static_cast<rlim_t>(c.cpu_seconds + 1)};
        if (::setrlimit(RLIMIT_CPU, &cpu) != 0) {
            return errno;
        }
    }
    if (c.file_bytes > 0 && (err = set_limit(RLIMIT_FSIZE, c.file_bytes)) != 0) {
        return err;
    }
    if (c.open_files > 0 && (err = set_limit(RLIMIT_NOFILE, c.open_files)) != 0) {
        return err;
    }
    if (impl.nproc > 0 && (err = set_limit(RLIMIT_NPROC, impl.nproc)) != 0) {
        return err;
    }
    if (impl.address_space > 0 && (err = set_limit(RLIMIT_AS, impl.address_space)) != 0) {
        return err;
    }
    // After the uid switch, which clears it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (impl.use_nnp || impl.use_landlock || impl.use_seccomp) {
        *step = "setting no_new_privs";
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
            return errno;
        }
    }
    if (impl.use_landlock && (err = landlock_enter(impl.landlock, step)) != 0) {
        return err;
    }
    if (impl.use_seccomp) {
        *step = "installing the seccomp filter";
        if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &impl.program, 0, 0) != 0) {
            return errno;
        }
    }
    return 0;
}

bool Jail::over_limit(pid_t first_child, pid_t command) {
    auto& impl = *m_impl;
    if (impl.poll_memory) {
        long rss = 0;
        for (const auto& p : impl.run_set(first_child, command)) {
            rss += p.rss_pages * impl.page;
        }
        impl.peak = std::max(impl.peak, rss);
        if (rss > impl.conf.memory_bytes) {
            impl.oom = true;
            return true;
        }
    }
    const auto now = std::chrono::steady_clock::now();
    if (impl.conf.disk_bytes > 0 && now - impl.last_disk >= std::chrono::milliseconds(250)) {
        impl.last_disk = now;
        if (impl.written() > impl.conf.disk_bytes) {
            impl.disk_over = true;
            return true;
        }
    }
    return false;
}

Aftermath Jail::sweep(pid_t first_child, pid_t command, bool main_exited) {
    auto& impl = *m_impl;
    Aftermath after;
    const auto alive = [&] {
        auto set = impl.run_set(first_child, command);
        std::erase_if(set, [](const ProcInfo& p) { return p.state == 'Z' || p.state == 'X'; });
        return set;
    };
    if (impl.ns) {
        // The namespace's init killed and reaped everything before it exited (and reported
        // leftovers); if it was killed itself, the kernel took the namespace down with it.
        ::kill(first_child, SIGKILL);
    } else {
        if (main_exited) {
            // A child the command killed just before it exited may still be on its way out.
            auto left = alive();
            for (int i = 0; i < 15 && !left.empty(); ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                left = alive();
            }
            after.leftovers = static_cast<int>(left.size());
        }
        for (int round = 0; round < 300; ++round) {
            const auto left = alive();
            if (left.empty()) {
                break;
            }
            for (const auto& p : left) {
                ::kill(p.pid, SIGKILL);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(round < 10 ? 1 : 5));
        }
        // Orphans the subreaper took in are ours to reap.
        const pid_t self = ::getpid();
        for (const auto& p : scan_processes()) {
            if (p.ppid == self && !registered(p.pid)) {
                ::waitpid(p.pid, nullptr, WNOHANG);
            }
        }
    }
    if (impl.memory_cgroup) {
        after.out_of_memory = impl.memory_group.oom_kills() > 0;
        after.peak_memory = impl.memory_group.read_number("memory.max_usage_in_bytes");
    }
    after.out_of_memory = after.out_of_memory || impl.oom;
    after.peak_memory = std::max(after.peak_memory, impl.peak);
    if (impl.conf.disk_bytes > 0 && !impl.disk_over) {
        impl.disk_over = impl.written() > impl.conf.disk_bytes;
    }
    for (const auto& entry : impl.own_tmp_entries()) {
        std::error_code ec;
        fs::remove_all(entry, ec);  // what the test left in the shared /tmp
    }
    after.out_of_disk = impl.disk_over;
    impl.memory_group.destroy();
    impl.pids_group.destroy();
    if (impl.use_uid) {
        // Closed again until the next build: a later submission on this slot (same uids) must
        // not find this one's sources open (Landlock aside).
        for (const auto& dir : impl.conf.private_dirs) {
            ::chmod(dir.c_str(), 0700);
        }
    }
    return after;
}

std::map<std::string, std::string> confined_environment(const Confinement& confinement) {
    std::map<std::string, std::string> env = {
        {"PATH", "/usr/local/bin:/usr/bin:/bin"},
        {"LANG", "C.UTF-8"},
    };
    if (!confinement.private_tmp.empty()) {
        env["TMPDIR"] = confinement.private_tmp.string();
        env["HOME"] = confinement.private_tmp.string();
    }
    return env;
}

}  // namespace grade
