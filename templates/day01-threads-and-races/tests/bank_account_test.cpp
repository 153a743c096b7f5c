// Public tests for task 2 (BankAccount). Run them with `grade day1`; the hidden tests go further.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <thread>
#include <vector>

#include "bank_account.hpp"
#include "ct/ct.hpp"

namespace {

using namespace std::chrono_literals;

TEST(BankAccountPublic, SequentialDepositsAndWithdrawals) {
    int delays = 0;
    cc::BankAccount account(100, [&] { ++delays; });
    EXPECT_EQ(account.balance(), 100) << "the initial balance";
    EXPECT_TRUE(account.withdraw(30)) << "withdraw(30) from 100";
    EXPECT_EQ(account.balance(), 70);
    EXPECT_GE(delays, 1) << "withdraw must call io_delay() between reading and writing the balance";
    account.deposit(5);
    EXPECT_EQ(account.balance(), 75) << "deposit(5) on 70";
    EXPECT_FALSE(account.withdraw(76)) << "withdraw(76) from 75 must fail: never overdraw";
    EXPECT_EQ(account.balance(), 75) << "a failed withdrawal changes nothing";
    EXPECT_TRUE(account.withdraw(75)) << "withdrawing the whole balance is allowed";
    EXPECT_EQ(account.balance(), 0);

    cc::BankAccount plain(10);  // io_delay has a default: do nothing
    EXPECT_TRUE(plain.withdraw(10));
    EXPECT_EQ(plain.balance(), 0);
}

// Two threads try to take 60 from 100 at the same moment, and every withdrawal spends 20 ms in
// io_delay between reading and writing the balance. Only one of them can be honoured.
TEST(BankAccountPublic, TwoWithdrawalsCannotBothSucceed) {
    cc::BankAccount account(100, [] { std::this_thread::sleep_for(20ms); });
    std::latch gate(2);
    std::atomic<int> successes{0};
    ct::step("two concurrent withdraw(60) calls must return");
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 2; ++t) {
            threads.emplace_back([&] {
                gate.arrive_and_wait();
                if (account.withdraw(60)) {
                    ++successes;
                }
            });
        }
    }
    EXPECT_EQ(successes.load(), 1)
        << successes.load() << " of 2 concurrent withdraw(60) calls succeeded on a balance of 100 "
        << "(final balance " << account.balance() << "). Exactly one must succeed. Two successes "
        << "mean both threads read 100 before either wrote its result back: the check, io_delay() "
        << "and the write must be one critical section.";
    EXPECT_EQ(account.balance(), 40) << "100 minus one withdrawal of 60";
}

}  // namespace
