#include "account.hpp"

namespace cc {

Account::Account(long initial) : funds(initial) {}

long Account::balance() const {
    // TODO(student): read `funds` while holding `m` (another thread may be in a transfer).
    return funds;
}

bool transfer(Account& /*from*/, Account& /*to*/, long /*amount*/) {
    // TODO(student): task 1. Lock both accounts without risking a deadlock (README, task 1), refuse
    // an overdraft, a non-positive amount and a transfer to the same account, then move the money.
    return false;
}

}  // namespace cc
