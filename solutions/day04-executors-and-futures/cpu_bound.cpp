#include "cpu_bound.hpp"

#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cc {

namespace {

// Calls chunk(t, begin, end) on `threads` threads at once, for contiguous ranges that cover
// [first, last) exactly: the first (last - first) % threads chunks get one item more, so no item
// is dropped and none is counted twice, also when there are fewer items than threads.
template <class Chunk>
void split(std::uint64_t first, std::uint64_t last, std::size_t threads, Chunk chunk) {
    const std::uint64_t items = last > first ? last - first : 0;
    const std::uint64_t base = items / threads;
    const std::uint64_t extra = items % threads;
    std::vector<std::jthread> workers;
    workers.reserve(threads);
    std::uint64_t begin = first;
    for (std::size_t t = 0; t < threads; ++t) {
        const std::uint64_t end = begin + base + (t < extra ? 1 : 0);
        workers.emplace_back([&chunk, begin, end] { chunk(begin, end); });
        begin = end;
    }
}  // all threads are started before the first join (the jthreads' destructors)

}  // namespace

unsigned __int128 sum_of_squares(std::uint64_t n, std::size_t threads) {
    if (threads == 0) {
        throw std::invalid_argument("sum_of_squares needs at least one thread");
    }
    unsigned __int128 total = 0;
    std::mutex total_mutex;
    split(0, n, threads, [&](std::uint64_t begin, std::uint64_t end) {
        // Each thread sums into its own local: the loop touches no shared memory, so the threads
        // really run side by side. 128 bits from the start: i * i alone passes 2^64 for i >= 2^32,
        // and the sum passes 2^64 already for n around 3.8 million.
        unsigned __int128 partial = 0;
        for (std::uint64_t i = begin; i < end; ++i) {
            partial += static_cast<unsigned __int128>(i) * i;
        }
        std::scoped_lock lock(total_mutex);  // the threads add into one total: a write they share
        total += partial;
    });
    return total;
}

boost::multiprecision::cpp_int parallel_factorial(unsigned n, std::size_t threads) {
    if (threads == 0) {
        throw std::invalid_argument("parallel_factorial needs at least one thread");
    }
    boost::multiprecision::cpp_int product = 1;
    std::mutex product_mutex;
    split(2, std::uint64_t{n} + 1, threads, [&](std::uint64_t begin, std::uint64_t end) {
        boost::multiprecision::cpp_int partial = 1;
        for (std::uint64_t i = begin; i < end; ++i) {
            partial *= i;
        }
        std::scoped_lock lock(product_mutex);
        product *= partial;  // multiplication commutes: the order the chunks finish in does not matter
    });
    return product;
}

}  // namespace cc
