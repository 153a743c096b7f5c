#include "frames.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>

namespace cc {

void send_all(int fd, std::span<const std::byte> data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;  // a signal arrived before anything was written: nothing happened
            }
            throw std::system_error(errno, std::generic_category(), "write");
        }
        // A short write is normal: the pipe was full and a signal ended the wait, for example.
        data = data.subspan(static_cast<std::size_t>(n));
    }
}

bool recv_exact(int fd, std::span<std::byte> out) {
    std::size_t got = 0;
    while (got < out.size()) {
        const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw std::system_error(errno, std::generic_category(), "read");
        }
        if (n == 0) {
            if (got == 0) {
                return false;  // the writer closed between two messages: a clean end
            }
            throw std::runtime_error("the stream ended after " + std::to_string(got) + " of " +
                                     std::to_string(out.size()) + " bytes");
        }
        got += static_cast<std::size_t>(n);  // a read returns what is there now, maybe less
    }
    return true;
}

void send_frame(int fd, std::span<const std::byte> payload) {
    if (payload.size() > std::numeric_limits<std::uint32_t>::max()) {
        throw std::length_error("send_frame: a frame holds less than 4 GiB");
    }
    // Big-endian, byte by byte: the same bytes on every machine, whatever its own byte order.
    const auto n = static_cast<std::uint32_t>(payload.size());
    const std::array<std::byte, 4> header{std::byte(n >> 24), std::byte(n >> 16), std::byte(n >> 8), std::byte(n)};
    send_all(fd, header);
    send_all(fd, payload);
}

std::optional<std::vector<std::byte>> recv_frame(int fd) {
    std::array<std::byte, 4> header{};
    if (!recv_exact(fd, header)) {
        return std::nullopt;
    }
    const std::uint32_t n = std::to_integer<std::uint32_t>(header[0]) << 24 |
                            std::to_integer<std::uint32_t>(header[1]) << 16 |
                            std::to_integer<std::uint32_t>(header[2]) << 8 | std::to_integer<std::uint32_t>(header[3]);
    std::vector<std::byte> payload(n);
    // An end right after the length is not a clean end: the frame was promised and is missing.
    if (!recv_exact(fd, payload) && n > 0) {
        throw std::runtime_error("the stream ended after a frame's length, before its " + std::to_string(n) +
                                 " bytes of payload");
    }
    return payload;
}

}  // namespace cc
