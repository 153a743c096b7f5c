// Memory bomb: allocates and touches 64 MiB blocks, at most 2 GiB (self-bound, far below the
// machine's memory). Contained: the memory limit (512 MiB, 1024 MiB under ASan) stops the test.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    std::vector<char*> blocks;
    constexpr std::size_t block = 64u << 20;
    for (int i = 0; i < 32; ++i) {
        char* p = static_cast<char*>(std::malloc(block));
        if (p == nullptr) {
            break;
        }
        std::memset(p, 0x5a, block);
        blocks.push_back(p);
    }
    const auto mib = blocks.size() * 64;
    for (char* p : blocks) {
        std::free(p);
    }
    return "allocated and touched " + std::to_string(mib) + " MiB";
}

int answer() { return 42; }

}  // namespace hostile
