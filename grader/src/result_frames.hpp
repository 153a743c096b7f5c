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

}  // namespace grade
