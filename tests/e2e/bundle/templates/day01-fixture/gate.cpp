#include "gate.hpp"

namespace fx {

void Gate::open() {
    // TODO(student): set the flag under the mutex, then notify
}

void Gate::wait() {
    // TODO(student): wait until the flag is set
}

}  // namespace fx
