// Public tests for task 4: dine().
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "ct/ct.hpp"
#include "philosophers.hpp"

namespace {

TEST(PhilosophersPublic, EveryoneEatsExactlyMeals) {
    constexpr int seats = 5;
    constexpr int meals = 10;
    std::vector<std::atomic<int>> eaten(seats);
    ct::step("dine(5, 10, eat) must return (a hang here is a deadlock among the philosophers)");
    cc::dine(seats, meals, [&](int who) {
        if (who >= 0 && who < seats) {
            eaten[static_cast<std::size_t>(who)].fetch_add(1);
        }
    });
    for (int who = 0; who < seats; ++who) {
        EXPECT_EQ(eaten[static_cast<std::size_t>(who)].load(), meals)
            << "philosopher " << who << " should have called eat(" << who << ") exactly " << meals
            << " times";
    }
}

TEST(PhilosophersPublic, EachPhilosopherHasOwnThread) {
    constexpr int seats = 4;
    std::mutex mutex;
    std::vector<std::thread::id> thread_of(seats);
    int wrong_thread = 0;
    ct::step("dine(4, 5, eat) must return");
    cc::dine(seats, 5, [&](int who) {
        std::lock_guard lock(mutex);
        if (who < 0 || who >= seats) {
            return;
        }
        auto& id = thread_of[static_cast<std::size_t>(who)];
        if (id == std::thread::id{}) {
            id = std::this_thread::get_id();
        } else if (id != std::this_thread::get_id()) {
            ++wrong_thread;
        }
    });
    EXPECT_EQ(wrong_thread, 0) << "a philosopher ate on different threads: each philosopher is one "
                                  "thread that loops over its meals";
    for (int who = 0; who < seats; ++who) {
        EXPECT_NE(thread_of[static_cast<std::size_t>(who)], std::thread::id{})
            << "philosopher " << who << " never ate";
        EXPECT_NE(thread_of[static_cast<std::size_t>(who)], std::this_thread::get_id())
            << "philosopher " << who << " ate on the thread that called dine(): give each "
                                        "philosopher a thread of its own";
        for (int other = 0; other < who; ++other) {
            if (thread_of[static_cast<std::size_t>(who)] != std::thread::id{}) {
                EXPECT_NE(thread_of[static_cast<std::size_t>(who)],
                          thread_of[static_cast<std::size_t>(other)])
                    << "philosophers " << other << " and " << who
                    << " ate on the same thread: each philosopher needs a thread of its own, or "
                       "they never compete for forks at all";
            }
        }
    }
}

}  // namespace
