// Disk fill: writes 32 MiB files into TMPDIR, the working directory and /tmp, at most 1 GiB in all
// (self-bound), ignoring SIGXFSZ. Contained: the per-file size limit and the disk limit (256 MiB)
// stop it; /tmp is not writable; the grader removes what was written.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    signal(SIGXFSZ, SIG_IGN);
    const std::string block(1 << 20, 'D');
    const char* tmpdir = std::getenv("TMPDIR");
    const std::string dirs[] = {tmpdir != nullptr ? tmpdir : ".", ".", "/tmp"};
    long total = 0;
    std::string report;
    for (int file = 0; file < 32 && total < (1L << 30); ++file) {
        const auto path = dirs[file % 3] + "/grade-hostile-fill-" + std::to_string(file);
        const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) {
            report += path + ": " + std::strerror(errno) + "; ";
            continue;
        }
        for (int mib = 0; mib < 32; ++mib) {
            if (write(fd, block.data(), block.size()) <= 0) {
                break;
            }
            total += 1 << 20;
        }
        close(fd);
    }
    return "wrote " + std::to_string(total >> 20) + " MiB (" + report + ")";
}

int answer() { return 42; }

}  // namespace hostile
