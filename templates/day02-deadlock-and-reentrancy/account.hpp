// Task 1: bank accounts and a transfer that cannot deadlock.
#pragma once

#include <mutex>

namespace cc {

// An account "has a mutex": `m` guards `funds`. Both are public so that transfer() can lock two
// accounts at once; read or write `funds` only while holding `m`.
struct Account {
    explicit Account(long initial);

    // The current balance, read under the account's mutex.
    long balance() const;

    // A customer number printed on statements. Several accounts may share one (a customer's savings
    // and checking accounts do), so it is a label, not a key: it cannot order locks.
    int id = 0;
    mutable std::mutex m;
    long funds = 0;
};

// Moves `amount` from `from` to `to` if `from` holds at least that much, in one step: no thread
// sees the money in both accounts or in neither. Returns whether the money moved. A non-positive
// amount, or a transfer from an account to itself, moves nothing and returns false.
// Any number of threads may call it at once, in any direction, without deadlock. A transfer waits
// only for the mutexes of its own two accounts: transfers between different pairs never wait for
// each other.
bool transfer(Account& from, Account& to, long amount);

}  // namespace cc
