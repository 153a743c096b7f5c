// Misconceptions: "locking the two accounts one after the other is enough" (two transfers in
// opposite directions each hold one mutex and wait forever for the other), "any key orders locks"
// (a key that two accounts can share, such as a customer id, orders nothing), "a transfer to the
// same account is just another transfer" (it locks one std::mutex twice and never returns), "one
// mutex for the whole bank is the simplest cure" (it makes every transfer wait for a transfer that
// waits for a busy account), and "debit under one lock, credit under the other" (no deadlock, but
// for a moment the money is in neither account).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <latch>
#include <memory>
#include <mutex>
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

// A thread of the test's own that runs `work` and says when it has finished; its kernel id lets
// the test wait until it is asleep (blocked on a mutex) before acting.
class Worker {
public:
    template <class Work>
    explicit Worker(Work work)
        : m_thread([this, work] {
              m_tid.store(ct::current_tid());
              work();
              m_done.store(true);
          }) {}

    bool done() const { return m_done.load(); }

    // Waits (up to 5 s) until the worker has finished or is asleep in two samples a millisecond
    // apart, which after a lock call means it waits for a mutex. Only decides when the test acts.
    void wait_until_done_or_blocked() const {
        ct::eventually(
            [this] {
                if (done()) {
                    return true;
                }
                const pid_t tid = m_tid.load();
                if (tid == 0 || !ct::blocked_or_unknown(tid)) {
                    return false;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                return done() || ct::blocked_or_unknown(tid);
            },
            std::chrono::seconds(5));
    }

    void join() { m_thread.join(); }

private:
    std::atomic<pid_t> m_tid{0};
    std::atomic<bool> m_done{false};
    std::jthread m_thread;  // declared last: starts once the flags exist
};

// The test holds b.m, as a transfer busy with account b would. transfer(a, b) on another thread
// must then wait for b.m, and while it waits, a transfer between two other accounts must go
// through. A mutex shared by every account (held while waiting for b.m) makes it wait instead.
TEST(TransferHidden, DisjointTransfersDoNotWait) {
    cc::Account a(100);
    cc::Account b(100);
    cc::Account c(100);
    cc::Account d(100);
    std::unique_lock hold_b(b.m);
    ct::step("the test holds b.m; transfer(a, b, 10) on another thread must wait for it");
    Worker first([&] { cc::transfer(a, b, 10); });
    first.wait_until_done_or_blocked();
    if (first.done()) {
        hold_b.unlock();
        first.join();
        FAIL() << "transfer(a, b, 10) returned while the test held b.m, so it changed b.funds "
                  "without holding b's mutex: every transfer must hold the mutexes of both its "
                  "accounts while it changes their balances";
    }
    ct::step("transfer(a, b, 10) waits for b.m; transfer(c, d, 10) on a third thread must return");
    Worker second([&] { cc::transfer(c, d, 10); });
    const bool second_returned = ct::eventually([&] { return second.done(); }, std::chrono::seconds(5));
    hold_b.unlock();
    ct::step("the test released b.m; both transfers must now return");
    first.join();
    second.join();
    if (!second_returned) {
        ADD_FAILURE()
            << "transfer(c, d, 10) did not return within 5 s while another thread's transfer(a, b, 10) "
               "was waiting for account b. The two transfers share no account, so neither may wait for "
               "the other. Usual cause: a mutex shared by all accounts (a bank-wide lock) that a "
               "transfer holds while it waits for an account's mutex; lock only the two accounts' "
               "own mutexes";
    }
    EXPECT_EQ(a.balance(), 90) << "a: 100 - 10";
    EXPECT_EQ(b.balance(), 110) << "b: 100 + 10";
    EXPECT_EQ(c.balance(), 90) << "c: 100 - 10";
    EXPECT_EQ(d.balance(), 110) << "d: 100 + 10";
}

// The test holds b.m, so transfer(a, b, 30) on another thread cannot finish; meanwhile a third
// thread reads a.balance(). A transfer that takes both mutexes before changing anything shows 100
// (or makes the reader wait for a.m). One that debits a under a.m alone and only then waits for
// b.m shows 70: the money has left a and cannot have reached b, which the test still locks.
TEST(TransferHidden, TransferIsOneStep) {
    cc::Account a(100);
    cc::Account b(100);
    std::unique_lock hold_b(b.m);
    ct::step("the test holds b.m; transfer(a, b, 30) on another thread must wait for it");
    bool moved = false;
    Worker transfer([&] { moved = cc::transfer(a, b, 30); });
    transfer.wait_until_done_or_blocked();
    if (transfer.done()) {
        hold_b.unlock();
        transfer.join();
        FAIL() << "transfer(a, b, 30) returned while the test held b.m, so it changed b.funds "
                  "without holding b's mutex: every transfer must hold the mutexes of both its "
                  "accounts while it changes their balances";
    }
    ct::step("transfer(a, b, 30) waits for b.m; a.balance() on a third thread may return or wait");
    long seen = 0;
    Worker reader([&] { seen = a.balance(); });
    reader.wait_until_done_or_blocked();
    const bool read = reader.done();
    hold_b.unlock();
    ct::step("the test released b.m; the transfer and the reader must now return");
    transfer.join();
    reader.join();
    if (read && seen != 100) {
        ADD_FAILURE()
            << "while transfer(a, b, 30) was still waiting for b's mutex, another thread read "
               "a.balance() == " << seen << ": the money had left a but could not have reached b, "
               "so for a moment it was in neither account. Hold both mutexes before changing "
               "either balance; \"debit under from.m, then credit under to.m\" is two steps";
    }
    EXPECT_TRUE(moved) << "transfer(a, b, 30) with a = 100 should succeed";
    EXPECT_EQ(a.balance(), 70) << "a: 100 - 30";
    EXPECT_EQ(b.balance(), 130) << "b: 100 + 30";
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

    // Every drawn value, named, so that the shrunk counterexample can be replayed by hand.
    std::ostringstream drawn;
    drawn << "accounts = " << accounts << ", threads = " << threads << ", initial = [";
    for (std::size_t i = 0; i < initial.size(); ++i) {
        drawn << (i == 0 ? "" : ", ") << initial[i];
    }
    drawn << "]";
    for (std::size_t t = 0; t < plans.size(); ++t) {
        drawn << "\nthread " << t << " runs transfer(from, to, amount) for (from, to, amount) in [";
        for (std::size_t i = 0; i < plans[t].size(); ++i) {
            const auto& [from, to, amount] = plans[t][i];
            drawn << (i == 0 ? "" : ", ") << "(" << from << ", " << to << ", " << amount << ")";
        }
        drawn << "]";
    }
    RC_LOG() << drawn.str() << "\n";

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
                    RC_FAIL("transfer(account " + std::to_string(from) + ", the same account, " +
                            std::to_string(amount) +
                            ") returned true. A transfer from an account to itself moves nothing, so "
                            "it must be refused (return false) before anything is locked");
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
                    ", below zero, so some transfer took more than the account held. Likely causes: "
                    "no funds check, or a check made outside the critical section that withdraws "
                    "(another transfer can spend the same money in between); check and withdraw "
                    "while holding both accounts' mutexes");
        }
        if (balance != expected[i]) {
            mismatch = true;
        }
        report << (i == 0 ? "" : "; ") << "account " << i << ": expected " << expected[i] << ", got "
               << balance;
    }
    if (after != before) {
        RC_FAIL("the accounts held " + std::to_string(before) + " in total before and " +
                std::to_string(after) +
                " after, so money was created or lost. Likely causes: a balance changed without "
                "holding its account's mutex (two transfers then overwrite each other's update), "
                "or one side of a transfer changed by a different amount than the other");
    }
    if (mismatch) {
        RC_FAIL("the balances do not match the transfers that returned true (" + report.str() +
                "). A transfer must return true exactly when it moved the money, and a refused "
                "transfer (overdraft, non-positive amount, same account) must change nothing");
    }
}

}  // namespace
