// The results side channel: the only way a verdict leaves a test process.
//
// Why not stdout: student code shares the process and may print "[  PASSED  ]" or close stdout.
// The grader opens a pipe (CT_RESULT_FD) and believes only frames that carry this run's nonces.
// Each frame is one write() of a 4-byte big-endian length and a JSON object, below PIPE_BUF, so
// frames from several threads never interleave.
//
// There are two nonces, and neither is ever in the environment (whose original text stays
// readable in /proc/self/environ): both arrive on a second pipe (CT_NONCE_FD) that ct_main.cpp
// reads from a .preinit_array entry, before any constructor of the executable runs. The verdict
// nonce (frames start, end, done) never leaves ct_main.cpp, where it is kept masked; this file
// sends the other frames (failures, steps, sanitizer reports, handler tracking) with the data
// nonce, which the grader never accepts on a verdict frame. Student code in the same process
// can still tamper with the harness deliberately (docs/dev/architecture.md, "Verdicts").
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ct::detail {

// Called once by main with what the preinit reader found; without it (a binary run by hand)
// frames are dropped.
void init_side_channel(int fd, const std::string& data_nonce);

// Sends one data frame; adds the data nonce. Oversized string fields are truncated to fit one write().
void send_frame(nlohmann::json frame);

// Frames the grader reads as verdicts are refused here: they come only from ct_main.cpp.
bool is_verdict_frame(const nlohmann::json& frame);

// Encodes one frame (length + JSON, strings shortened to fit PIPE_BUF); empty if it cannot fit.
std::string encode_frame(nlohmann::json frame);

// True only in the process that called init_side_channel (not in a gtest death-test child).
bool side_channel_owner();

}  // namespace ct::detail
