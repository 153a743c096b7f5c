// Sleeps "forever" (60 s, self-bound). Contained: the wall deadline stops it; the hang diagnosis
// sees every thread blocked.
#include <unistd.h>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    sleep(60);
    return "slept 60 s";
}

int answer() { return 42; }

}  // namespace hostile
