// Public tests for task 2 (parallel_map). Run them with `grade day4`; the hidden tests go further.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "ct/ct.hpp"
#include "parallel_map.hpp"
#include "thread_pool.hpp"

namespace {

TEST(ParallelMapPublic, KeepsInputOrder) {
    cc::ThreadPool pool(3);
    std::vector<int> in;
    for (int i = 0; i < 100; ++i) {
        in.push_back(i);
    }
    ct::step("parallel_map over 100 elements on a 3-worker pool must return");
    const std::vector<long> out = cc::parallel_map(pool, [](int x) { return static_cast<long>(x) * x; }, in);
    ASSERT_EQ(out.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        EXPECT_EQ(out[i], static_cast<long>(i * i)) << "result " << i << " belongs to another input (or is wrong)";
    }
    EXPECT_TRUE(cc::parallel_map(pool, [](int x) { return x; }, std::vector<int>{}).empty());
}

TEST(ParallelMapPublic, RethrowsTheException) {
    cc::ThreadPool pool(2);
    const std::vector<int> in{0, 1, 2, 3, 4, 5, 6, 7};
    ct::step("parallel_map with a throwing call must return (by throwing)");
    try {
        cc::parallel_map(pool,
                         [](int x) {
                             if (x == 5) {
                                 throw std::runtime_error("bad 5");
                             }
                             return std::to_string(x);
                         },
                         in);
        FAIL() << "parallel_map returned normally, but f(5) threw std::runtime_error(\"bad 5\")";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "bad 5");
    }
}

}  // namespace
