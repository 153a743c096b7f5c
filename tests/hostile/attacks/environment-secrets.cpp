// Looks for the grader's secrets in its own environment (and the grader's, through /proc): an
// instructor's CI token would be there if the grader passed its environment on. Contained: a
// confined command starts from a clean environment (PATH, LANG, HOME, TMPDIR and the harness's
// variables); the parent's /proc entries are out of reach.
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>

extern char** environ;

#include "attack.hpp"

namespace hostile {

std::string attack() {
    std::string result = "env: ";
    for (char** e = environ; *e != nullptr; ++e) {
        result += std::string(*e) + " ";
    }
    const std::string parent = "/proc/" + std::to_string(getppid()) + "/environ";
    std::ifstream in(parent, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    result += "; " + parent + ": " + (in ? text : "cannot read");
    return result;
}

int answer() { return 42; }

}  // namespace hostile
