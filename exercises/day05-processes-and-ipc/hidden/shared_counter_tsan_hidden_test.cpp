// Misconception: "the memory is shared, so a plain long in it is a shared counter" (two threads,
// like two processes, then read and write it at the same time: a data race, and lost adds).
// ThreadSanitizer cannot follow fork(), so the same counter is shared by threads here: every
// access must be synchronised, and TSan proves it from the accesses, not from the final number.
// Hidden test for task 3, ThreadSanitizer build.
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include "ct/ct.hpp"
#include "shared_counter.hpp"

namespace {

TEST(SharedCounterHidden, ThreadsAddUnderTsan) {
    constexpr int threads = 4;
    const long adds = 20'000 / ct::slowdown();
    cc::SharedCounter counter;
    std::atomic<long> negative_reads{0};
    ct::step("4 threads x " + std::to_string(adds) + " add(1) and value() must finish");
    ct::stress(threads, 1, [&](int tid, int, ct::Rng&) {
        for (long i = 0; i < adds; ++i) {
            counter.add(1);
            if (tid == 0 && counter.value() < 0) {
                ++negative_reads;
            }
        }
    });
    EXPECT_EQ(counter.value(), threads * adds)
        << threads << " threads x " << adds << " add(1) on one counter: " << threads * adds - counter.value()
        << " adds were lost. add() must be one atomic step.";
    EXPECT_EQ(negative_reads.load(), 0);
}

}  // namespace
