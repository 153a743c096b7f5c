// Misconception: "after a short read, read the whole size again, just further on" (read(fd,
// buf + got, size) instead of size - got): the read runs past the end of the buffer as soon as
// the pipe holds more than the rest of the frame. The release build may not notice (the bytes
// land in some other object); AddressSanitizer reports the first byte written out of bounds.
// Hidden test for task 2, AddressSanitizer build.
#include <gtest/gtest.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "ct/ct.hpp"
#include "frames.hpp"

namespace {

using Bytes = std::vector<std::byte>;

Bytes payload(std::size_t size, std::uint64_t stream) {
    auto rng = ct::rng(stream);
    Bytes out(size);
    for (auto& b : out) {
        b = static_cast<std::byte>(rng.next() & 1);  // 0/1 only: see frames_hidden_test.cpp
    }
    return out;
}

void write_raw(int fd, const Bytes& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        ASSERT_GT(n, 0) << "write() to the test's own pipe failed";
        done += static_cast<std::size_t>(n);
    }
}

Bytes header_of(std::size_t n) {
    return {std::byte(n >> 24), std::byte(n >> 16), std::byte(n >> 8), std::byte(n)};
}

// The one situation the bug needs, made certain rather than left to the scheduler: recv_frame()
// has read the first half of a frame (the pipe is empty again) when the second half arrives
// together with the whole next frame, in one write of less than PIPE_BUF (so the reader sees all
// of it at once). The pipe then holds more than the rest of the frame being read.
void short_read_then_more_than_the_rest(std::size_t size) {
    const Bytes first = payload(size, 300 + size);
    const Bytes second = payload(size, 301 + size);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::optional<Bytes> got_first;
    std::optional<Bytes> got_second;
    std::string problem;
    {
        std::jthread reader([&] {
            try {
                got_first = cc::recv_frame(fds[0]);
                got_second = cc::recv_frame(fds[0]);
            } catch (const std::exception& e) {
                problem = std::string("recv_frame() threw: ") + e.what();
            }
        });
        Bytes part = header_of(size);
        part.insert(part.end(), first.begin(), first.begin() + static_cast<std::ptrdiff_t>(size / 2));
        write_raw(fds[1], part);
        ct::step("recv_frame() must read the first " + std::to_string(part.size()) + " bytes of a " +
                 std::to_string(size) + "-byte frame that are in the pipe");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        int left = 1;
        while (::ioctl(fds[0], FIONREAD, &left) == 0 && left > 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        Bytes rest(first.begin() + static_cast<std::ptrdiff_t>(size / 2), first.end());
        const Bytes next_header = header_of(size);
        rest.insert(rest.end(), next_header.begin(), next_header.end());
        rest.insert(rest.end(), second.begin(), second.end());
        write_raw(fds[1], rest);
        ::close(fds[1]);
        if (left > 0) {
            problem = "recv_frame() had not read the " + std::to_string(part.size()) + " bytes waiting in the pipe after 10 s";
        }
    }
    ::close(fds[0]);
    ASSERT_TRUE(problem.empty()) << problem;
    EXPECT_TRUE(got_first && *got_first == first) << "a " << size << "-byte frame read in two parts arrived wrong";
    EXPECT_TRUE(got_second && *got_second == second) << "the " << size << "-byte frame after it arrived wrong";
}

TEST(FramesHidden, PartialReadsStayInBoundsUnderAsan) {
    std::signal(SIGPIPE, SIG_IGN);  // a reader that gives up must not end the test process
    for (const std::size_t size : {2, 100, 1000, 2000}) {
        short_read_then_more_than_the_rest(size);
        if (HasFatalFailure()) {
            return;
        }
    }
    // Sizes around the pipe's 64 KiB and around small reads, each frame its own heap block.
    const std::vector<std::size_t> sizes{0, 1, 3, 4, 5, 100, 4095, 4096, 4097, 65535, 65536, 65537, 200000, 7, 0, 300000};
    std::vector<Bytes> frames;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        frames.push_back(payload(sizes[i], 200 + i));
    }
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::vector<Bytes> received;
    std::string problem;
    {
        // The writer sends the frames with send_frame(), the reader drains them with
        // recv_frame(): both sides see partial transfers, and the reader often finds more bytes
        // in the pipe than the rest of the frame it is reading.
        std::jthread writer([&] {
            auto rng = ct::rng(7);
            try {
                for (const auto& frame : frames) {
                    cc::send_frame(fds[1], frame);
                    if (rng.chance(0.3)) {
                        std::this_thread::sleep_for(std::chrono::microseconds(200));
                    }
                }
            } catch (const std::exception& e) {
                problem = std::string("send_frame() threw: ") + e.what();
            }
            ::close(fds[1]);
        });
        ct::step("16 frames of 0 to 300000 bytes through a pipe between two threads must arrive");
        try {
            while (auto frame = cc::recv_frame(fds[0])) {
                received.push_back(std::move(*frame));
                if (received.size() > frames.size()) {
                    break;
                }
            }
        } catch (const std::exception& e) {
            problem += std::string(problem.empty() ? "" : "; ") + "recv_frame() threw: " + e.what();
        }
        ::close(fds[0]);
    }
    ASSERT_TRUE(problem.empty()) << problem;
    ASSERT_EQ(received.size(), frames.size()) << "16 frames were sent, " << received.size() << " arrived";
    for (std::size_t i = 0; i < frames.size(); ++i) {
        EXPECT_TRUE(received[i] == frames[i]) << "frame " << i << " (" << frames[i].size() << " bytes) arrived wrong";
    }
}

}  // namespace
