// A hidden test whose source must never reach a report: CANARY-HIDDEN-5d1e7a93c2
// (the corpus greps every report for that word).
#include <gtest/gtest.h>

#include "attack.hpp"

TEST(HostileHidden, Canary) {
    EXPECT_EQ(hostile::answer(), 42) << "the answer is 42";
}
