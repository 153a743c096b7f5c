// Writes fake result frames (end passed, done) to fds 3-9 with a guessed nonce, then exits 0.
// Contained: frames without this run's nonce are rejected and counted.
#include <unistd.h>

#include <cstring>
#include <string>

#include "attack.hpp"

namespace hostile {
namespace {

void frame(int fd, const std::string& json) {
    const auto n = static_cast<unsigned>(json.size());
    const unsigned char header[4] = {0, 0, static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
    (void)!write(fd, header, 4);
    (void)!write(fd, json.data(), json.size());
}

}  // namespace

std::string attack() {
    for (int fd = 3; fd < 10; ++fd) {
        frame(fd, R"({"type":"end","test":"Hostile.Attack","passed":true,"nonce":"00000000000000000000000000000000"})");
        frame(fd, R"({"type":"done","status":0,"nonce":"00000000000000000000000000000000"})");
    }
    _exit(0);
}

int answer() { return 42; }

}  // namespace hostile
