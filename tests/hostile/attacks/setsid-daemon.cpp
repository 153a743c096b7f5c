// Leaves a daemon behind: double fork, setsid() (out of the test's process group, which killpg
// would miss), the daemon lives at most 30 s (self-bound). The test itself returns "" and would
// pass. Contained: the sweep finds it (namespace init, cgroup, slot uid or subreaper), kills it,
// and a test that leaves processes running fails.
#include <unistd.h>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            for (int i = 0; i < 30; ++i) {
                sleep(1);
            }
            _exit(0);
        }
        _exit(0);
    }
    usleep(100'000);
    return "";
}

int answer() { return 42; }

}  // namespace hostile
