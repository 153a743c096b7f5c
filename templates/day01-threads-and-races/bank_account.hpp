// Task 2: a bank account that cannot be double-spent by concurrent withdrawals.
#pragma once

#include <functional>
#include <mutex>

namespace cc {

class BankAccount {
public:
    // io_delay stands for the slow round trip between reading the balance and writing it back
    // (a database, a remote ledger). Tests use it to hold a withdrawal in the middle.
    explicit BankAccount(long initial, std::function<void()> io_delay = [] {});

    // read balance -> io_delay() -> write; false (and no change) if the balance is insufficient.
    bool withdraw(long amount);
    void deposit(long amount);
    long balance() const;

private:
    // TODO(student): the balance, and whatever keeps concurrent calls from trampling on it.
    std::function<void()> m_io_delay;
};

}  // namespace cc
