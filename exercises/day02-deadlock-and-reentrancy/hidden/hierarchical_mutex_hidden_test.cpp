// Misconceptions: "the current level can be one variable for the whole program" (a `static` level
// lets one thread's locks forbid another thread's, which is a false violation), "unlocking only
// has to release the mutex" (without restoring the previous level, the thread is stuck at the
// lowest level it ever reached), "try_lock needs no order check" and "the same level twice is fine"
// (both let two threads take the same pair of mutexes in opposite orders), "unlock() may restore
// the previous level whatever the order" (after an out-of-order unlock the thread stands above a
// mutex it still holds, and its next upward lock goes unnoticed), and "the check may come after
// the inner lock" (then a violating lock() waits for the other thread first: the very deadlock the
// hierarchy exists to turn into an exception).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "ct/ct.hpp"
#include "hierarchical_mutex.hpp"

namespace {

// True if lock() threw std::logic_error. If it locked instead, it is unlocked again.
bool lock_throws(cc::HierarchicalMutex& mutex) {
    try {
        mutex.lock();
    } catch (const std::logic_error&) {
        return true;
    }
    mutex.unlock();
    return false;
}

// Holds `mutex` on this thread for its lifetime, like std::lock_guard, but an unlock() that throws
// (a level left wrong by an earlier bug) is recorded instead of escaping a destructor, which would
// end the test with std::terminate instead of a message.
class Hold {
public:
    explicit Hold(cc::HierarchicalMutex& mutex) : m_mutex(mutex) { m_mutex.lock(); }
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold() {
        try {
            m_mutex.unlock();
        } catch (const std::logic_error& error) {
            ADD_FAILURE() << "unlock() threw \"" << error.what()
                          << "\" although this thread unlocked its mutexes in reverse order of "
                             "locking: the thread's level was not what lock() left it at";
        }
    }

private:
    cc::HierarchicalMutex& m_mutex;
};

// Holds `mutex` on a thread of its own from construction until release() (or destruction).
// Never hangs the test: if that thread's lock() throws, failed() says so.
class HeldElsewhere {
public:
    explicit HeldElsewhere(cc::HierarchicalMutex& mutex)
        : m_thread([this, &mutex] {
              try {
                  std::lock_guard hold(mutex);
                  m_held.count_down();
                  m_release.wait();
              } catch (const std::logic_error&) {
                  m_failed = true;
                  m_held.count_down();
              }
          }) {
        m_held.wait();
    }
    HeldElsewhere(const HeldElsewhere&) = delete;
    HeldElsewhere& operator=(const HeldElsewhere&) = delete;
    ~HeldElsewhere() { release(); }

    void release() {
        if (m_thread.joinable()) {
            m_release.count_down();
            m_thread.join();
        }
    }
    bool failed() const { return m_failed; }

private:
    std::latch m_held{1};
    std::latch m_release{1};
    bool m_failed = false;
    std::jthread m_thread;  // declared last: starts only once the latches exist
};

TEST(HierarchicalMutexHidden, UnlockRestoresPreviousLevel) {
    cc::HierarchicalMutex top(1000);
    cc::HierarchicalMutex low(500);
    cc::HierarchicalMutex middle(600);
    ct::step("lock 1000, lock 500, unlock 500, then lock 600");
    Hold hold_top(top);
    low.lock();
    low.unlock();
    EXPECT_FALSE(lock_throws(middle))
        << "after unlocking 500 this thread holds only 1000 again, so locking 600 is allowed, but "
           "it threw: unlock() must restore the level the thread had before it locked 500 (1000), "
           "not keep 500 (remember the previous level in lock())";
}

TEST(HierarchicalMutexHidden, UnlockAllRestoresTopLevel) {
    cc::HierarchicalMutex low(10);
    cc::HierarchicalMutex high(1000);
    ct::step("lock and unlock 10, then lock 1000 with nothing held");
    low.lock();
    low.unlock();
    EXPECT_FALSE(lock_throws(high))
        << "this thread holds no hierarchical mutex any more, yet locking 1000 threw: after the last "
           "unlock the thread must stand above every level again";
}

TEST(HierarchicalMutexHidden, TryLockChecksOrder) {
    cc::HierarchicalMutex high(1000);
    cc::HierarchicalMutex low(500);
    cc::HierarchicalMutex lower(400);
    ct::step("holding 500, try_lock() on 1000 must throw; try_lock() on 400 must succeed");
    Hold hold_low(low);
    bool threw = false;
    try {
        if (high.try_lock()) {
            high.unlock();
        }
    } catch (const std::logic_error&) {
        threw = true;
    }
    EXPECT_TRUE(threw) << "holding level 500, try_lock() on level 1000 did not throw "
                          "std::logic_error: a successful try_lock takes the mutex just like lock(), "
                          "so it must check the hierarchy just like lock()";
    bool got = false;
    EXPECT_NO_THROW(got = lower.try_lock()) << "try_lock() downwards (500 -> 400) is allowed";
    EXPECT_TRUE(got) << "try_lock() on a free mutex lower than the current level must succeed";
    if (got) {
        cc::HierarchicalMutex middle(450);
        EXPECT_TRUE(lock_throws(middle))
            << "after try_lock() took level 400, locking 450 must throw: a successful try_lock "
               "moves the thread down to 400, exactly like lock()";
        lower.unlock();
    }
}

TEST(HierarchicalMutexHidden, FailedTryLockKeepsLevel) {
    cc::HierarchicalMutex high(1000);
    cc::HierarchicalMutex contested(100);
    cc::HierarchicalMutex middle(500);
    ct::step("another thread holds level 100; this thread holds 1000, try_lock()s 100 (fails), "
             "then locks 500");
    HeldElsewhere other(contested);
    ASSERT_FALSE(other.failed()) << "a fresh thread could not lock level 100";
    Hold hold_high(high);
    const bool got = contested.try_lock();
    ASSERT_FALSE(got) << "try_lock() succeeded on a mutex another thread held";
    EXPECT_FALSE(lock_throws(middle))
        << "a try_lock() that returned false took nothing, so this thread still stands at 1000 and "
           "may lock 500, but that threw: update the level only after the inner mutex was "
           "actually acquired";
}

TEST(HierarchicalMutexHidden, LevelIsPerThread) {
    cc::HierarchicalMutex low(100);
    cc::HierarchicalMutex high(1000);
    ct::step("thread A holds level 100; thread B, holding nothing, locks level 1000");
    HeldElsewhere other(low);
    ASSERT_FALSE(other.failed()) << "a fresh thread could not lock level 100";
    const bool threw = lock_throws(high);
    other.release();
    EXPECT_FALSE(threw)
        << "this thread holds no hierarchical mutex, but locking 1000 threw while another thread "
           "held 100: the current level must be per thread (thread_local), because only the order "
           "within one thread can close a cycle; a `static` level makes one thread's locks forbid "
           "another's";
    ct::step("after thread A unlocked 100, thread B locks 1000 again");
    EXPECT_FALSE(lock_throws(high)) << "nobody holds anything now, yet locking 1000 threw";
}

TEST(HierarchicalMutexHidden, SameLevelTwiceThrows) {
    cc::HierarchicalMutex first(500);
    cc::HierarchicalMutex second(500);
    ct::step("holding one level-500 mutex, lock another level-500 mutex: must throw");
    Hold hold(first);
    EXPECT_TRUE(lock_throws(second))
        << "this thread holds level 500 and locked another level-500 mutex without an exception. "
           "Two mutexes on one level have no order between them, so one thread could take them as "
           "(x, y) and another as (y, x): the next level must be strictly lower";
}

TEST(HierarchicalMutexHidden, ViolationLocksNothing) {
    cc::HierarchicalMutex high(1000);
    cc::HierarchicalMutex low(500);
    cc::HierarchicalMutex lower(400);
    ct::step("holding 500, lock 1000 throws; then another thread must be able to lock 1000");
    Hold hold_low(low);
    const bool threw = lock_throws(high);
    ASSERT_TRUE(threw) << "holding 500, locking 1000 must throw std::logic_error";
    bool other_got = false;
    std::thread([&] {
        other_got = high.try_lock();
        if (other_got) {
            high.unlock();
        }
    }).join();
    EXPECT_TRUE(other_got)
        << "after lock() threw, the level-1000 mutex was still locked, so another thread could not "
           "take it: check the hierarchy before locking the inner mutex, not after";
    EXPECT_FALSE(lock_throws(lower))
        << "after the failed lock this thread still holds only 500, so locking 400 is allowed: a "
           "lock() that throws must not change the thread's level";
}

// Listing 3.8's contract, which the README states: unlocking a mutex that is not the one this
// thread locked last throws std::logic_error and changes nothing.
TEST(HierarchicalMutexHidden, OutOfOrderUnlockThrowsAndChangesNothing) {
    cc::HierarchicalMutex high(1000);
    cc::HierarchicalMutex low(500);
    cc::HierarchicalMutex middle(600);
    ct::step("lock 1000, lock 500, then unlock 1000 first: that unlock() must throw");
    high.lock();
    low.lock();
    bool threw = false;
    try {
        high.unlock();
    } catch (const std::logic_error&) {
        threw = true;
    }
    if (!threw) {
        // `high` is unlocked now; release `low` too (an exception here is no news) and stop.
        try {
            low.unlock();
        } catch (const std::logic_error&) {
        }
        FAIL() << "holding 1000 and then 500, unlock() of 1000 returned normally. Only the mutex "
                  "this thread locked last (500) may be unlocked; unlock() of any other must throw "
                  "std::logic_error and change nothing (README, task 2). Restoring the level 1000 "
                  "was locked from puts the thread above 500, which it still holds, so its next "
                  "upward lock would go unnoticed";
    }
    if (!lock_throws(middle)) {
        ADD_FAILURE() << "after the out-of-order unlock() threw, this thread still holds 500, yet "
                         "locking 600 did not throw: the failed unlock() changed the thread's "
                         "level. It must change nothing";
    }
    bool other_got = true;
    std::thread([&] {
        other_got = high.try_lock();
        if (other_got) {
            high.unlock();
        }
    }).join();
    if (other_got) {
        ADD_FAILURE() << "after unlock() of 1000 threw, another thread could take 1000: the failed "
                         "unlock() released the mutex anyway. It must change nothing";
    }
    ct::step("now unlock 500, then 1000 (reverse order): neither may throw");
    if (!other_got) {
        EXPECT_NO_THROW(low.unlock()) << "500 is the mutex this thread locked last";
        EXPECT_NO_THROW(high.unlock()) << "after 500, 1000 is the mutex this thread locked last";
        if (lock_throws(middle)) {
            ADD_FAILURE() << "this thread holds nothing any more, yet locking 600 threw: unlocking "
                             "in reverse order after the failed unlock() must bring the thread back "
                             "above every level";
        }
    }
}

// lock() must check the order before it blocks. The test holds 500 on one thread and lets another
// thread hold 1000; locking 1000 is then a violation and must throw at once. An implementation that
// locks the inner mutex first waits for the other thread instead (and, if that thread waited for
// 500, the two would deadlock).
TEST(HierarchicalMutexHidden, ViolationThrowsInsteadOfWaiting) {
    cc::HierarchicalMutex high(1000);
    cc::HierarchicalMutex low(500);
    ct::step("another thread holds 1000; a thread holding 500 locks 1000: that must throw, not wait");
    HeldElsewhere other(high);
    ASSERT_FALSE(other.failed()) << "a fresh thread could not lock level 1000";
    std::atomic<bool> finished{false};
    bool threw = false;
    std::thread attempt([&] {
        Hold hold_low(low);
        threw = lock_throws(high);
        finished.store(true);
    });
    const bool in_time = ct::eventually([&] { return finished.load(); }, std::chrono::seconds(5));
    other.release();
    attempt.join();
    if (!in_time) {
        ADD_FAILURE()
            << "holding 500, lock() of 1000, which another thread held, neither threw nor returned "
               "within 5 s: it waited for the other thread (and threw only once that thread let go, "
               "if at all). Check the hierarchy before locking the inner mutex: a violation must throw "
               "at once, because waiting in the wrong order is how the deadlock happens";
    } else if (!threw) {
        ADD_FAILURE() << "holding 500, lock() of 1000 returned without an exception: locking "
                         "upwards must throw std::logic_error";
    }
}

}  // namespace
