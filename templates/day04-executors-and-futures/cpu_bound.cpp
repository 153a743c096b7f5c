#include "cpu_bound.hpp"

#include <stdexcept>

namespace cc {

unsigned __int128 sum_of_squares(std::uint64_t n, std::size_t threads) {
    // TODO(student): split [0, n) into `threads` contiguous chunks (mind n % threads and n <
    // threads), sum each chunk's squares on its own thread into a local 128-bit partial, add the
    // partials into the result without a data race, and join every thread.
    (void)n;
    (void)threads;
    return 0;
}

boost::multiprecision::cpp_int parallel_factorial(unsigned n, std::size_t threads) {
    // TODO(student): the same shape: chunks of [2, n], a product per chunk, then the product of
    // the chunks' products.
    (void)n;
    (void)threads;
    return 0;
}

}  // namespace cc
