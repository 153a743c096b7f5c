// Sanitizer reports noted by the runtime hooks, handed to the side channel at the end of a test.
//
// The hooks run inside the sanitizer runtime, where allocating or locking is unsafe, so noting a
// report only copies a short kind string into a fixed slot with an atomic index.
#pragma once

#include <string>
#include <vector>

namespace ct::detail {

void note_sanitizer_report(const char* tool, const char* kind);
std::vector<std::string> take_sanitizer_reports();

}  // namespace ct::detail
