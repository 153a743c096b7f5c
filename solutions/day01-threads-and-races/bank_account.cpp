#include "bank_account.hpp"

#include <utility>

namespace cc {

BankAccount::BankAccount(long initial, std::function<void()> io_delay)
    : m_balance(initial), m_io_delay(std::move(io_delay)) {}

bool BankAccount::withdraw(long amount) {
    // One critical section from the read to the write. Anything shorter lets another withdrawal
    // read the same old balance while this one waits in io_delay, and both succeed.
    std::scoped_lock lock(m_mutex);
    const long seen = m_balance;
    if (seen < amount) {
        return false;
    }
    m_io_delay();
    m_balance = seen - amount;
    return true;
}

void BankAccount::deposit(long amount) {
    std::scoped_lock lock(m_mutex);
    m_balance += amount;
}

long BankAccount::balance() const {
    std::scoped_lock lock(m_mutex);
    return m_balance;
}

}  // namespace cc
