// The results side channel: the only way a verdict leaves a test process.
//
// Why not stdout: student code shares the process and may print "[  PASSED  ]" or close stdout.
// The grader opens a pipe, passes its write end as CT_RESULT_FD with a fresh nonce in CT_NONCE,
// and believes only frames that carry that nonce. Each frame is one write() of a 4-byte
// big-endian length and a JSON object, below PIPE_BUF, so frames from several threads never
// interleave. Both variables are removed from the environment before any test runs.
#pragma once

#include <nlohmann/json.hpp>

namespace ct::detail {

// Reads and clears CT_RESULT_FD / CT_NONCE. Without them (a binary run by hand) frames are dropped.
void init_side_channel();

// Sends one frame; adds the nonce. Oversized string fields are truncated to fit one write().
void send_frame(nlohmann::json frame);

// True only in the process that called init_side_channel (not in a gtest death-test child).
bool side_channel_owner();

}  // namespace ct::detail
