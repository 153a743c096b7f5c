// Prints GoogleTest's success lines and exits 0 in the middle of the test. Contained: stdout is
// data; a pass needs the harness's end and done frames and a normal exit.
#include <unistd.h>

#include <cstdio>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    std::printf("[       OK ] Hostile.Attack (0 ms)\n[----------] 1 test from Hostile (0 ms total)\n"
                "[==========] 1 test from 1 test suite ran. (0 ms total)\n[  PASSED  ] 1 test.\n");
    std::fflush(stdout);
    _exit(0);
}

int answer() { return 42; }

}  // namespace hostile
