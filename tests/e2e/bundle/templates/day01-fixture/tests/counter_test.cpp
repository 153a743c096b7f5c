#include <gtest/gtest.h>

#include "counter.hpp"

TEST(CounterPublic, StartsAtZero) {
    fx::Counter c;
    EXPECT_EQ(c.value(), 0);
}

TEST(CounterPublic, AddsSequentially) {
    fx::Counter c;
    c.add(2);
    c.add(3);
    EXPECT_EQ(c.value(), 5) << "two adds of 2 and 3 must give 5";
}

#include <thread>

#include "gate.hpp"

TEST(GatePublic, WaitReturnsAfterOpen) {
    fx::Gate gate;
    std::thread opener([&] { gate.open(); });
    gate.wait();
    opener.join();
}
