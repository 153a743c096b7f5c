// Writes a file so that a reader sees the old content or the new, never half of it: a temporary
// file in the same directory, fsync, then rename (grader-design §3).
#pragma once

#include <filesystem>
#include <string>

#include "error.hpp"

namespace grade {

Result<void> write_atomic(const std::filesystem::path& path, const std::string& content);

// Appends one line and fsyncs: a journal of finished tests survives a crash of the grader.
Result<void> append_line_durable(const std::filesystem::path& path, const std::string& line);

}  // namespace grade
