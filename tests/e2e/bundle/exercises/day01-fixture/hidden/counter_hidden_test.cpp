// Misconception: "a long is updated in one step, so it needs no lock".
#include <gtest/gtest.h>

#include "counter.hpp"
#include "ct/ct.hpp"

TEST(CounterHidden, FourThreadsLoseNothing) {
    fx::Counter c;
    const int per_thread = 200000 / ct::slowdown();
    ct::stress(4, 1, [&](int, int, ct::Rng&) {
        for (int i = 0; i < per_thread; ++i) {
            c.add(1);
        }
    });
    EXPECT_EQ(c.value(), 4L * per_thread) << "updates were lost: add() is not one critical section";
}

TEST(CounterHidden, NoDataRace) {
    fx::Counter c;
    // Only adds between the start gate and the join: nothing but add()'s own lock can order them,
    // so an unlocked add() is a race TSan reports in every run (it reasons about happens-before,
    // not about timing).
    ct::stress(2, 3, [&](int, int, ct::Rng&) { c.add(1); });
    EXPECT_EQ(c.value(), 6);
}

TEST(CounterHidden, AddReturns) {
    fx::Counter c;
    ct::step("c.add(1) must return");
    c.add(1);
    EXPECT_EQ(c.value(), 1);
}
