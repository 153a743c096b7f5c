#include "bank_account.hpp"

#include <utility>

namespace cc {

BankAccount::BankAccount(long initial, std::function<void()> io_delay)
    : m_io_delay(std::move(io_delay)) {
    // TODO(student): store the initial balance.
    (void)initial;
}

bool BankAccount::withdraw(long amount) {
    // TODO(student): read the balance, refuse if it is less than amount, call m_io_delay(), then
    // write the new balance. Which of these steps must happen under one lock?
    (void)amount;
    return false;
}

void BankAccount::deposit(long amount) {
    // TODO(student): add amount to the balance.
    (void)amount;
}

long BankAccount::balance() const {
    // TODO(student): return the current balance.
    return 0;
}

}  // namespace cc
