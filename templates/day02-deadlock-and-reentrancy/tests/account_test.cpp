// Public tests for task 1: transfer(). The hidden tests add a stress run, the self-transfer,
// accounts that share an id and a property test over many accounts (see the README).
#include <gtest/gtest.h>

#include <thread>

#include "account.hpp"
#include "ct/ct.hpp"

namespace {

TEST(TransferPublic, MovesMoney) {
    cc::Account a(100);
    cc::Account b(50);
    ct::step("transfer(a, b, 30) must return");
    EXPECT_TRUE(cc::transfer(a, b, 30))
        << "a holds 100, so transfer(a, b, 30) should move the money and return true";
    EXPECT_EQ(a.balance(), 70) << "a started with 100 and sent 30";
    EXPECT_EQ(b.balance(), 80) << "b started with 50 and received 30";
}

TEST(TransferPublic, RejectsOverdraft) {
    cc::Account a(20);
    cc::Account b(0);
    ct::step("transfer(a, b, ...) must return");
    EXPECT_FALSE(cc::transfer(a, b, 30))
        << "a holds 20, so transfer(a, b, 30) must be refused (return false): an account never goes "
           "below zero";
    EXPECT_FALSE(cc::transfer(a, b, -5))
        << "transfer(a, b, -5) must be refused: a negative amount would take money from b";
    EXPECT_EQ(a.balance(), 20) << "a refused transfer must leave the source untouched";
    EXPECT_EQ(b.balance(), 0) << "a refused transfer must leave the destination untouched";
    EXPECT_TRUE(cc::transfer(a, b, 20)) << "a holds exactly 20, so transfer(a, b, 20) must succeed";
    EXPECT_EQ(a.balance(), 0);
    EXPECT_EQ(b.balance(), 20);
}

// Runs in the tsan flavour. The two transfers never overlap, so nothing can hang here; but
// ThreadSanitizer remembers in which order each thread held the two mutexes, and if one thread took
// a.m then b.m while the other took b.m then a.m, it reports "lock-order-inversion (potential
// deadlock)": with a little bad luck the same code deadlocks. The grader fails the test on that
// report and shows it.
TEST(TransferPublic, OppositeOrderNoInversion) {
    cc::Account a(100);
    cc::Account b(100);
    bool forward = false;
    bool backward = false;
    ct::step("transfer(a, b, 10) on one thread, then transfer(b, a, 5) on another, must return");
    std::thread([&] { forward = cc::transfer(a, b, 10); }).join();
    std::thread([&] { backward = cc::transfer(b, a, 5); }).join();
    EXPECT_TRUE(forward) << "transfer(a, b, 10) from a balance of 100 should succeed";
    EXPECT_TRUE(backward) << "transfer(b, a, 5) from a balance of 110 should succeed";
    EXPECT_EQ(a.balance(), 95) << "a: 100 - 10 + 5";
    EXPECT_EQ(b.balance(), 105) << "b: 100 + 10 - 5";
}

}  // namespace
