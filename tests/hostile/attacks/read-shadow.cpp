// Reads /etc/shadow (and root's home). Contained: the test runs as an unprivileged slot uid.
#include <fstream>
#include <iterator>
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    std::string result;
    for (const char* path : {"/etc/shadow", "/root/.bash_history", "/etc/gshadow"}) {
        std::ifstream in(path);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        result += std::string(path) + ": " + (in ? text.substr(0, 300) : "cannot read") + "; ";
    }
    return result;
}

int answer() { return 42; }

}  // namespace hostile
