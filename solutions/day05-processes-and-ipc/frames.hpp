// Task 2: byte streams and frames on a file descriptor (Python's Connection.send_bytes and
// recv_bytes on a multiprocessing.Pipe).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

namespace cc {

// Writes all of data to fd. A write() may take only part of it (a pipe holds 64 KiB; a signal
// can cut a write short) or fail with EINTR; both mean "go on". Other errors throw
// std::system_error.
void send_all(int fd, std::span<const std::byte> data);

// Reads exactly out.size() bytes into out. Returns false if the stream ended before the first
// byte (a clean end), throws std::runtime_error if it ended after some but not all of them, and
// std::system_error on a read error. Short reads and EINTR mean "go on".
bool recv_exact(int fd, std::span<std::byte> out);

// One frame: the payload's length as 4 bytes, most significant byte first (big-endian), then the
// payload. Payloads of 4 GiB or more throw std::length_error.
void send_frame(int fd, std::span<const std::byte> payload);

// The next frame's payload, or std::nullopt if the stream ended cleanly before a frame began.
// A stream that ends inside a frame (in its length or its payload) throws std::runtime_error.
std::optional<std::vector<std::byte>> recv_frame(int fd);

}  // namespace cc
