// Misconceptions: "if every philosopher picks up the left fork and then the right one, they take
// turns" (all of them can hold their left fork at once and wait forever for the right one: a
// circular wait around the table; a waiter that admits all n is the same thing), "holding a fork
// is optional while eating" (neighbours then eat with the same fork; an unnamed
// `std::scoped_lock(a, b);` is such a fork put down at once), and "one lock for the whole table is
// the simplest cure" (nothing deadlocks, but no two philosophers ever eat at the same time).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "ct/ct.hpp"
#include "philosophers.hpp"

namespace {

// The `eat` hook the tests pass to dine(). Every call checks, with atomic flags, that neither
// neighbour is eating at the same moment (they share a fork with this philosopher), counts the
// meal, and optionally spins a few seeded microseconds while "eating" so that the others really
// queue up for the forks.
class Table {
public:
    Table(int seats, int max_eat_us) : m_seats(seats), m_max_eat_us(max_eat_us), m_eating(seats), m_meals(seats) {}

    void eat(int who) {
        if (who < 0 || who >= m_seats) {
            note("eat(" + std::to_string(who) + ") was called, but there are only " +
                 std::to_string(m_seats) + " philosophers (0.." + std::to_string(m_seats - 1) + ")");
            return;
        }
        auto& me = m_eating[static_cast<std::size_t>(who)];
        if (me.exchange(true)) {
            note("philosopher " + std::to_string(who) + " started eating twice at the same time");
        }
        for (int neighbour : {(who + m_seats - 1) % m_seats, (who + 1) % m_seats}) {
            if (m_eating[static_cast<std::size_t>(neighbour)].load()) {
                note("philosophers " + std::to_string(who) + " and " + std::to_string(neighbour) +
                     " ate at the same time, but they share a fork: eat(who) must run while "
                     "philosopher `who` holds both of its forks");
            }
        }
        if (m_max_eat_us > 0) {
            thread_local ct::Rng rng = ct::rng(static_cast<std::uint64_t>(who) + 100);
            ct::jitter(rng, m_max_eat_us);
        }
        m_meals[static_cast<std::size_t>(who)].fetch_add(1);
        me.store(false);
    }

    void expect_all_ate(int meals) const {
        for (int who = 0; who < m_seats; ++who) {
            EXPECT_EQ(m_meals[static_cast<std::size_t>(who)].load(), meals)
                << "with " << m_seats << " philosophers, philosopher " << who
                << " should have eaten exactly " << meals << " times";
        }
        std::lock_guard lock(m_mutex);
        EXPECT_EQ(m_problems, 0) << m_first_problem << " (" << m_problems << " problems in total)";
    }

private:
    void note(const std::string& problem) {
        std::lock_guard lock(m_mutex);
        if (m_problems++ == 0) {
            m_first_problem = problem;
        }
    }

    const int m_seats;
    const int m_max_eat_us;
    std::vector<std::atomic<bool>> m_eating;
    std::vector<std::atomic<int>> m_meals;
    mutable std::mutex m_mutex;
    int m_problems = 0;
    std::string m_first_problem;
};

TEST(PhilosophersHidden, StressNeighboursNeverEatTogether) {
    for (const int seats : {2, 3, 5, 7}) {
        const int meals = 1000 / ct::slowdown();
        Table table(seats, 20);
        ct::step("dine(" + std::to_string(seats) + ", " + std::to_string(meals) +
                 ", eat) must return: a hang here is a deadlock (every philosopher holds one fork "
                 "and waits for the next)");
        cc::dine(seats, meals, [&](int who) { table.eat(who); });
        table.expect_all_ate(meals);
        if (HasFailure()) {
            return;
        }
    }
}

// Runs with the grader's `lockdelay` shim: every thread pauses 1 ms after each mutex lock, still
// holding the mutex. If the design lets the philosophers wait for each other in a circle (everyone
// takes the left fork first, or a waiter that admits all n), each one holds its first fork before
// anyone reaches for a second, so the circle closes in the first round, and the grader reports the
// deadlock as soon as every thread is asleep, naming the line each one waits at. A design that
// cannot deadlock (one global order, both forks at once, a waiter that admits n - 1) only runs a
// little slower. This judges deadlock freedom itself, whatever the cure, where ThreadSanitizer's
// lock-order graph would also flag a waiter's safe left-then-right order.
TEST(PhilosophersHidden, NoDeadlockUnderLockDelay) {
    for (const int seats : {2, 3, 5}) {
        const int meals = 20;
        Table table(seats, 0);
        ct::step("dine(" + std::to_string(seats) + ", " + std::to_string(meals) +
                 ", eat) with a 1 ms pause after every mutex lock must return. A deadlock here "
                 "means the philosophers can wait for each other in a circle: each holds one fork "
                 "and waits for the next philosopher's.");
        cc::dine(seats, meals, [&](int who) { table.eat(who); });
        table.expect_all_ate(meals);
        if (HasFailure()) {
            return;
        }
    }
}

// The point of one mutex per fork: philosophers who share no fork can eat at the same time. Until
// two philosophers have been seen eating together, each meal waits (up to 100 ms, on a condition
// variable, so the table stays open) for another philosopher to start eating. A correct design
// lets a non-neighbour in during one of those waits; the waits stop as soon as it has, and they are
// bounded in total, so no design can deadlock because of them. One lock for the whole table never
// lets anyone in.
class OverlapTable {
public:
    explicit OverlapTable(int seats) : m_seats(seats), m_eating(static_cast<std::size_t>(seats)) {}

    void eat(int who) {
        std::unique_lock lock(m_mutex);
        if (who < 0 || who >= m_seats) {
            return;
        }
        ++m_meals;
        for (int other = 0; other < m_seats; ++other) {
            if (m_eating[static_cast<std::size_t>(other)] && !m_overlap) {
                m_overlap = true;
                m_pair = "philosophers " + std::to_string(other) + " and " + std::to_string(who);
                m_cv.notify_all();
            }
        }
        m_eating[static_cast<std::size_t>(who)] = true;
        if (!m_overlap && m_waited < total_wait) {
            const auto start = std::chrono::steady_clock::now();
            const auto limit = std::min<std::chrono::steady_clock::duration>(per_meal, total_wait - m_waited);
            m_cv.wait_until(lock, start + limit, [this] { return m_overlap; });
            m_waited += std::chrono::steady_clock::now() - start;
        }
        m_eating[static_cast<std::size_t>(who)] = false;
    }

    bool overlap() const {
        std::lock_guard lock(m_mutex);
        return m_overlap;
    }
    std::string pair() const {
        std::lock_guard lock(m_mutex);
        return m_pair;
    }
    int meals() const {
        std::lock_guard lock(m_mutex);
        return m_meals;
    }

    static constexpr std::chrono::milliseconds per_meal{100};
    static constexpr std::chrono::milliseconds total_wait{5000};

private:
    const int m_seats;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<char> m_eating;  // who is inside eat() right now; guarded by m_mutex
    bool m_overlap = false;
    std::string m_pair;
    int m_meals = 0;
    std::chrono::steady_clock::duration m_waited{};
};

TEST(PhilosophersHidden, NonNeighboursEatTogether) {
    constexpr int seats = 5;
    constexpr int meals = 10;
    OverlapTable table(seats);
    ct::step("dine(5, 10, eat) must return; until two philosophers have eaten at the same time, "
             "each meal waits up to 100 ms for another philosopher to start eating");
    cc::dine(seats, meals, [&](int who) { table.eat(who); });
    if (!table.overlap()) {
        ADD_FAILURE()
            << "in " << table.meals() << " meals of 5 philosophers, no two ever ate at the same time, "
               "although each meal waited up to 100 ms (5 s in all) for another philosopher to start "
               "eating. Philosophers 0 and 2 share no fork, so they must be able to eat together. "
               "Usual cause: one mutex for the whole table (or a waiter that admits one philosopher), "
               "which is safe but serial: lock only the two forks of the philosopher who eats";
    }
}

// Runs in the tsan flavour, with ThreadSanitizer's lock-order check off (tsan_options in
// grading.yaml): this test is about data, not order. Each meal adds to a plain (non-atomic) counter
// per fork the philosopher uses. Neighbours share a fork, so their updates of its counter are
// ordered only by that fork's mutex: if eat() runs without both forks held (a fork put down early,
// or an unnamed `std::scoped_lock(a, b);` that unlocks at the semicolon), ThreadSanitizer reports a
// data race on the counter, whether or not the two meals overlapped in this run.
TEST(PhilosophersHidden, EatHoldsBothForksUnderTSan) {
    constexpr int seats = 5;
    const int meals = 200 / ct::slowdown();
    std::vector<long> fork_uses(seats, 0);
    std::atomic<int> bad_calls{0};
    ct::step("dine(5, " + std::to_string(meals) + ", eat) must return");
    cc::dine(seats, meals, [&](int who) {
        if (who < 0 || who >= seats) {
            bad_calls.fetch_add(1);
            return;
        }
        ++fork_uses[static_cast<std::size_t>(who)];
        ++fork_uses[static_cast<std::size_t>((who + 1) % seats)];
    });
    if (bad_calls.load() != 0) {
        ADD_FAILURE() << "eat() was called " << bad_calls.load()
                      << " times with a philosopher number outside 0..4";
    }
    for (int fork = 0; fork < seats; ++fork) {
        const long uses = fork_uses[static_cast<std::size_t>(fork)];
        if (uses == 2L * meals) {
            continue;
        }
        ADD_FAILURE()
            << "fork " << fork << " is used by philosophers " << (fork + seats - 1) % seats << " and "
            << fork << ", " << meals << " meals each, so it should have been used " << 2 * meals
            << " times, but it was used " << uses << " times: updates of its counter were lost, "
               "so two meals that share it ran at once, i.e. eat() ran while that fork was not "
               "held";
    }
}

}  // namespace
