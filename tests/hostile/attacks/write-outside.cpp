// Writes outside its own directories: /tmp, /var/tmp, the workspace's student/ and build/ (a later
// build would compile it), the course bundle next to the hidden tests, and the grader's cache.
// Contained: Landlock allows writes only to the test's TMPDIR and logs; the corpus checks that no
// file named grade-hostile-escape appears anywhere it tried.
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    char exe[PATH_MAX] = {};
    (void)!realpath("/proc/self/exe", exe);
    std::string workspace = exe;
    for (int up = 0; up < 3; ++up) {
        workspace = workspace.substr(0, workspace.rfind('/'));
    }
    std::vector<std::string> dirs = {"/tmp", "/var/tmp", workspace + "/student", workspace + "/build",
                                     workspace + "/build/bin", workspace, workspace + "/.."};
    std::ifstream in("/proc/self/exe", std::ios::binary);
    const std::string binary((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto hidden = binary.find("/exercises/day01-hostile/hidden");
    if (hidden != std::string::npos) {
        auto start = hidden;
        while (start > 0 && binary[start - 1] >= 0x21 && binary[start - 1] <= 0x7e) {
            --start;
        }
        dirs.push_back(binary.substr(start, hidden - start) + "/exercises/day01-hostile/hidden");
    }
    std::string result;
    for (const auto& dir : dirs) {
        const auto path = dir + "/grade-hostile-escape";
        const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        result += path + ": " + (fd >= 0 ? "WRITTEN" : std::strerror(errno)) + "; ";
        if (fd >= 0) {
            (void)!write(fd, "escaped\n", 8);
            close(fd);
        }
    }
    return result;
}

int answer() { return 42; }

}  // namespace hostile
