#include "test_run.hpp"

#include <gtest/gtest.h>

namespace grade {
namespace {

TEST(TestList, ParsesGtestListing) {
    const auto names = parse_test_list(
        "BankAccountPublic.\n  WithdrawsOnce\n  Deposits\nPropHidden.\n  Conserves  # GetParam() = 3\n");
    EXPECT_EQ(names, (std::vector<std::string>{"BankAccountPublic.WithdrawsOnce", "BankAccountPublic.Deposits",
                                               "PropHidden.Conserves"}));
}

TEST(Confirmation, OnlyTimingVerdictsAreConfirmed) {
    TestSpec plain;
    TestSpec timing;
    timing.timing = true;
    EXPECT_TRUE(needs_confirmation(plain, Outcome::timeout));
    EXPECT_FALSE(needs_confirmation(plain, Outcome::deadlock));  // a proven cycle is evidence
    EXPECT_FALSE(needs_confirmation(plain, Outcome::fail));
    EXPECT_FALSE(needs_confirmation(plain, Outcome::sanitizer));
    EXPECT_TRUE(needs_confirmation(timing, Outcome::fail));
    EXPECT_FALSE(needs_confirmation(timing, Outcome::pass));
}

}  // namespace
}  // namespace grade
