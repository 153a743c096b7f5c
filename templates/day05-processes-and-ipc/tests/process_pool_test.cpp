// Public tests for task 4 (ProcessPool). Run them with `grade day5`; the hidden tests go further.
#include <gtest/gtest.h>

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ct/ct.hpp"
#include "process_pool.hpp"

namespace {

std::vector<std::byte> bytes(const std::string& text) {
    std::vector<std::byte> out;
    for (const char c : text) {
        out.push_back(static_cast<std::byte>(c));
    }
    return out;
}

// The job: the input backwards, then '!'. A plain function, as ProcessPool::Job requires.
std::vector<std::byte> reverse_and_shout(std::span<const std::byte> input) {
    std::vector<std::byte> out(input.rbegin(), input.rend());
    out.push_back(static_cast<std::byte>('!'));
    return out;
}

TEST(ProcessPoolPublic, MapKeepsInputOrder) {
    std::vector<std::vector<std::byte>> inputs;
    std::vector<std::vector<std::byte>> expected;
    for (int i = 0; i < 12; ++i) {
        const std::string text = "input " + std::to_string(i);
        inputs.push_back(bytes(text));
        expected.push_back(bytes(std::string(text.rbegin(), text.rend()) + "!"));
    }
    ct::step("a ProcessPool of 3 workers must map 12 inputs and shut down");
    cc::ProcessPool pool(3, reverse_and_shout);
    const auto results = pool.map(inputs);
    EXPECT_EQ(results, expected) << "map() must return job(inputs[i]) at index i for every i";
}

TEST(ProcessPoolPublic, EmptyInputsAndBadArguments) {
    EXPECT_THROW(cc::ProcessPool(0, reverse_and_shout), std::invalid_argument) << "a pool of 0 workers is an error";
    EXPECT_THROW(cc::ProcessPool(2, nullptr), std::invalid_argument) << "a pool without a job is an error";
    ct::step("a ProcessPool of 2 workers must map no inputs and shut down");
    cc::ProcessPool pool(2, reverse_and_shout);
    EXPECT_TRUE(pool.map({}).empty()) << "map() of no inputs returns no results";
    EXPECT_EQ(pool.map({bytes("ab")}), std::vector<std::vector<std::byte>>{bytes("ba!")}) << "map() of one input";
}

}  // namespace
