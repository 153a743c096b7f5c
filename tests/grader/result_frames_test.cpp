#include "result_frames.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace grade {
namespace {

std::string frame(const std::string& body) {
    const auto n = static_cast<std::uint32_t>(body.size());
    std::string out;
    out += static_cast<char>(n >> 24);
    out += static_cast<char>((n >> 16) & 0xFF);
    out += static_cast<char>((n >> 8) & 0xFF);
    out += static_cast<char>(n & 0xFF);
    return out + body;
}

TEST(ResultFrames, AcceptsOnlyThisRunsNonce) {
    const std::string bytes = frame(R"({"type":"start","nonce":"n1"})") + frame(R"({"type":"end","nonce":"guess"})") +
                              frame(R"({"type":"done","nonce":"n1"})");
    const auto frames = parse_frames(bytes, "n1");
    ASSERT_EQ(frames.accepted.size(), 2u);
    EXPECT_EQ(frames.accepted[0]["type"], "start");
    EXPECT_EQ(frames.accepted[1]["type"], "done");
    EXPECT_EQ(frames.rejected, 1);
}

TEST(ResultFrames, GarbageAndTruncationAreCountedNotBelieved) {
    const auto frames = parse_frames(frame("not json") + frame(R"({"type":"done","nonce":"n"})").substr(0, 10), "n");
    EXPECT_TRUE(frames.accepted.empty());
    EXPECT_EQ(frames.rejected, 2);
}

TEST(ResultFrames, VerdictFramesNeedTheVerdictNonce) {
    // The data nonce is known to code the student can call; it never makes a verdict.
    const std::string bytes = frame(R"({"type":"end","passed":true,"nonce":"data"})") +
                              frame(R"({"type":"done","nonce":"data"})") +
                              frame(R"({"type":"failure","message":"m","nonce":"data"})") +
                              frame(R"({"type":"end","passed":false,"nonce":"verdict"})");
    const auto frames = parse_frames(bytes, "verdict", "data");
    ASSERT_EQ(frames.accepted.size(), 2u);
    EXPECT_EQ(frames.accepted[0]["type"], "failure");
    EXPECT_EQ(frames.accepted[1]["type"], "end");
    EXPECT_EQ(frames.accepted[1]["passed"], false);
    EXPECT_EQ(frames.rejected, 2);
}

RC_GTEST_PROP(ResultFrames, ArbitraryBytesNeverYieldAFrameWithoutTheNonce, (const std::string& noise)) {
    const auto frames = parse_frames(noise, "secret-nonce");
    RC_ASSERT(frames.accepted.empty());
}

}  // namespace
}  // namespace grade
