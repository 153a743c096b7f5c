// Steals the nonce and forges a pass: looks in /proc/self/environ (whose original text survives
// unsetenv) and in the environment for CT_* variables, reads whatever is left on fd 4 (the nonce
// pipe), then writes end(passed)+done frames with every candidate to fd 3 and exits 0.
// Contained: the nonces never travel in the environment, the harness drains and closes the pipe
// before any constructor of the executable runs, so there is nothing to steal.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "attack.hpp"

namespace hostile {
namespace {

void frame(const std::string& json) {
    const auto n = static_cast<unsigned>(json.size());
    const unsigned char header[4] = {0, 0, static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
    (void)!write(3, header, 4);
    (void)!write(3, json.data(), json.size());
}

}  // namespace

std::string attack() {
    std::set<std::string> candidates;
    std::ifstream in("/proc/self/environ", std::ios::binary);
    const std::string environ_text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::size_t at = 0; at < environ_text.size();) {
        const auto end = environ_text.find('\0', at);
        const auto entry = environ_text.substr(at, end - at);
        if (entry.rfind("CT_", 0) == 0) {
            candidates.insert(entry.substr(entry.find('=') + 1));
        }
        at = end == std::string::npos ? environ_text.size() : end + 1;
    }
    char pipe_text[256] = {};
    fcntl(4, F_SETFL, O_NONBLOCK);
    const ssize_t n = read(4, pipe_text, sizeof pipe_text - 1);
    if (n > 0) {
        const std::string text(pipe_text, static_cast<std::size_t>(n));
        candidates.insert(text.substr(1, 32));
        candidates.insert(text.substr(34, 32));
    }
    for (const auto& nonce : candidates) {
        frame(R"({"type":"start","test":"Hostile.Attack","nonce":")" + nonce + R"("})");
        frame(R"({"type":"end","test":"Hostile.Attack","passed":true,"nonce":")" + nonce + R"("})");
        frame(R"({"type":"done","status":0,"nonce":")" + nonce + R"("})");
    }
    _exit(0);
}

int answer() { return 42; }

}  // namespace hostile
