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
    std::mutex m_mutex;
    std::condition_variable m_cv;
    const int m_parties;
    std::function<void()> m_on_phase;
    int m_arrived = 0;              // guarded by m_mutex: arrivals in the current round
    std::uint64_t m_generation = 0;  // guarded by m_mutex: rounds completed so far
};

}  // namespace cc
