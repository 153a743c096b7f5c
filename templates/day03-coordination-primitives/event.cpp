#include "event.hpp"

namespace cc {

void Event::set() {
    // TODO(student): set the flag, then wake every waiter. Where must the write happen so that a
    // waiter between "checked the flag" and "went to sleep" cannot miss it?
}

void Event::clear() {
    // TODO(student): clear the flag.
}

bool Event::is_set() const {
    // TODO(student): read the flag.
    return false;
}

void Event::wait() {
    // TODO(student): sleep until the flag is set. Check the flag before sleeping and again after
    // every wakeup.
}

bool Event::wait_for(std::chrono::milliseconds d) {
    // TODO(student): like wait(), but give up after d; return whether the flag is set.
    (void)d;
    return false;
}

}  // namespace cc
