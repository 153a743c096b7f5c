#include "barrier.hpp"

#include <stdexcept>
#include <utility>

namespace cc {

CyclicBarrier::CyclicBarrier(int parties, std::function<void()> on_phase) {
    // TODO(student): reject parties < 1; store parties and on_phase.
    (void)parties;
    (void)on_phase;
}

int CyclicBarrier::arrive_and_wait() {
    // TODO(student): count this arrival. The last to arrive runs on_phase, starts the next round
    // and wakes the others; everybody else waits until *their* round is over.
    return 0;
}

}  // namespace cc
