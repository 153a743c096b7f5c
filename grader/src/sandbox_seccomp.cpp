// The seccomp layer: a deny list on top of a default allow (a test may use threads, processes,
// pipes, mmap, futexes, timers, and the sanitizers need personality, ptrace of their own threads
// (LeakSanitizer) and prctl). Denied calls fail with EPERM rather than killing the process, so a
// refused attack is a message in the test's output, not a mysterious crash. Syscalls of another
// ABI (int 0x80, x32) kill the process: libseccomp's bad-architecture action.
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "sandbox_internal.hpp"

namespace grade::sandbox_detail {
namespace {

// Calls nobody's test needs and every escape uses: the kernel, mounts, namespaces, other processes'
// memory, I/O that bypasses seccomp (io_uring).
constexpr const char* always_denied[] = {
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "swapon", "swapoff", "reboot", "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "bpf", "perf_event_open", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "iopl", "ioperm", "keyctl", "add_key", "request_key", "open_by_handle_at",
    "name_to_handle_at", "userfaultfd", "process_vm_readv", "process_vm_writev", "kcmp", "setns", "unshare",
    "fanotify_init", "quotactl", "quotactl_fd", "lookup_dcookie", "syslog", "vhangup", "uselib", "io_uring_setup",
    "io_uring_enter", "io_uring_register", "landlock_create_ruleset" /* nested sandboxes are not needed */,
};

constexpr unsigned long namespace_flags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
                                             CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME};

struct ContextDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};

int deny(scmp_filter_ctx ctx, const char* name, int error, unsigned count = 0, scmp_arg_cmp a = {}, scmp_arg_cmp b = {}) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) {
        return 0;  // not a syscall of this architecture
    }
    if (count == 0) {
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(error), nr, 0);
    }
    if (count == 1) {
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(error), nr, 1, a);
    }
    return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(error), nr, 2, a, b);
}

}  // namespace

bool seccomp_available() { return ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0; }

Result<std::vector<sock_filter>> seccomp_program(const SeccompRules& rules) {
    std::unique_ptr<void, ContextDeleter> owner(seccomp_init(SCMP_ACT_ALLOW));
    scmp_filter_ctx ctx = owner.get();
    if (ctx == nullptr) {
        return fail("seccomp: cannot create a filter");
    }
    int rc = 0;
    const auto check = [&](int result, const char* what) {
        if (result < 0 && rc == 0) {
            rc = result;
            (void)what;
        }
    };
    for (const char* name : always_denied) {
        check(deny(ctx, name, EPERM), name);
    }
    // glibc falls back from clone3 to clone on ENOSYS; clone's flags can be inspected, clone3's cannot.
    check(deny(ctx, "clone3", ENOSYS), "clone3");
    for (const auto flag : namespace_flags) {
        check(deny(ctx, "clone", EPERM, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)), "clone");
    }
    // Signals and ptrace aimed at the grader, its process group, or everything the uid owns.
    const auto grader = static_cast<std::uint32_t>(rules.grader);
    const auto minus_group = static_cast<std::uint32_t>(-rules.grader_group);
    const auto minus_one = static_cast<std::uint32_t>(-1);
    for (const char* name : {"kill", "tkill", "rt_sigqueueinfo", "pidfd_open"}) {
        check(deny(ctx, name, EPERM, 1, SCMP_A0_32(SCMP_CMP_EQ, grader)), name);
    }
    check(deny(ctx, "tgkill", EPERM, 1, SCMP_A0_32(SCMP_CMP_EQ, grader)), "tgkill");
    check(deny(ctx, "rt_tgsigqueueinfo", EPERM, 1, SCMP_A0_32(SCMP_CMP_EQ, grader)), "rt_tgsigqueueinfo");
    check(deny(ctx, "kill", EPERM, 1, SCMP_A0_32(SCMP_CMP_EQ, minus_one)), "kill -1");
    check(deny(ctx, "kill", EPERM, 1, SCMP_A0_32(SCMP_CMP_EQ, minus_group)), "kill -group");
    check(deny(ctx, "ptrace", EPERM, 1, SCMP_A1_32(SCMP_CMP_EQ, grader)), "ptrace");
    // Raw packet sockets never; the internet families only for days with a (loopback) network.
    check(deny(ctx, "socket", EPERM, 1, SCMP_A0_32(SCMP_CMP_EQ, AF_PACKET)), "socket");
    if (!rules.network) {
        check(deny(ctx, "socket", EPERM, 1, SCMP_A0_32(SCMP_CMP_EQ, AF_INET)), "socket");
        check(deny(ctx, "socket", EPERM, 1, SCMP_A0_32(SCMP_CMP_EQ, AF_INET6)), "socket");
    }
    if (rc < 0) {
        return fail("seccomp: a rule was refused: {}", std::strerror(-rc));
    }
    const int fd = ::memfd_create("grade-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        return fail("seccomp: memfd_create: {}", std::strerror(errno));
    }
    std::vector<sock_filter> program;
    if (const int exported = seccomp_export_bpf(ctx, fd); exported < 0) {
        ::close(fd);
        return fail("seccomp: cannot export the filter: {}", std::strerror(-exported));
    }
    const off_t size = ::lseek(fd, 0, SEEK_END);
    if (size > 0 && size % static_cast<off_t>(sizeof(sock_filter)) == 0) {
        program.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
        if (::pread(fd, program.data(), static_cast<std::size_t>(size), 0) != size) {
            program.clear();
        }
    }
    ::close(fd);
    if (program.empty()) {
        return fail("seccomp: the exported filter is empty");
    }
    return program;
}

}  // namespace grade::sandbox_detail
