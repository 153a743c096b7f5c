// Runs the submission's attack(): whatever it achieved is the failure message.
#include <gtest/gtest.h>

#include "attack.hpp"

TEST(Hostile, Attack) {
    const std::string what = hostile::attack();
    EXPECT_EQ(what, "") << what;
}

TEST(HostileAsan, Attack) {
    const std::string what = hostile::attack();
    EXPECT_EQ(what, "") << what;
}
