// Public tests for task 4 (sum_of_squares, parallel_factorial). Run them with `grade day4`; the
// hidden tests go further.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "cpu_bound.hpp"
#include "ct/ct.hpp"

namespace {

// unsigned __int128 has no operator<<.
std::string decimal(unsigned __int128 v) {
    std::string digits;
    do {
        digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    } while (v != 0);
    return digits;
}

TEST(CpuBoundPublic, SumOfSquaresSmall) {
    ct::step("sum_of_squares on small n must return");
    for (std::size_t threads = 1; threads <= 5; ++threads) {
        EXPECT_EQ(decimal(cc::sum_of_squares(0, threads)), "0") << "threads = " << threads;
        EXPECT_EQ(decimal(cc::sum_of_squares(1, threads)), "0") << "threads = " << threads << " (0^2 only)";
        EXPECT_EQ(decimal(cc::sum_of_squares(2, threads)), "1") << "threads = " << threads;
        EXPECT_EQ(decimal(cc::sum_of_squares(10, threads)), "285") << "threads = " << threads;
        EXPECT_EQ(decimal(cc::sum_of_squares(1000, threads)), "332833500") << "threads = " << threads;
    }
}

TEST(CpuBoundPublic, SumOfSquaresOfAMillion) {
    ct::step("sum_of_squares(1000000, 4) must return");
    EXPECT_EQ(decimal(cc::sum_of_squares(1'000'000, 4)), "333332833333500000");
}

TEST(CpuBoundPublic, FactorialSmall) {
    ct::step("parallel_factorial on small n must return");
    for (std::size_t threads : {1u, 3u, 8u}) {
        EXPECT_EQ(cc::parallel_factorial(0, threads), 1) << "0! = 1 (threads = " << threads << ")";
        EXPECT_EQ(cc::parallel_factorial(1, threads), 1) << "threads = " << threads;
        EXPECT_EQ(cc::parallel_factorial(5, threads), 120) << "threads = " << threads;
        EXPECT_EQ(cc::parallel_factorial(25, threads).str(), "15511210043330985984000000")
            << "25! is larger than 2^64 (threads = " << threads << ")";
    }
}

}  // namespace
