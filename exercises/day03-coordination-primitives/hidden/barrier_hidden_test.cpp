// Misconceptions: "a barrier is a counter: wait until it is back to 0" (without a generation,
// the next round's first arrival raises the count before the last round's waiters have checked
// it, and they sleep on: deadlock, or a thread leaves early), "on_phase can run whenever" (it
// must run once per round, after everyone arrived, before anyone leaves), and "the barrier needs
// no lock for the last arrival" (its writes must be ordered before the others' reads). Hidden
// tests for task 3; the round check is the one of xv6's barrier.c (MIT 6.1810 thread lab).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "barrier.hpp"
#include "ct/ct.hpp"

namespace {

constexpr int kParties = 4;

// The first wrong observation of a run; later ones are only counted.
struct Findings {
    std::mutex mutex;
    std::string first;
    int count = 0;

    void add(const std::string& what) {
        std::scoped_lock lock(mutex);
        if (count++ == 0) {
            first = what;
        }
    }
};

// `rounds` rounds of the xv6 check on 4 threads. Before round r's arrive_and_wait() a thread
// stores r in its slot; after it, every slot must hold r or r + 1 (a fast thread may already be
// in the next round, never further), and on_phase must have run exactly r + 1 times.
void xv6_rounds(int rounds) {
    std::array<std::atomic<int>, kParties> slot{};
    for (auto& s : slot) {
        s = -1;
    }
    std::atomic<int> phases{0};
    Findings findings;
    cc::CyclicBarrier barrier(kParties, [&] { ++phases; });
    ct::step("4 threads x " + std::to_string(rounds) + " rounds of arrive_and_wait() must finish (a hang here "
             "usually means waiters missed the end of their round because the next round had already begun)");
    ct::stress(kParties, 1, [&](int tid, int, ct::Rng&) {
        for (int r = 0; r < rounds; ++r) {
            slot[static_cast<std::size_t>(tid)].store(r);
            barrier.arrive_and_wait();
            for (int j = 0; j < kParties; ++j) {
                const int seen = slot[static_cast<std::size_t>(j)].load();
                if (seen < r || seen > r + 1) {
                    findings.add("thread " + std::to_string(tid) + " left round " + std::to_string(r) +
                                 " and saw thread " + std::to_string(j) + " at round " + std::to_string(seen) +
                                 (seen < r ? ": it had not arrived yet, so the barrier released too early"
                                           : ": two rounds apart, so a round ended without everybody"));
                }
            }
            const int p = phases.load();
            if (p != r + 1) {
                findings.add("thread " + std::to_string(tid) + " left round " + std::to_string(r) +
                             " and on_phase had run " + std::to_string(p) + " times instead of " +
                             std::to_string(r + 1) + " (once per round, before anybody leaves)");
            }
        }
    });
    EXPECT_EQ(findings.count, 0) << findings.count << " wrong observations in " << rounds
                                 << " rounds; the first: " << findings.first;
    EXPECT_EQ(phases.load(), rounds) << "on_phase must run exactly once per round";
}

TEST(CyclicBarrierHidden, FourThreadsTwentyThousandRounds) { xv6_rounds(20'000 / ct::slowdown()); }

// on_phase runs exactly once per round, on one of the arriving threads, after all four have
// arrived and before any of them can arrive for the next round: on_phase number n must see
// exactly 4n arrivals so far.
TEST(CyclicBarrierHidden, OnPhaseRunsOncePerRoundBeforeRelease) {
    constexpr int rounds = 1000;
    std::atomic<int> arrivals{0};
    std::atomic<int> phases{0};
    Findings findings;
    thread_local bool is_party = false;
    cc::CyclicBarrier barrier(kParties, [&] {
        const int n = ++phases;
        const int a = arrivals.load();
        if (a != kParties * n) {
            findings.add("on_phase #" + std::to_string(n) + " ran after " + std::to_string(a) + " arrivals instead of " +
                         std::to_string(kParties * n) +
                         (a < kParties * n ? ": before every party of its round had arrived"
                                           : ": after a thread had already arrived for a later round"));
        }
        if (!is_party) {
            findings.add("on_phase #" + std::to_string(n) +
                         " ran on a thread that is not one of the arriving threads");
        }
    });
    ct::step("4 threads x 1000 rounds of arrive_and_wait() with an on_phase must finish");
    ct::stress(kParties, 1, [&](int, int, ct::Rng& rng) {
        is_party = true;
        for (int r = 0; r < rounds; ++r) {
            ct::jitter(rng, 10);
            ++arrivals;
            barrier.arrive_and_wait();
        }
    });
    EXPECT_EQ(findings.count, 0) << findings.count << " wrong observations; the first: " << findings.first;
    EXPECT_EQ(phases.load(), rounds) << "on_phase must run exactly once per round (" << rounds << " rounds), not "
                                     << phases.load() << " times";
}

// The same rounds with the cvdelay shim: every wait first pauses 2 ms holding the mutex. A last
// arrival that ends the round without the mutex (an atomic generation bumped outside the lock,
// say) notifies while a waiter is between its check and its sleep, and that waiter never wakes.
TEST(CyclicBarrierHidden, RoundsUnderCvdelay) { xv6_rounds(200); }

// ThreadSanitizer: what a thread writes before arrive_and_wait() must be visible, race-free, to
// every thread after it. The data are plain ints; only the barrier orders the accesses (rounds
// alternate between two buffers, so that nobody writes a buffer another thread may still read).
TEST(CyclicBarrierHidden, PhaseDataIsPublishedUnderTsan) {
    const int rounds = 2000 / ct::slowdown();
    std::array<std::array<int, kParties>, 2> data{};
    int phase_total = 0;  // written only by on_phase
    std::atomic<int> wrong{0};
    cc::CyclicBarrier barrier(kParties, [&] { ++phase_total; });
    ct::step("4 threads x " + std::to_string(rounds) + " rounds publishing plain data through the barrier must finish");
    ct::stress(kParties, 1, [&](int tid, int, ct::Rng&) {
        for (int r = 0; r < rounds; ++r) {
            auto& buffer = data[static_cast<std::size_t>(r % 2)];
            buffer[static_cast<std::size_t>(tid)] = r * kParties + tid;
            barrier.arrive_and_wait();
            for (int j = 0; j < kParties; ++j) {
                if (buffer[static_cast<std::size_t>(j)] != r * kParties + j) {
                    ++wrong;
                }
            }
            if (phase_total != r + 1) {
                ++wrong;
            }
        }
    });
    EXPECT_EQ(wrong.load(), 0) << "after arrive_and_wait(), some thread saw another's data of the same round "
                               << "missing, or on_phase's count wrong";
}

TEST(CyclicBarrierHidden, ArrivalIndicesEveryRound) {
    EXPECT_THROW(cc::CyclicBarrier(0), std::invalid_argument) << "CyclicBarrier(0) must be rejected";
    constexpr int rounds = 300;
    std::vector<std::atomic<int>> seen(rounds);
    cc::CyclicBarrier barrier(kParties);
    ct::step("4 threads x 300 rounds of arrive_and_wait() must finish");
    ct::stress(kParties, 1, [&](int, int, ct::Rng&) {
        for (int r = 0; r < rounds; ++r) {
            const int index = barrier.arrive_and_wait();
            seen[static_cast<std::size_t>(r)] |= index >= 0 && index < kParties ? 1 << index : 1 << kParties;
        }
    });
    for (int r = 0; r < rounds; ++r) {
        ASSERT_EQ(seen[static_cast<std::size_t>(r)].load(), 0b1111)
            << "round " << r << ": the four arrive_and_wait() calls must return 0, 1, 2 and 3 (their arrival order), "
            << "each exactly once; the bit mask of what they returned is " << seen[static_cast<std::size_t>(r)].load()
            << " (bit 4 = a value outside 0..3). Does the index count restart with every round?";
    }
}

}  // namespace
