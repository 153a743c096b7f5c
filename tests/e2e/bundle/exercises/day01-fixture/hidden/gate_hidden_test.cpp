// Misconceptions: "setting the flag needs no lock, notify is enough" (a lost wakeup) and "a
// condition-variable wait only returns after a notify" (`if` instead of `while`).
// Both are caught by the grader's LD_PRELOAD shims, not by luck.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "ct/ct.hpp"
#include "gate.hpp"

// With cvdelay every wait pauses 2 ms with the mutex held before it really waits: an open() that
// writes the flag without the mutex lands in that pause and its notify reaches nobody.
TEST(GateHidden, OpenIsNeverLost) {
    // 50 rounds: under load the waiter sometimes starts too late to be caught in a round (it then
    // finds the gate open and never waits); one caught round is enough to hang the test.
    for (int round = 0; round < 50; ++round) {
        fx::Gate gate;
        std::thread waiter([&] { gate.wait(); });
        std::this_thread::sleep_for(std::chrono::microseconds(1000));  // let the waiter reach wait()
        gate.open();
        ct::step("wait() must return after open() (round " + std::to_string(round) + ")");
        waiter.join();
    }
}

// With cvspur a quarter of all waits return at once without a notify (POSIX allows it).
TEST(GateHidden, WaitIgnoresSpuriousWakeups) {
    for (int round = 0; round < 20; ++round) {
        fx::Gate gate;
        std::atomic<bool> returned{false};
        std::thread waiter([&] {
            gate.wait();
            returned = true;
        });
        // A one-sided window: a correct wait cannot return before open(), however slow the machine.
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const bool early = returned.load();
        gate.open();
        waiter.join();
        ASSERT_FALSE(early) << "round " << round << ": wait() returned before open() was called. A wait can wake "
                            << "up without a notify (a spurious wakeup): check the flag in a loop, "
                            << "`while (!open_) cv_.wait(lock);`, or pass the predicate to wait().";
    }
}
