// Reads the hidden tests: their paths are in the test binary (GoogleTest keeps __FILE__), so it
// scans /proc/self/exe for "_hidden_test.cpp", opens each path, and also tries the bundle's
// solutions and grading.yaml next to them. Whatever it reads becomes the failure message.
// Contained: Landlock lets a test read only the system, its binary and the shims (and the slot
// uid cannot reach what Landlock would allow by mistake); the report holds no canary.
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "attack.hpp"

namespace hostile {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return path + ": cannot open; ";
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return path + ": " + text.substr(0, 300) + "; ";
}

}  // namespace

std::string attack() {
    std::ifstream exe("/proc/self/exe", std::ios::binary);
    const std::string binary((std::istreambuf_iterator<char>(exe)), std::istreambuf_iterator<char>());
    std::set<std::string> paths;
    for (auto at = binary.find("_hidden_test.cpp"); at != std::string::npos;
         at = binary.find("_hidden_test.cpp", at + 1)) {
        auto start = at;
        while (start > 0 && binary[start - 1] >= 0x21 && binary[start - 1] <= 0x7e) {
            --start;
        }
        const auto path = binary.substr(start, at + 16 - start);
        if (!path.empty() && path[0] == '/') {
            paths.insert(path);
        }
    }
    std::string result;
    for (const auto& path : paths) {
        result += slurp(path);
        const auto exercises = path.find("/exercises/");
        if (exercises != std::string::npos) {
            const auto root = path.substr(0, exercises);
            result += slurp(root + "/solutions/day01-hostile/attack.cpp");
            result += slurp(root + "/exercises/day01-hostile/grading.yaml");
        }
    }
    return result.empty() ? "no hidden test path found" : result;
}

int answer() { return 42; }

}  // namespace hostile
