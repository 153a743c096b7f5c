// Public tests for task 3 (CyclicBarrier). Run them with `grade day3`; the hidden tests go further.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "barrier.hpp"
#include "ct/ct.hpp"

namespace {

TEST(CyclicBarrierPublic, ThreeThreadsPassThreeRounds) {
    constexpr int parties = 3;
    constexpr int rounds = 3;
    std::array<std::atomic<int>, parties> reached{};
    std::atomic<int> phases{0};
    std::atomic<int> too_early{0};
    cc::CyclicBarrier barrier(parties, [&] { ++phases; });
    ct::step("3 threads x 3 rounds of arrive_and_wait() must finish");
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < parties; ++t) {
            threads.emplace_back([&, t] {
                for (int round = 0; round < rounds; ++round) {
                    reached[static_cast<std::size_t>(t)] = round;
                    barrier.arrive_and_wait();
                    for (const auto& other : reached) {
                        if (other.load() < round) {
                            ++too_early;
                        }
                    }
                }
            });
        }
    }
    EXPECT_EQ(too_early.load(), 0) << "a thread left the barrier in some round before every thread had arrived";
    EXPECT_EQ(phases.load(), rounds) << "on_phase must run exactly once per round";
}

TEST(CyclicBarrierPublic, ArrivalIndicesAreDistinct) {
    constexpr int parties = 3;
    cc::CyclicBarrier barrier(parties);
    std::array<int, parties> index{};
    ct::step("3 threads calling arrive_and_wait() once must all return");
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < parties; ++t) {
            threads.emplace_back([&, t] { index[static_cast<std::size_t>(t)] = barrier.arrive_and_wait(); });
        }
    }
    const std::set<int> seen(index.begin(), index.end());
    EXPECT_EQ(seen, (std::set<int>{0, 1, 2}))
        << "the three arrive_and_wait() calls of one round returned " << index[0] << ", " << index[1] << ", "
        << index[2] << "; they must return the arrival indices 0, 1 and 2 (in some order)";
}

}  // namespace
