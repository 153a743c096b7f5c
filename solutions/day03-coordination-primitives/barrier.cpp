#include "barrier.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace cc {

CyclicBarrier::CyclicBarrier(int parties, std::function<void()> on_phase)
    : m_parties(parties), m_on_phase(std::move(on_phase)) {
    if (parties < 1) {
        throw std::invalid_argument("CyclicBarrier: parties must be at least 1, not " + std::to_string(parties));
    }
}

int CyclicBarrier::arrive_and_wait() {
    std::unique_lock lock(m_mutex);
    const int index = m_arrived++;
    if (m_arrived == m_parties) {
        // The last arrival closes the round: run on_phase while everybody else still waits, reset
        // the count for the next round, and move to the next generation.
        if (m_on_phase) {
            m_on_phase();
        }
        m_arrived = 0;
        ++m_generation;
        m_cv.notify_all();
        return index;
    }
    // Wait for *this* round to end, not for "the count is back to 0": by the time a waiter wakes
    // up, a fast thread may already have arrived for the next round and raised the count again.
    // The generation changes exactly once per round and never goes back.
    const std::uint64_t my_generation = m_generation;
    m_cv.wait(lock, [&] { return m_generation != my_generation; });
    return index;
}

}  // namespace cc
