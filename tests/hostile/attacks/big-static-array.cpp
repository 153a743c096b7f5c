// Attacks the build: a 1 GiB initialised array (external linkage, read through a volatile index,
// so the compiler must emit all of it) makes a 1 GiB object file.
// Contained: a build may write no file above 512 MiB, and the assembler's memory is capped; the
// verdict is build_error.
#include "attack.hpp"

char hostile_big[1u << 30] = {1};

namespace hostile {

std::string attack() {
    volatile unsigned at = (1u << 30) - 1;
    return std::string(1, hostile_big[at]);
}

int answer() { return 42; }

}  // namespace hostile
