// Waits until one of a few files changes (grade watch): inotify on their directories, so an editor
// that saves by renaming a temporary file is seen too, or stat polling where inotify is missing
// (network file systems, containers without it).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "error.hpp"

namespace grade {

class FileWatcher {
public:
    static Result<FileWatcher> open(const std::vector<std::filesystem::path>& files, bool poll,
                                    std::chrono::milliseconds interval);
    FileWatcher(FileWatcher&& other) noexcept;
    FileWatcher& operator=(FileWatcher&&) = delete;
    ~FileWatcher();

    // The files that changed, once changes have settled (no new one for `settle`); empty when
    // `timeout` passed without a change.
    Result<std::vector<std::string>> wait(std::chrono::milliseconds timeout,
                                          std::chrono::milliseconds settle = std::chrono::milliseconds(150));
    bool polling() const { return m_fd < 0; }

private:
    FileWatcher() = default;
    struct Stamp {
        std::int64_t mtime_ns = -1;
        std::int64_t size = -1;
    };
    std::map<std::string, Stamp> stamps() const;

    std::vector<std::filesystem::path> m_files;
    std::chrono::milliseconds m_interval{1000};
    int m_fd = -1;
    std::map<std::string, Stamp> m_last;
};

}  // namespace grade
