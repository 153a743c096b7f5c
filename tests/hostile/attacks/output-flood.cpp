// Output flood: writes up to 256 MiB to stdout and stderr within at most 10 s (self-bound).
// Contained: the grader keeps 1 MiB and counts the rest; its memory and the report stay small.
#include <unistd.h>

#include <chrono>
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    const std::string line(4096, 'F');
    long written = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (written < (256L << 20) && std::chrono::steady_clock::now() < until) {
        const ssize_t n = write(written % 2 == 0 ? 1 : 2, line.data(), line.size());
        if (n <= 0) {
            break;
        }
        written += n;
    }
    return "flooded " + std::to_string(written >> 20) + " MiB";
}

int answer() { return 42; }

}  // namespace hostile
