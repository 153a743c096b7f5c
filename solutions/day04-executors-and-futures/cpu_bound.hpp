// Task 4: CPU-bound work split over threads (what Python's GIL keeps threads from speeding up).
#pragma once

#include <cstddef>
#include <cstdint>

#include <boost/multiprecision/cpp_int.hpp>

namespace cc {

// 0^2 + 1^2 + ... + (n-1)^2, computed by the loop, split into `threads` chunks that run at the
// same time. Exact for every n whose sum fits in 128 bits (n = 10^7 gives 333333283333335000000,
// more than 2^64). threads == 0 -> std::invalid_argument.
unsigned __int128 sum_of_squares(std::uint64_t n, std::size_t threads);

// n! = 1 * 2 * ... * n (0! = 1), the product split into `threads` chunks that run at the same
// time. threads == 0 -> std::invalid_argument.
boost::multiprecision::cpp_int parallel_factorial(unsigned n, std::size_t threads);

}  // namespace cc
