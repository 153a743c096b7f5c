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

TEST(ExplainRapidcheck, TheExplanationFirstThenTheNamedCounterexample) {
    const std::string rc =
        "Falsifiable after 7 tests and 2 shrinks\n\nlong:\n11\n\nint:\n1\n\nt_hidden_test.cpp:7:\n"
        "RC_FAIL(\"secret source\")\n\nn_items is above 10: the explanation in words\n\nLog:\n"
        "n_items = 11, n_threads = 1\n";
    EXPECT_EQ(explain_rapidcheck(rc),
              "n_items is above 10: the explanation in words\n"
              "Counterexample: n_items = 11, n_threads = 1\n"
              "(RapidCheck: falsifiable after 7 tests and 2 shrinks)");
}

TEST(ExplainRapidcheck, WithoutALogTheValuesInOrder) {
    const std::string rc =
        "Falsifiable after 3 tests\n\nstd::vector<int>:\n[1, 2]\n\nbool:\nfalse\n\nx_test.cpp:12:\n"
        "RC_ASSERT(a == b)\n\nExpands to:\n1 == 2\n";
    EXPECT_EQ(explain_rapidcheck(rc),
              "Expands to:\n1 == 2\n"
              "Counterexample (the values the test drew, in order): std::vector<int> [1, 2]; bool false\n"
              "(RapidCheck: falsifiable after 3 tests)");
}

TEST(ExplainRapidcheck, OtherMessagesAreLeftAlone) {
    EXPECT_EQ(explain_rapidcheck("Expected equality of these values"), "Expected equality of these values");
}

}  // namespace
}  // namespace grade
