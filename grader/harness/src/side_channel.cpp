#include "side_channel.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <string>

namespace ct::detail {
namespace {

int g_fd = -1;
pid_t g_owner = 0;
std::string g_nonce;

// PIPE_BUF is 4096 on Linux: one write() of at most that size is atomic on a pipe.
constexpr std::size_t max_frame = 4096;

void shorten_strings(nlohmann::json& frame, std::size_t limit) {
    for (auto& [key, value] : frame.items()) {
        if (value.is_string() && value.get_ref<const std::string&>().size() > limit) {
            auto text = value.get<std::string>().substr(0, limit);
            // Do not cut a UTF-8 sequence in half: the JSON dump would throw on it.
            while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) {
                text.pop_back();
            }
            if (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80) != 0) {
                text.pop_back();
            }
            value = text + " [...]";
        }
    }
}

}  // namespace

void init_side_channel(int fd, const std::string& data_nonce) {
    g_fd = fd;
    g_nonce = data_nonce;
    g_owner = getpid();
}

bool side_channel_owner() { return g_fd >= 0 && getpid() == g_owner; }

bool is_verdict_frame(const nlohmann::json& frame) {
    const auto type = frame.value("type", "");
    return type == "start" || type == "end" || type == "done";
}

std::string encode_frame(nlohmann::json frame) {
    std::string body = frame.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    for (std::size_t limit = 2048; body.size() + 4 > max_frame && limit > 16; limit /= 2) {
        shorten_strings(frame, limit);
        body = frame.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    if (body.size() + 4 > max_frame) {
        return {};
    }
    const auto n = static_cast<std::uint32_t>(body.size());
    std::string bytes(4, '\0');
    bytes[0] = static_cast<char>((n >> 24) & 0xFF);
    bytes[1] = static_cast<char>((n >> 16) & 0xFF);
    bytes[2] = static_cast<char>((n >> 8) & 0xFF);
    bytes[3] = static_cast<char>(n & 0xFF);
    return bytes + body;
}

void send_frame(nlohmann::json frame) {
    if (!side_channel_owner() || is_verdict_frame(frame)) {
        return;
    }
    frame["nonce"] = g_nonce;
    const std::string bytes = encode_frame(std::move(frame));
    if (bytes.empty()) {
        return;
    }
    ssize_t rc = 0;
    do {
        rc = ::write(g_fd, bytes.data(), bytes.size());
    } while (rc < 0 && errno == EINTR);
}

}  // namespace ct::detail
