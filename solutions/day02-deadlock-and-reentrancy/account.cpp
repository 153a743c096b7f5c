#include "account.hpp"

namespace cc {

Account::Account(long initial) : funds(initial) {}

long Account::balance() const {
    std::lock_guard lock(m);
    return funds;
}

bool transfer(Account& from, Account& to, long amount) {
    // A self-transfer would lock the same std::mutex twice on one thread, which never returns.
    if (&from == &to || amount <= 0) {
        return false;
    }
    // std::scoped_lock takes both mutexes with std::lock's deadlock-avoidance algorithm, so
    // transfer(a, b) and transfer(b, a) can run at the same time. Nothing else orders them.
    std::scoped_lock lock(from.m, to.m);
    if (from.funds < amount) {
        return false;
    }
    from.funds -= amount;
    to.funds += amount;
    return true;
}

}  // namespace cc
