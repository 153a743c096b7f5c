#include "edit_distance.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace grade {
namespace {

TEST(EditDistance, CountsSingleEdits) {
    EXPECT_EQ(edit_distance("day3", "day3"), 0u);
    EXPECT_EQ(edit_distance("day3", "day4"), 1u);
    EXPECT_EQ(edit_distance("chek", "check"), 1u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(EditDistance, ClosestPrefersTheNearest) {
    const std::vector<std::string> days = {"threads-and-races", "deadlock-and-reentrancy", "event-loop"};
    const auto near = closest("threads-and-race", days);
    ASSERT_FALSE(near.empty());
    EXPECT_EQ(near.front(), "threads-and-races");
    EXPECT_TRUE(closest("zzzzzzzzzzzz", days).empty());
}

RC_GTEST_PROP(EditDistance, IsSymmetricAndBoundedByTheLongerLength, (const std::string& a, const std::string& b)) {
    const auto d = edit_distance(a, b);
    RC_ASSERT(d == edit_distance(b, a));
    RC_ASSERT(d <= std::max(a.size(), b.size()));
    RC_ASSERT((d == 0) == (a == b));
}

}  // namespace
}  // namespace grade
