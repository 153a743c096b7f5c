// Misconceptions: "locking the two accounts one after the other is enough" (two transfers in
// opposite directions each hold one mutex and wait forever for the other), "any key orders locks"
// (a key that two accounts can share, such as a customer id, orders nothing), and "a transfer to
// the same account is just another transfer" (it locks one std::mutex twice and never returns).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <cstddef>
#include <latch>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "account.hpp"
#include "ct/ct.hpp"

namespace {

// Runs `work` on a new thread and waits for it: each phase gets a thread of its own, so
// ThreadSanitizer sees two threads taking the same mutexes, one after the other.
template <class Work>
void on_new_thread(Work work) {
    std::thread(work).join();
}

// Two transfers that never overlap in time, in opposite directions. Correct code takes a.m and b.m
// in one consistent order (or with std::lock's try-and-back-off); code that locks `from` then `to`
// takes them in both orders, and ThreadSanitizer reports "lock-order-inversion (potential
// deadlock)" although nothing hung in this run. The grader fails the test on that report.
void opposite_transfers(cc::Account& a, cc::Account& b) {
    bool forward = false;
    bool backward = false;
    on_new_thread([&] { forward = cc::transfer(a, b, 10); });
    on_new_thread([&] { backward = cc::transfer(b, a, 30); });
    EXPECT_TRUE(forward) << "transfer(a, b, 10) with a = 100 should succeed";
    EXPECT_TRUE(backward) << "transfer(b, a, 30) with b = 110 should succeed";
    EXPECT_EQ(a.balance(), 120) << "a: 100 - 10 + 30";
    EXPECT_EQ(b.balance(), 80) << "b: 100 + 10 - 30";
}

TEST(TransferHidden, OppositeTransfersNoLockOrderInversion) {
    cc::Account a(100);
    cc::Account b(100);
    a.id = 1;
    b.id = 2;
    ct::step("transfer(a, b) on one thread, then transfer(b, a) on another: a ThreadSanitizer "
             "lock-order-inversion report here means the two mutexes are taken in both orders");
    opposite_transfers(a, b);
}

TEST(TransferHidden, SharedIdNoLockOrderInversion) {
    // A customer's two accounts carry the same customer number. Ordering locks by `id` then
    // leaves this pair unordered: both calls fall into the same branch and lock `from` (or `to`)
    // first, which is the opposite-order pattern again.
    cc::Account a(100);
    cc::Account b(100);
    a.id = 7;
    b.id = 7;
    ct::step("two accounts with the same id: transfer(a, b), then transfer(b, a); a "
             "lock-order-inversion report here means the lock order depends on a key that ties");
    opposite_transfers(a, b);
}

TEST(TransferHidden, OppositeTransferStressFinishes) {
    constexpr long start = 1000;
    constexpr int rounds = 4;
    const int per_round = 100'000 / rounds / ct::slowdown();
    cc::Account a(start);
    cc::Account b(start);
    std::atomic<long> a_to_b{0};
    std::atomic<long> b_to_a{0};
    ct::step("four threads, started together, transfer a->b (two of them) and b->a (the other two) " +
             std::to_string(per_round * rounds) +
             " times each; this must finish (a hang here is the classic deadlock: each thread "
             "holds one account's mutex and waits for the other's)");
    ct::stress(4, rounds, [&](int tid, int, ct::Rng&) {
        long moved = 0;
        for (int i = 0; i < per_round; ++i) {
            moved += tid % 2 == 0 ? cc::transfer(a, b, 1) : cc::transfer(b, a, 1);
        }
        (tid % 2 == 0 ? a_to_b : b_to_a).fetch_add(moved);
    });
    EXPECT_EQ(a.balance() + b.balance(), 2 * start)
        << "money was created or destroyed: the check and the update of the two balances are not "
           "one critical section";
    EXPECT_EQ(a.balance(), start - a_to_b.load() + b_to_a.load())
        << "a's balance does not match the transfers that reported success (" << a_to_b.load()
        << " out, " << b_to_a.load() << " in)";
    EXPECT_GE(a.balance(), 0) << "an account went below zero";
    EXPECT_GE(b.balance(), 0) << "an account went below zero";
}

TEST(TransferHidden, SelfTransferReturns) {
    cc::Account a(100);
    ct::step("transfer(a, a, 10) must return. If it hangs, transfer locked a.m twice on one "
             "thread: a std::mutex is not reentrant, and std::scoped_lock(a.m, a.m) or locking "
             "`from` then `to` does exactly that when from and to are the same account");
    const bool moved = cc::transfer(a, a, 10);
    EXPECT_FALSE(moved) << "transfer(a, a, 10) returned true: a transfer to the same account moves "
                           "nothing and is refused (see the comment on transfer in account.hpp)";
    EXPECT_EQ(a.balance(), 100) << "a self-transfer must not change the balance";
    ct::step("transfer(a, a, 1000), more than the balance, must return");
    EXPECT_FALSE(cc::transfer(a, a, 1000)) << "a self-transfer is refused whatever the amount";
    EXPECT_EQ(a.balance(), 100) << "a self-transfer must not change the balance";
}

// Property: any lists of transfers between K accounts, run on several threads at once, conserve
// money, never overdraw, and leave every account at exactly "initial + successful transfers in -
// successful transfers out" (addition commutes, so the order the threads ran in does not matter).
// Lists include self-transfers and transfers in both directions.
RC_GTEST_PROP(TransferHidden, ConcurrentRandomTransfersConserveMoney, ()) {
    using Move = std::tuple<int, int, long>;  // from, to, amount
    const int accounts = *rc::gen::inRange(2, 6);
    const int threads = *rc::gen::inRange(2, 5);
    const auto initial =
        *rc::gen::container<std::vector<long>>(static_cast<std::size_t>(accounts), rc::gen::inRange(0L, 200L));
    std::vector<std::vector<Move>> plans;
    for (int t = 0; t < threads; ++t) {
        plans.push_back(*rc::gen::resize(
            60, rc::gen::container<std::vector<Move>>(rc::gen::tuple(
                    rc::gen::inRange(0, accounts), rc::gen::inRange(0, accounts), rc::gen::inRange(1L, 120L)))));
    }

    RC_LOG() << accounts << " accounts, " << threads
             << " threads; each thread runs its list of (from, to, amount) in order\n";

    std::vector<std::unique_ptr<cc::Account>> bank;
    for (long money : initial) {
        bank.push_back(std::make_unique<cc::Account>(money));
    }
    std::vector<std::vector<char>> moved(plans.size());
    ct::step("several threads run random transfers (including self-transfers and both directions) "
             "between " + std::to_string(accounts) + " accounts; this must finish");
    {
        std::latch gate(threads);
        std::vector<std::jthread> workers;
        for (std::size_t t = 0; t < plans.size(); ++t) {
            workers.emplace_back([&, t] {
                gate.arrive_and_wait();
                for (const auto& [from, to, amount] : plans[t]) {
                    moved[t].push_back(cc::transfer(*bank[static_cast<std::size_t>(from)],
                                                    *bank[static_cast<std::size_t>(to)], amount));
                }
            });
        }
    }

    std::vector<long> expected = initial;
    for (std::size_t t = 0; t < plans.size(); ++t) {
        for (std::size_t i = 0; i < plans[t].size(); ++i) {
            const auto& [from, to, amount] = plans[t][i];
            if (moved[t][i] != 0) {
                if (from == to) {
                    RC_FAIL("transfer(a, a, " + std::to_string(amount) +
                            ") returned true: a self-transfer is refused");
                }
                expected[static_cast<std::size_t>(from)] -= amount;
                expected[static_cast<std::size_t>(to)] += amount;
            }
        }
    }
    const long before = std::accumulate(initial.begin(), initial.end(), 0L);
    long after = 0;
    std::ostringstream report;
    bool mismatch = false;
    for (std::size_t i = 0; i < bank.size(); ++i) {
        const long balance = bank[i]->balance();
        after += balance;
        if (balance < 0) {
            RC_FAIL("account " + std::to_string(i) + " ended at " + std::to_string(balance) +
                    ": some transfer took more than the account held (check the funds and "
                    "withdraw in the same critical section)");
        }
        if (balance != expected[i]) {
            mismatch = true;
        }
        report << " account " << i << ": expected " << expected[i] << ", got " << balance << ";";
    }
    if (after != before) {
        RC_FAIL("the accounts held " + std::to_string(before) + " in total before and " +
                std::to_string(after) +
                " after: money was created or lost, so some update happened outside the lock");
    }
    if (mismatch) {
        RC_FAIL("balances do not match the transfers that returned true:" + report.str() +
                " a transfer's return value must say whether the money moved");
    }
}

}  // namespace
