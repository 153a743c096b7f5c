// Task 3: a reusable barrier (Python's threading.Barrier, xv6's barrier()).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

namespace cc {

// `parties` threads call arrive_and_wait(); none of them returns until all of them have arrived.
// Then the barrier is ready for the next round at once: the same threads (or others) may arrive
// again, and a fast thread may arrive for round r + 1 before the slow ones have left round r.
class CyclicBarrier {
public:
    // parties < 1 -> std::invalid_argument. on_phase (if given) runs once per round on one of
    // the arriving threads, after all parties have arrived and before any of them returns. It
    // must not throw and must not use the barrier itself.
    explicit CyclicBarrier(int parties, std::function<void()> on_phase = {});
    CyclicBarrier(const CyclicBarrier&) = delete;
    CyclicBarrier& operator=(const CyclicBarrier&) = delete;

    // Returns this thread's arrival index in the round: 0 for the first to arrive, parties - 1
    // for the last.
    int arrive_and_wait();

private:
    // TODO(student): parties, on_phase, the arrivals of the current round, a way to tell one round
    // from the next, a mutex and a condition variable.
};

}  // namespace cc
