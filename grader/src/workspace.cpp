#include "workspace.hpp"
#include "util.hpp"

#include <sys/file.h>
#include <sys/stat.h>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

namespace grade {
namespace fs = std::filesystem;

bool is_plain_file_name(const std::string& name) {
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
           name.find('\0') == std::string::npos;
}

fs::path cache_root() {
    if (const char* env = std::getenv("GRADE_CACHE"); env != nullptr && *env != '\0') {
        std::error_code ec;
        const auto absolute = fs::absolute(env, ec);  // sandboxed commands start elsewhere
        return ec ? fs::path(env) : absolute;
    }
    if (::geteuid() == 0) {
        // Root's home is private (0700): the sandbox's slot uids could not reach a cache there.
        return "/var/cache/grade";
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
        return fs::path(xdg) / "grade";
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        return fs::path(home) / ".cache" / "grade";
    }
    return fs::temp_directory_path() / "grade-cache";
}

struct WorkspaceLock {
    int fd = -1;
    ~WorkspaceLock() {
        if (fd >= 0) {
            ::close(fd);  // releases the flock
        }
    }
};

Result<std::shared_ptr<const WorkspaceLock>> hold_lock(const fs::path& lock_path, const std::function<void()>& waiting) {
    auto lock = std::make_shared<WorkspaceLock>();
    lock->fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (lock->fd < 0) {
        return fail("cannot open {}: {}", lock_path.string(), std::strerror(errno));
    }
    if (::flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            return fail("cannot lock {}: {}", lock_path.string(), std::strerror(errno));
        }
        if (waiting) {
            waiting();
        }
        while (::flock(lock->fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                return fail("cannot lock {}: {}", lock_path.string(), std::strerror(errno));
            }
        }
    }
    return std::shared_ptr<const WorkspaceLock>(std::move(lock));
}

Result<Workspace> open_workspace(const fs::path& submission, const std::string& day, const std::string& purpose,
                                 const WaitNotice& waiting) {
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(submission, ec).string();
    const auto key = fmt::format("{}-{}-{:012x}", purpose, day, std::hash<std::string>{}(canonical) & 0xFFFFFFFFFFFFULL);
    return open_slot_workspace(key, "", waiting);
}

Result<Workspace> open_slot_workspace(const std::string& slot, const std::string& day, const WaitNotice& waiting) {
    std::error_code ec;
    Workspace workspace{cache_root() / "work" / (day.empty() ? slot : slot + "-" + day), nullptr};
    for (const auto& dir : {workspace.student(), workspace.build(), workspace.logs()}) {
        fs::create_directories(dir, ec);
        if (ec) {
            return fail("cannot create the build directory {}: {}", dir.string(), ec.message());
        }
    }
    TRY(lock, hold_lock(workspace.root / "lock", [&] {
            if (waiting) {
                waiting(workspace.root);
            }
        }));
    workspace.lock = std::move(lock);
    return workspace;
}

Result<Ingested> ingest(const fs::path& source_day_dir, const DaySpec& day, const Workspace& workspace) {
    Ingested result;
    std::error_code ec;
    // Every name is opened relative to the day directory, which is opened without following a
    // link, and every file without following one either: no check-then-open race, and no way to
    // point the grader at somebody else's files (or at a FIFO that would block it).
    const int dir = ::open(source_day_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    const int dir_error = errno;
    for (const auto& name : day.files) {
        const fs::path target = workspace.student() / name;
        std::string reason;
        struct stat info {};
        int fd = -1;
        if (!is_plain_file_name(name)) {
            reason = "is not a plain file name of the day (no directories, '..' or absolute paths)";
        } else if (dir < 0) {
            if (dir_error == ENOENT) {
                result.missing.push_back(name);
                fs::remove(target, ec);
                continue;
            }
            reason = dir_error == ELOOP || dir_error == ENOTDIR
                         ? fmt::format("the day directory {} is a symbolic link or not a directory", day.dir)
                         : fmt::format("the day directory cannot be read: {}", std::strerror(dir_error));
        } else {
            fd = ::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
            if (fd < 0 && errno == ENOENT) {
                result.missing.push_back(name);
                fs::remove(target, ec);
                continue;
            }
            if (fd < 0) {
                reason = errno == ELOOP ? "is a symbolic link; only regular files are graded"
                                        : fmt::format("cannot be read: {}", std::strerror(errno));
            } else if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
                reason = S_ISDIR(info.st_mode) ? "is a directory (a git submodule?); only regular files are graded"
                                               : "is not a regular file";
            } else if (info.st_size > day.limits.file_bytes) {
                reason = fmt::format("is {} bytes, over the {} byte limit", info.st_size, day.limits.file_bytes);
            }
        }
        std::string content;
        if (reason.empty()) {
            content.resize(static_cast<std::size_t>(info.st_size));
            std::size_t got = 0;
            while (got < content.size()) {
                const ssize_t n = ::read(fd, content.data() + got, content.size() - got);
                if (n <= 0) {
                    break;
                }
                got += static_cast<std::size_t>(n);
            }
            content.resize(got);
        }
        if (fd >= 0) {
            ::close(fd);
        }
        if (!reason.empty()) {
            result.rejected.push_back(fmt::format("{}/{}: {}", day.dir, name, reason));
            result.missing.push_back(name);
            fs::remove(target, ec);
            continue;
        }
        if (read_file(target) != content) {
            std::ofstream out(target, std::ios::binary | std::ios::trunc);
            out << content;
            if (!out) {
                if (dir >= 0) {
                    ::close(dir);
                }
                return fail("cannot write {}", target.string());
            }
            result.changed.push_back(name);
        }
        result.present.push_back(name);
    }
    if (dir >= 0) {
        ::close(dir);
    }
    // Anything else in the private copy is stale (a file the yaml no longer lists).
    for (const auto& entry : fs::directory_iterator(workspace.student(), ec)) {
        const auto name = entry.path().filename().string();
        if (std::find(result.present.begin(), result.present.end(), name) == result.present.end()) {
            fs::remove_all(entry.path(), ec);
        }
    }
    return result;
}

}  // namespace grade

namespace grade {

std::filesystem::path last_result_path(const std::filesystem::path& repo_root, const std::string& day) {
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(repo_root, ec).string();
    return cache_root() / "last" / fmt::format("{:012x}", std::hash<std::string>{}(canonical) & 0xFFFFFFFFFFFFULL) /
           (day + ".json");
}

std::optional<std::filesystem::path> find_repo_root(const std::filesystem::path& start,
                                                    const std::vector<std::string>& day_dirs) {
    std::error_code ec;
    auto dir = std::filesystem::weakly_canonical(start, ec);
    while (!dir.empty()) {
        for (const auto& day : day_dirs) {
            if (dir.filename() == day || std::filesystem::is_directory(dir / day)) {
                return dir.filename() == day ? dir.parent_path() : dir;
            }
        }
        if (dir == dir.parent_path()) {
            break;
        }
        dir = dir.parent_path();
    }
    return std::nullopt;
}

}  // namespace grade
