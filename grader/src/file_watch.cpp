#include "file_watch.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <set>
#include <thread>

namespace grade {
namespace fs = std::filesystem;

Result<FileWatcher> FileWatcher::open(const std::vector<fs::path>& files, bool poll, std::chrono::milliseconds interval) {
    FileWatcher watcher;
    watcher.m_files = files;
    watcher.m_interval = interval;
    if (!poll) {
        watcher.m_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        std::set<fs::path> dirs;
        for (const auto& f : files) {
            dirs.insert(f.parent_path());
        }
        for (const auto& dir : dirs) {
            if (watcher.m_fd >= 0 &&
                ::inotify_add_watch(watcher.m_fd, dir.c_str(),
                                    IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
                ::close(watcher.m_fd);
                watcher.m_fd = -1;  // fall back to polling
            }
        }
    }
    watcher.m_last = watcher.stamps();
    return watcher;
}

FileWatcher::FileWatcher(FileWatcher&& other) noexcept
    : m_files(std::move(other.m_files)), m_interval(other.m_interval), m_fd(other.m_fd), m_last(std::move(other.m_last)) {
    other.m_fd = -1;
}

FileWatcher::~FileWatcher() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::map<std::string, FileWatcher::Stamp> FileWatcher::stamps() const {
    std::map<std::string, Stamp> result;
    for (const auto& f : m_files) {
        struct stat info {};
        Stamp stamp;
        if (::stat(f.c_str(), &info) == 0) {
            stamp.mtime_ns = static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
            stamp.size = info.st_size;
        }
        result[f.filename().string()] = stamp;
    }
    return result;
}

Result<std::vector<std::string>> FileWatcher::wait(std::chrono::milliseconds timeout, std::chrono::milliseconds settle) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    const auto changed_since_last = [&] {
        std::vector<std::string> changed;
        const auto now = stamps();
        for (const auto& [name, stamp] : now) {
            const auto& before = m_last[name];
            if (stamp.mtime_ns != before.mtime_ns || stamp.size != before.size) {
                changed.push_back(name);
            }
        }
        return changed;
    };
    bool seen = false;
    while (true) {
        const auto now = std::chrono::steady_clock::now();
        if (!seen && now >= until) {
            return std::vector<std::string>{};
        }
        const auto step = seen ? settle : std::min(m_fd >= 0 ? timeout : m_interval,
                                                    std::chrono::duration_cast<std::chrono::milliseconds>(until - now));
        bool event = false;
        if (m_fd >= 0) {
            pollfd p{m_fd, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(0, step.count())));
            if (ready < 0 && errno != EINTR) {
                return fail("waiting for file changes failed: {}", std::strerror(errno));
            }
            std::array<char, 4096> buffer{};
            while (ready > 0 && ::read(m_fd, buffer.data(), buffer.size()) > 0) {
                event = true;  // the stamps below decide which of our files changed
            }
        } else {
            std::this_thread::sleep_for(step);
            event = !seen && !changed_since_last().empty();  // once seen, the sleep above was the settling
        }
        if (seen && !event) {
            auto changed = changed_since_last();
            m_last = stamps();
            if (!changed.empty()) {
                return changed;
            }
            seen = false;  // events on other files in the directory
        } else if (event) {
            seen = true;
        }
    }
}

}  // namespace grade
