// Public tests for task 2 (frames over a pipe). Run them with `grade day5`; the hidden tests go
// further.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ct/ct.hpp"
#include "frames.hpp"

namespace {

std::vector<std::byte> bytes(const std::string& text) {
    std::vector<std::byte> out;
    for (const char c : text) {
        out.push_back(static_cast<std::byte>(c));
    }
    return out;
}

TEST(FramesPublic, FramesRoundTripThroughAPipe) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ct::step("send_frame() of three small frames into an empty pipe must return");
    cc::send_frame(fds[1], bytes("hello"));
    cc::send_frame(fds[1], bytes(""));
    cc::send_frame(fds[1], bytes("world"));
    ::close(fds[1]);
    ct::step("recv_frame() of three frames that are in the pipe must return");
    const auto first = cc::recv_frame(fds[0]);
    const auto second = cc::recv_frame(fds[0]);
    const auto third = cc::recv_frame(fds[0]);
    const auto end = cc::recv_frame(fds[0]);
    ::close(fds[0]);
    EXPECT_EQ(first, std::optional(bytes("hello"))) << "the first frame sent was \"hello\"";
    EXPECT_EQ(second, std::optional(bytes(""))) << "an empty frame is a frame (an empty vector), not the end";
    EXPECT_EQ(third, std::optional(bytes("world"))) << "the third frame sent was \"world\"";
    EXPECT_EQ(end, std::nullopt) << "after the last frame the writer closed the pipe: recv_frame must say so";
}

TEST(FramesPublic, CleanEndAndCutFrame) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[1]);
    ct::step("recv_exact() and recv_frame() on a pipe whose writer has closed must return");
    std::array<std::byte, 8> buffer{};
    EXPECT_FALSE(cc::recv_exact(fds[0], buffer)) << "recv_exact on a stream that ended before any byte returns false";
    EXPECT_EQ(cc::recv_frame(fds[0]), std::nullopt) << "recv_frame on a stream that ended cleanly returns nullopt";
    ::close(fds[0]);

    // A frame that promises 3 bytes and delivers 2 before the writer closes.
    ASSERT_EQ(::pipe(fds), 0);
    const std::array<std::byte, 6> cut{std::byte{0}, std::byte{0}, std::byte{0}, std::byte{3}, std::byte{'a'},
                                       std::byte{'b'}};
    ASSERT_EQ(::write(fds[1], cut.data(), cut.size()), static_cast<ssize_t>(cut.size()));
    ::close(fds[1]);
    ct::step("recv_frame() on a frame cut short by the end of the stream must return or throw");
    EXPECT_THROW(cc::recv_frame(fds[0]), std::runtime_error)
        << "the stream ended 1 byte before the end of a 3-byte frame: that is an error, not a clean end";
    ::close(fds[0]);
}

}  // namespace
