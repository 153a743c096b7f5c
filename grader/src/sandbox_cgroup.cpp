// cgroup v1 groups for one confined command, made beneath the grader's own group of each
// controller (so the grader's own limits and accounting still cover them), and a /proc scanner
// for the tiers without cgroups.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "sandbox_internal.hpp"
#include "util.hpp"

namespace grade::sandbox_detail {
namespace fs = std::filesystem;

namespace {

bool write_text(const std::string& file, const std::string& text) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    return ok;
}

}  // namespace

std::string own_cgroup(const std::string& controller) {
    std::string relative;
    bool found = false;
    {
        std::ifstream in("/proc/self/cgroup");
        for (std::string line; std::getline(in, line);) {
            // "4:memory:/process_api/x"; v2 is "0::/..."
            const auto first = line.find(':');
            const auto second = line.find(':', first + 1);
            if (first == std::string::npos || second == std::string::npos) {
                continue;
            }
            std::istringstream names(line.substr(first + 1, second - first - 1));
            for (std::string name; std::getline(names, name, ',');) {
                if (name == controller) {
                    relative = line.substr(second + 1);
                    found = true;
                }
            }
        }
    }
    if (!found) {
        return {};
    }
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        // "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu"
        std::istringstream fields(line);
        std::string id, parent, device, root, mount_point;
        fields >> id >> parent >> device >> root >> mount_point;
        const auto dash = line.find(" - ");
        if (dash == std::string::npos) {
            continue;
        }
        std::istringstream tail(line.substr(dash + 3));
        std::string type, source, options;
        tail >> type >> source >> options;
        if (type != "cgroup") {
            continue;
        }
        std::istringstream opts(options);
        for (std::string opt; std::getline(opts, opt, ',');) {
            if (opt == controller) {
                // The mount's root is a prefix of our path when the hierarchy is mounted from a subgroup.
                std::string rest = relative;
                if (root != "/" && rest.rfind(root, 0) == 0) {
                    rest = rest.substr(root.size());
                }
                return mount_point + (rest == "/" ? "" : rest);
            }
        }
    }
    return {};
}

bool cgroup_writable(const std::string& parent, const std::string& limit_file, const std::string& value) {
    if (parent.empty()) {
        return false;
    }
    const std::string probe = fmt::format("{}/grade-probe-{}", parent, ::getpid());
    if (::mkdir(probe.c_str(), 0755) != 0 && errno != EEXIST) {
        return false;
    }
    const bool ok = write_text(probe + "/" + limit_file, value);
    ::rmdir(probe.c_str());
    return ok;
}

void remove_stale_groups(const std::string& parent) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
        const auto name = entry.path().filename().string();
        if (!entry.is_directory() || name.rfind("grade-", 0) != 0) {
            continue;
        }
        auto rest = name.substr(6);
        if (rest.rfind("probe-", 0) == 0) {
            rest = rest.substr(6);
        }
        char* end = nullptr;
        const long pid = std::strtol(rest.c_str(), &end, 10);
        if (pid <= 0 || end == rest.c_str()) {
            continue;
        }
        const auto comm = read_file(fmt::format("/proc/{}/comm", pid));
        if (comm && comm->rfind("grade", 0) == 0) {
            continue;  // its grader still runs (or a grader reuses the pid: it cleans up itself)
        }
        CgroupGroup stale;
        stale.adopt(entry.path().string());
        stale.destroy();
    }
}

CgroupGroup::~CgroupGroup() { destroy(); }

Result<void> CgroupGroup::create(const std::string& parent, const std::string& name,
                                 const std::vector<std::pair<std::string, std::string>>& limits) {
    m_path = parent + "/" + name;
    if (::mkdir(m_path.c_str(), 0755) != 0 && errno != EEXIST) {
        const int err = errno;
        m_path.clear();
        return fail("cannot make the cgroup {}/{}: {}", parent, name, std::strerror(err));
    }
    for (const auto& [file, value] : limits) {
        if (!write_text(m_path + "/" + file, value)) {
            const int err = errno;
            destroy();
            return fail("cannot set {} of cgroup {}: {}", file, name, std::strerror(err));
        }
    }
    m_procs = ::open((m_path + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
    if (m_procs < 0) {
        const int err = errno;
        destroy();
        return fail("cannot open cgroup.procs of {}: {}", name, std::strerror(err));
    }
    return {};
}

std::vector<pid_t> CgroupGroup::members() const {
    std::vector<pid_t> pids;
    if (m_path.empty()) {
        return pids;
    }
    std::ifstream in(m_path + "/cgroup.procs");
    for (long pid = 0; in >> pid;) {
        pids.push_back(static_cast<pid_t>(pid));
    }
    return pids;
}

long CgroupGroup::read_number(const std::string& file) const {
    if (m_path.empty()) {
        return -1;
    }
    const auto text = read_file(m_path + "/" + file);
    if (!text) {
        return -1;
    }
    try {
        return std::stol(*text);
    } catch (...) {
        return -1;
    }
}

long CgroupGroup::oom_kills() const {
    if (m_path.empty()) {
        return 0;
    }
    std::istringstream in(read_file(m_path + "/memory.oom_control").value_or(""));
    for (std::string key; in >> key;) {
        long value = 0;
        in >> value;
        if (key == "oom_kill") {
            return value;
        }
    }
    return read_number("memory.failcnt") > 0 ? 1 : 0;
}

void CgroupGroup::destroy() {
    if (m_procs >= 0) {
        ::close(m_procs);
        m_procs = -1;
    }
    if (m_path.empty()) {
        return;
    }
    // A member may fork while we kill; pids.max bounds how long that can go on.
    for (int round = 0; round < 400; ++round) {
        const auto pids = members();
        if (pids.empty() && ::rmdir(m_path.c_str()) == 0) {
            break;
        }
        if (pids.empty() && errno == ENOENT) {
            break;
        }
        for (const pid_t pid : pids) {
            ::kill(pid, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(round < 20 ? 1 : 10));
    }
    m_path.clear();
}

std::vector<ProcInfo> scan_processes() {
    std::vector<ProcInfo> all;
    DIR* dir = ::opendir("/proc");
    if (dir == nullptr) {
        return all;
    }
    char path[64];
    char buffer[1024];
    while (const dirent* entry = ::readdir(dir)) {
        char* end = nullptr;
        const long pid = std::strtol(entry->d_name, &end, 10);
        if (pid <= 0 || *end != '\0') {
            continue;
        }
        std::snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        struct stat info {};
        const ssize_t n = ::fstat(fd, &info) == 0 ? ::read(fd, buffer, sizeof buffer - 1) : -1;
        ::close(fd);
        if (n <= 0) {
            continue;
        }
        buffer[n] = '\0';
        // "pid (comm) S ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        //  cutime cstime priority nice threads itrealvalue starttime vsize rss ..."; comm may hold ')'.
        const char* close_paren = std::strrchr(buffer, ')');
        if (close_paren == nullptr) {
            continue;
        }
        ProcInfo p;
        p.pid = static_cast<pid_t>(pid);
        p.uid = info.st_uid;
        std::istringstream fields(close_paren + 2);
        std::string skip;
        long ppid = 0, pgid = 0;
        fields >> p.state >> ppid >> pgid;
        for (int field = 6; field <= 23 && fields; ++field) {  // session .. vsize
            fields >> skip;
            if (field == 20) {
                p.threads = std::atol(skip.c_str());
            }
        }
        fields >> p.rss_pages;
        p.ppid = static_cast<pid_t>(ppid);
        p.pgid = static_cast<pid_t>(pgid);
        all.push_back(p);
    }
    ::closedir(dir);
    return all;
}

std::vector<ProcInfo> descendants(const std::vector<ProcInfo>& all, const std::vector<pid_t>& roots) {
    std::unordered_multimap<pid_t, const ProcInfo*> children;
    std::unordered_map<pid_t, const ProcInfo*> by_pid;
    for (const auto& p : all) {
        children.emplace(p.ppid, &p);
        by_pid.emplace(p.pid, &p);
    }
    std::vector<ProcInfo> found;
    std::vector<pid_t> todo = roots;
    std::unordered_map<pid_t, bool> seen;
    while (!todo.empty()) {
        const pid_t pid = todo.back();
        todo.pop_back();
        if (seen[pid]) {
            continue;
        }
        seen[pid] = true;
        if (const auto it = by_pid.find(pid); it != by_pid.end()) {
            found.push_back(*it->second);
        }
        const auto [first, last] = children.equal_range(pid);
        for (auto it = first; it != last; ++it) {
            todo.push_back(it->second->pid);
        }
    }
    return found;
}

long disk_usage(const std::vector<fs::path>& dirs) {
    long bytes = 0;
    for (const auto& dir : dirs) {
        std::error_code ec;
        struct stat top {};
        if (::lstat(dir.c_str(), &top) == 0 && !S_ISDIR(top.st_mode)) {
            bytes += static_cast<long>(top.st_blocks) * 512;
            continue;
        }
        for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            struct stat info {};
            if (::lstat(it->path().c_str(), &info) == 0) {
                bytes += static_cast<long>(info.st_blocks) * 512;
            }
        }
    }
    return bytes;
}

}  // namespace grade::sandbox_detail
