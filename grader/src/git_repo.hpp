// Git, through libgit2 only (the grader never runs the git program, least of all in a
// student-controlled tree, where a crafted config could make it run commands).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"

namespace grade {

// The commit HEAD points at in the repository containing `path`, or nothing when `path` is not in
// a repository (or HEAD is unborn).
std::optional<std::string> head_commit(const std::filesystem::path& path);

struct FetchedCommit {
    std::string sha;
    std::string branch;             // the branch fetched (the remote's default when none was asked)
    std::int64_t claimed_time = 0;  // the committer date: forgeable, shown only as "claimed"
    std::string summary;            // first line of the message
};

// Clones (first time) or fetches `url` into the bare mirror `mirror`, and returns the tip of
// `branch` (empty: the remote's default branch). Objects once fetched stay in the mirror, so a
// frozen commit stays gradable after the student rewrites history. Gives up after `limit`.
Result<FetchedCommit> fetch_mirror(const std::filesystem::path& mirror, const std::string& url,
                                   const std::string& branch, std::chrono::seconds limit);

// Whether `later` is `earlier` or one of its descendants (history was not rewritten in between).
Result<bool> descends_from(const std::filesystem::path& mirror, const std::string& later, const std::string& earlier);

struct ExportedFile {
    std::string name;
    std::string content;
};

struct Exported {
    bool day_dir_exists = false;
    std::vector<ExportedFile> files;    // the allowlisted regular files found
    std::vector<std::string> rejected;  // "day01/x.cpp: is a symbolic link in the commit; ..."
};

// The allowlisted files of `day_dir` in commit `sha`: regular blobs under `max_bytes` only;
// symlinks, submodules and directories are refused with a reason. Nothing is checked out.
Result<Exported> export_day_files(const std::filesystem::path& mirror, const std::string& sha,
                                  const std::string& day_dir, const std::vector<std::string>& files, long max_bytes);

// A new repository in `dir` holding every file under it, with one commit on branch main.
Result<std::string> init_with_first_commit(const std::filesystem::path& dir, const std::string& message);

// The repository containing `start`: its work tree root.
Result<std::filesystem::path> work_tree_root(const std::filesystem::path& start);

// Paths (relative to the work tree) that differ between the merge base of `base` and HEAD, and the
// work tree with its index: committed and uncommitted changes of a branch alike.
Result<std::vector<std::string>> changed_paths(const std::filesystem::path& work_tree, const std::string& base);

}  // namespace grade
