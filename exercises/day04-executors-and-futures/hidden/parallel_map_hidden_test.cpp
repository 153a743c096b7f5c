// Misconceptions: "results can be collected as the calls finish" (then they come back in
// completion order, not input order), "on the first exception parallel_map may throw at once"
// (the calls still running use f and the input, which the caller may destroy as soon as
// parallel_map has thrown), and "a map over a pool is parallel anyway" (a map that runs the calls
// one by one, or in one chunk, is not). Hidden tests for task 2, release build.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ct/ct.hpp"
#include "parallel_map.hpp"
#include "thread_pool.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// One element of a RapidCheck input: its value, where it is, and whether f throws on it.
struct Item {
    int value;
    std::size_t index;
    bool throws;
};

// What f throws: it says which element it came from.
struct ItemFailed : std::runtime_error {
    explicit ItemFailed(std::size_t i) : std::runtime_error("element " + std::to_string(i)), index(i) {}
    std::size_t index;
};

long square_plus(int x) { return static_cast<long>(x) * x + 7; }

// parallel_map against std::transform: same results in the same order, each element mapped once;
// with throwing elements, the exception of the lowest one.
RC_GTEST_PROP(ParallelMapHidden, MatchesStdTransform, ()) {
    const auto workers = *rc::gen::inRange<std::size_t>(1, 9);
    const auto size = *rc::gen::inRange<std::size_t>(0, 2001);
    const bool with_errors = *rc::gen::inRange(0, 3) == 0;
    std::vector<Item> in;
    std::vector<std::size_t> throwing;
    for (std::size_t i = 0; i < size; ++i) {
        const int value = *rc::gen::inRange(-1000, 1001);
        const bool throws = with_errors && *rc::gen::inRange(0, 50) == 0;
        in.push_back({value, i, throws});
        if (throws) {
            throwing.push_back(i);
        }
    }
    std::ostringstream throwing_text;
    for (const auto i : throwing) {
        throwing_text << (throwing_text.tellp() > 0 ? ", " : "") << i;
    }
    RC_LOG() << "workers = " << workers << ", n_items = " << size << ", throwing indices = {" << throwing_text.str()
             << "}";

    auto calls = std::make_unique<std::atomic<int>[]>(size);
    cc::ThreadPool pool(workers);
    std::vector<long> out;
    std::optional<std::size_t> thrown;
    std::string other_error;
    ct::step("parallel_map must return");
    try {
        out = cc::parallel_map(
            pool,
            [&calls](const Item& item) {
                ++calls[item.index];
                if (item.throws) {
                    throw ItemFailed(item.index);
                }
                return square_plus(item.value);
            },
            in);
    } catch (const ItemFailed& e) {
        thrown = e.index;
    } catch (const std::exception& e) {
        other_error = e.what();
    }
    if (!other_error.empty()) {
        RC_FAIL("parallel_map threw an exception f never throws: " + other_error);
    }
    std::size_t never = 0;
    std::size_t twice = 0;
    for (std::size_t i = 0; i < size; ++i) {
        never += calls[i].load() == 0 ? 1 : 0;
        twice += calls[i].load() > 1 ? 1 : 0;
    }
    if (twice > 0) {
        RC_FAIL("f was called more than once for " + std::to_string(twice) + " elements");
    }
    if (throwing.empty()) {
        if (thrown) {
            RC_FAIL("parallel_map threw, but no call did");
        }
        if (never > 0) {
            RC_FAIL("f was never called for " + std::to_string(never) + " of the " + std::to_string(size) +
                    " elements (a chunk left out? mind n % chunks)");
        }
        std::vector<long> expected(size);
        std::transform(in.begin(), in.end(), expected.begin(), [](const Item& item) { return square_plus(item.value); });
        if (out.size() != expected.size()) {
            RC_FAIL("parallel_map returned " + std::to_string(out.size()) + " results for " + std::to_string(size) +
                    " elements");
        }
        const auto mismatch = std::mismatch(out.begin(), out.end(), expected.begin());
        if (mismatch.first != out.end()) {
            const auto at = static_cast<std::size_t>(mismatch.first - out.begin());
            RC_FAIL("result " + std::to_string(at) + " is " + std::to_string(*mismatch.first) + ", expected f(in[" +
                    std::to_string(at) + "]) = " + std::to_string(*mismatch.second) +
                    ": results must be in input order, as std::transform gives them");
        }
    } else {
        if (!thrown) {
            RC_FAIL("calls threw for the elements {" + throwing_text.str() + "}, but parallel_map returned normally");
        }
        if (*thrown != throwing.front()) {
            RC_FAIL("calls threw for the elements {" + throwing_text.str() + "}, and parallel_map rethrew the one of "
                    "element " + std::to_string(*thrown) + "; it must rethrow the exception of the lowest index, " +
                    std::to_string(throwing.front()) + " (what a loop in input order would have hit first)");
        }
    }
}

TEST(ParallelMapHidden, KeepsInputOrderWhenLaterCallsFinishFirst) {
    constexpr int n = 64;
    std::atomic<int> finished{0};
    std::atomic<bool> first_saw_another{false};
    std::atomic<int> finish_position_of_first{-1};
    std::vector<int> in(n);
    std::iota(in.begin(), in.end(), 0);
    cc::ThreadPool pool(4);
    ct::step("parallel_map over 64 elements on a 4-worker pool must return (f(in[0]) waits up to 5 s for "
             "another call to finish)");
    const std::vector<int> out = cc::parallel_map(
        pool,
        [&](int x) {
            if (x == 0) {
                // The first element finishes only after some later element has finished.
                first_saw_another = ct::eventually([&] { return finished.load() > 0; }, 5s);
                finish_position_of_first = finished.load();
            }
            ++finished;
            return 10 * x;
        },
        in);
    ASSERT_EQ(out.size(), static_cast<std::size_t>(n));
    EXPECT_TRUE(first_saw_another.load())
        << "f(in[0]) waited 5 s for any other call of f to finish, and none did: parallel_map ran the calls one at a "
        << "time (or all in one task). Submit them so that the pool's workers run them at the same time.";
    int misplaced = 0;
    int first_bad = -1;
    for (int i = 0; i < n; ++i) {
        if (out[static_cast<std::size_t>(i)] != 10 * i) {
            misplaced += 1;
            first_bad = first_bad < 0 ? i : first_bad;
        }
    }
    EXPECT_EQ(misplaced, 0) << misplaced << " of 64 results are not at their element's position (the first at "
                            << first_bad << ", which holds " << (first_bad >= 0 ? out[std::size_t(first_bad)] : 0)
                            << " instead of " << 10 * first_bad << "). f(in[0]) finished after "
                            << finish_position_of_first.load() << " other calls, so a result list built in the order "
                            << "the calls finish puts it in the wrong place. Keep the futures in input order and get() "
                            << "them in that order.";
}

TEST(ParallelMapHidden, RunsAsManyCallsAsWorkersAtOnce) {
    constexpr int workers = 4;
    struct Shared {
        ct::Rendezvous meet{workers};
        std::atomic<int> arrived{0};
    };
    auto shared = std::make_shared<Shared>();
    const std::vector<int> in{0, 1, 2, 3};
    const auto deadline = Clock::now() + 5s;
    cc::ThreadPool pool(workers);
    ct::step("parallel_map over 4 elements whose calls wait for each other (at most 5 s) must return");
    const std::vector<int> met = cc::parallel_map(
        pool,
        [shared, deadline](int) {
            ++shared->arrived;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            return shared->meet.arrive_and_wait_for(std::max(left, 0ms)) ? 1 : 0;
        },
        in);
    EXPECT_EQ(std::count(met.begin(), met.end(), 1), workers)
        << "the 4 calls of parallel_map over 4 elements on a 4-worker pool waited up to 5 s for each other, but they "
        << "never all ran at the same time: parallel_map must give the pool as many calls at once as it has workers";
}

TEST(ParallelMapHidden, ThrowsOnlyAfterEveryCallFinished) {
    struct Shared {
        std::atomic<int> in_flight{0};
        std::atomic<bool> slow_started{false};
        std::atomic<bool> map_returned{false};
    };
    auto shared = std::make_shared<Shared>();
    const std::vector<int> in{0, 1};
    cc::ThreadPool pool(2);
    int in_flight_at_throw = -1;
    std::string what;
    ct::step("parallel_map whose call for in[0] throws (after in[1] has started) must return by throwing");
    try {
        cc::parallel_map(
            pool,
            [shared](int x) -> int {
                if (x == 0) {
                    ct::eventually([&] { return shared->slow_started.load(); }, 5s);
                    throw std::runtime_error("first");
                }
                ++shared->in_flight;
                shared->slow_started = true;
                // Still running when in[0] throws; gives up after 1 s, so a correct parallel_map
                // (which waits for it) is not held for long.
                ct::eventually([&] { return shared->map_returned.load(); }, 1s);
                --shared->in_flight;
                return x;
            },
            in);
        ADD_FAILURE() << "parallel_map returned normally, but f(in[0]) threw std::runtime_error(\"first\")";
    } catch (const std::runtime_error& e) {
        in_flight_at_throw = shared->in_flight.load();
        what = e.what();
    }
    shared->map_returned = true;
    EXPECT_EQ(what, "first");
    EXPECT_EQ(in_flight_at_throw, 0)
        << "parallel_map threw f(in[0])'s exception while f(in[1]) was still running. Every task holds references "
        << "to f and to the elements of the input, and both belong to the caller, who may destroy them as soon as "
        << "parallel_map has thrown: a use after free. Remember the first exception, wait for every remaining "
        << "future, then rethrow it.";
}

TEST(ParallelMapHidden, OnAShutDownPoolThrows) {
    cc::ThreadPool pool(2);
    pool.shutdown(true);
    std::atomic<int> calls{0};
    ct::step("parallel_map on a shut-down pool must return (by throwing)");
    EXPECT_THROW(cc::parallel_map(
                     pool,
                     [&calls](int x) {
                         ++calls;
                         return x;
                     },
                     std::vector<int>{1, 2, 3}),
                 std::runtime_error)
        << "parallel_map on a shut-down pool must throw (std::runtime_error, from submit)";
    EXPECT_EQ(calls.load(), 0) << "f was called although the pool is shut down";
}

}  // namespace
