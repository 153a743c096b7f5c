// Git, through libgit2 only (the grader never runs the git program, least of all in a
// student-controlled tree, where a crafted config could make it run commands).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace grade {

// The commit HEAD points at in the repository containing `path`, or nothing when `path` is not in
// a repository (or HEAD is unborn).
std::optional<std::string> head_commit(const std::filesystem::path& path);

}  // namespace grade
