// Small helpers the modules share.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace grade {

// The whole file, or nothing when it cannot be opened.
std::optional<std::string> read_file(const std::filesystem::path& path);

// Replaces every occurrence of `from` in `text` with `to` (nothing when `from` is empty).
void replace_all(std::string& text, const std::string& from, const std::string& to);

// An executable `program` is in one of the directories of $PATH.
bool on_path(const std::string& program);

}  // namespace grade
