// Misconception: "the bookkeeping of a pool is simple enough to get right without checking" (an
// index past the end of the results, a reply read into a buffer of the wrong size, a pool or a
// worker record freed while still in use, a job's exception text copied past its end). Both start
// methods, a job that throws and inputs of many sizes, under AddressSanitizer in the pool's process
// (the workers end with _exit, so only the pool's process is checked for leaks). Hidden test for
// task 4, AddressSanitizer build.
#include <gtest/gtest.h>

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ct/ct.hpp"
#include "process_pool.hpp"

namespace {

using Bytes = std::vector<std::byte>;

Bytes sized_job(std::span<const std::byte> input) {
    if (!input.empty() && input[0] == std::byte{0xEE}) {
        throw std::runtime_error(std::string(300, 'e'));  // a long what(): more than a small-string buffer
    }
    Bytes out(input.rbegin(), input.rend());
    out.resize(out.size() + input.size() % 7, std::byte{0x5A});  // results of other sizes than the inputs
    return out;
}

Bytes expected(const Bytes& input) {
    Bytes out(input.rbegin(), input.rend());
    out.resize(out.size() + input.size() % 7, std::byte{0x5A});
    return out;
}

TEST(ProcessPoolHidden, RunsCleanUnderAsan) {
    cc::prepare_forkserver();  // first thing: this test's process has one thread here
    auto rng = ct::rng(11);
    std::vector<Bytes> inputs;
    for (const std::size_t size : {0UL, 1UL, 6UL, 7UL, 100UL, 4096UL, 65536UL, 65537UL, 300000UL, 3UL, 0UL}) {
        Bytes input(size);
        for (auto& b : input) {
            b = static_cast<std::byte>(rng.between(0, 0xE0));
        }
        inputs.push_back(std::move(input));
    }
    std::vector<Bytes> wanted;
    for (const auto& input : inputs) {
        wanted.push_back(expected(input));
    }
    for (const auto method : {cc::StartMethod::fork, cc::StartMethod::forkserver}) {
        const char* name = method == cc::StartMethod::fork ? "fork" : "forkserver";
        ct::step(std::string("a ProcessPool of 3 workers (") + name + ") must map 11 inputs twice and shut down");
        cc::ProcessPool pool(3, sized_job, method);
        EXPECT_EQ(pool.map(inputs), wanted) << name << ": map() returned wrong results";
        EXPECT_TRUE(pool.map({}).empty()) << name << ": map() of no inputs";
        auto failing = inputs;
        failing[4][0] = std::byte{0xEE};
        EXPECT_THROW(pool.map(failing), std::runtime_error) << name << ": a job that throws";
        EXPECT_EQ(pool.map(inputs), wanted) << name << ": map() after a job threw";
    }
}

}  // namespace
