// Reads the results side channel written by the harness (grader/harness/src/side_channel.cpp):
// 4-byte big-endian length + JSON object per frame. Frames without this run's nonce, malformed
// frames and a truncated tail are dropped and counted: whatever student code writes to the pipe is
// data, never a verdict.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace grade {

struct Frames {
    std::vector<nlohmann::json> accepted;
    int rejected = 0;  // wrong nonce, malformed, or truncated
};

Frames parse_frames(const std::string& bytes, const std::string& nonce);

// The harness's two nonces (side_channel.hpp): start, end and done count only with the verdict
// nonce, which never leaves the harness's main; every other frame may carry either. A verdict
// frame with the data nonce is a forgery and is rejected.
Frames parse_frames(const std::string& bytes, const std::string& verdict_nonce, const std::string& data_nonce);

}  // namespace grade
