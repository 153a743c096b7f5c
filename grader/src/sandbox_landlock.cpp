// The Landlock layer: a confined command reads the system and its own inputs, writes only its own
// directories, and (ABI 6) cannot signal or reach abstract sockets outside its domain. The rules
// are computed in the parent; the child turns them into a ruleset with raw syscalls only (it may
// run in a fresh mount namespace, where paths must be opened after the mounts).
//
// The installed kernel headers may predate the ABI the kernel speaks, so the structures and flags
// of ABI 3-6 are spelt out here.
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "sandbox_internal.hpp"

namespace grade::sandbox_detail {
namespace {

constexpr std::uint64_t fs_execute = 1ULL << 0;
constexpr std::uint64_t fs_write_file = 1ULL << 1;
constexpr std::uint64_t fs_read_file = 1ULL << 2;
constexpr std::uint64_t fs_read_dir = 1ULL << 3;
constexpr std::uint64_t fs_make_sym = 1ULL << 12;
constexpr std::uint64_t fs_refer = 1ULL << 13;
constexpr std::uint64_t fs_truncate = 1ULL << 14;
constexpr std::uint64_t net_bind_tcp = 1ULL << 0;
constexpr std::uint64_t net_connect_tcp = 1ULL << 1;
constexpr std::uint64_t scope_abstract_unix = 1ULL << 0;
constexpr std::uint64_t scope_signal = 1ULL << 1;

struct RulesetAttr {
    std::uint64_t handled_access_fs;
    std::uint64_t handled_access_net;
    std::uint64_t scoped;
};

struct __attribute__((packed)) PathBeneathAttr {
    std::uint64_t allowed_access;
    std::int32_t parent_fd;
};

constexpr int rule_path_beneath = 1;

std::uint64_t all_fs(int abi) {
    std::uint64_t rights = (1ULL << 13) - 1;  // ABI 1: execute .. make_sym
    if (abi >= 2) {
        rights |= fs_refer;
    }
    if (abi >= 3) {
        rights |= fs_truncate;
    }
    // ABI 5's ioctl_dev is left unhandled: terminals and /dev/null need their ioctls.
    return rights;
}

constexpr std::uint64_t read_rights = fs_execute | fs_read_file | fs_read_dir;
constexpr std::uint64_t file_rights = fs_execute | fs_read_file;

}  // namespace

int landlock_abi() {
    const long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U /* LANDLOCK_CREATE_RULESET_VERSION */);
    return abi > 0 ? static_cast<int>(abi) : 0;
}

LandlockSpec landlock_spec(int abi, const std::vector<std::filesystem::path>& read_dirs,
                           const std::vector<std::filesystem::path>& read_files,
                           const std::vector<std::filesystem::path>& write_dirs, bool network_unrestricted) {
    LandlockSpec spec;
    spec.abi = abi;
    if (abi <= 0) {
        return spec;
    }
    spec.handled_fs = all_fs(abi);
    if (abi >= 4 && !network_unrestricted) {
        spec.handled_net = net_bind_tcp | net_connect_tcp;  // no rules: no TCP at all
    }
    if (abi >= 6) {
        spec.scoped = scope_abstract_unix | scope_signal;
    }
    for (const auto& dir : read_dirs) {
        spec.rules.push_back({dir.string(), read_rights});
    }
    for (const auto& file : read_files) {
        spec.rules.push_back({file.string(), file_rights});
    }
    // Everything but symbolic links in the command's own directories: the grader reads those
    // directories afterwards and must never be pointed elsewhere.
    const std::uint64_t write_rights = spec.handled_fs & ~fs_make_sym;
    for (const auto& dir : write_dirs) {
        spec.rules.push_back({dir.string(), write_rights});
    }
    spec.rules.push_back({"/dev/null", fs_read_file | fs_write_file | (abi >= 3 ? fs_truncate : 0)});
    return spec;
}

int landlock_enter(const LandlockSpec& spec, const char** step) {
    if (spec.abi <= 0) {
        return 0;
    }
    const RulesetAttr attr{spec.handled_fs, spec.handled_net, spec.scoped};
    const std::size_t size = spec.abi >= 6 ? sizeof(RulesetAttr) : spec.abi >= 4 ? 16 : 8;
    *step = "landlock_create_ruleset";
    const int ruleset = static_cast<int>(::syscall(SYS_landlock_create_ruleset, &attr, size, 0U));
    if (ruleset < 0) {
        return errno;
    }
    *step = "landlock_add_rule";
    for (const auto& rule : spec.rules) {
        const int fd = ::open(rule.path.c_str(), O_PATH | O_CLOEXEC);
        if (fd < 0) {
            continue;  // a system directory this host does not have
        }
        struct stat info {};
        std::uint64_t access = rule.access & spec.handled_fs;
        if (::fstat(fd, &info) == 0 && !S_ISDIR(info.st_mode)) {
            access &= file_rights | fs_write_file | fs_truncate;  // directory rights are invalid on files
        }
        const PathBeneathAttr beneath{access, fd};
        const long added = ::syscall(SYS_landlock_add_rule, ruleset, rule_path_beneath, &beneath, 0U);
        const int err = errno;
        ::close(fd);
        if (added < 0) {
            ::close(ruleset);
            return err;
        }
    }
    *step = "landlock_restrict_self";
    const long restricted = ::syscall(SYS_landlock_restrict_self, ruleset, 0U);
    const int err = errno;
    ::close(ruleset);
    return restricted < 0 ? err : 0;
}

}  // namespace grade::sandbox_detail
