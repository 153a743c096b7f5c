#include "result_frames.hpp"

namespace grade {

Frames parse_frames(const std::string& bytes, const std::string& nonce) { return parse_frames(bytes, nonce, nonce); }

Frames parse_frames(const std::string& bytes, const std::string& verdict_nonce, const std::string& data_nonce) {
    Frames frames;
    std::size_t at = 0;
    while (at + 4 <= bytes.size()) {
        const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])); };
        const std::uint32_t length = (byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3);
        at += 4;
        if (length > bytes.size() - at) {
            ++frames.rejected;
            return frames;
        }
        auto frame = nlohmann::json::parse(bytes.substr(at, length), nullptr, false);
        at += length;
        const auto authentic = [&] {
            if (!frame.contains("nonce") || !frame.contains("type") || !frame["type"].is_string()) {
                return false;
            }
            const auto type = frame["type"].get<std::string>();
            const bool verdict = type == "start" || type == "end" || type == "done";
            return frame["nonce"] == verdict_nonce || (!verdict && frame["nonce"] == data_nonce);
        };
        if (frame.is_discarded() || !frame.is_object() || !authentic()) {
            ++frames.rejected;
            continue;
        }
        frames.accepted.push_back(std::move(frame));
    }
    if (at != bytes.size()) {
        ++frames.rejected;
    }
    return frames;
}

}  // namespace grade
