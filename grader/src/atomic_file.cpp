#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace grade {
namespace {

Result<void> write_all(int fd, const std::string& content, const std::filesystem::path& path) {
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return fail("cannot write {}: {}", path.string(), std::strerror(errno));
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

}  // namespace

Result<void> write_atomic(const std::filesystem::path& path, const std::string& content) {
    std::error_code ec;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), ec);
    }
    std::string temp = path.string() + ".tmp.XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) {
        return fail("cannot create a temporary file next to {}: {}", path.string(), std::strerror(errno));
    }
    auto written = write_all(fd, content, path);
    ::fchmod(fd, 0644);
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!written || !synced || ::rename(temp.c_str(), path.c_str()) != 0) {
        ::unlink(temp.c_str());
        return written ? fail("cannot write {}: {}", path.string(), std::strerror(errno)) : written;
    }
    return {};
}

Result<void> append_line_durable(const std::filesystem::path& path, const std::string& line) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail("cannot open {}: {}", path.string(), std::strerror(errno));
    }
    auto written = write_all(fd, line + "\n", path);
    ::fsync(fd);
    ::close(fd);
    return written;
}

}  // namespace grade
