// Not an attack: proves AddressSanitizer still works inside the sandbox (memory limits without
// RLIMIT_AS, seccomp allowing what the runtime needs). A heap use after free must be reported.
#include <string>

#include "attack.hpp"

namespace hostile {

std::string attack() {
    auto* value = new int(7);
    delete value;
    return *static_cast<volatile int*>(value) == 7 ? "read freed memory" : "";
}

int answer() { return 42; }

}  // namespace hostile
