// The private build tree of one (submission, day): the student's allowlisted files copied in,
// the build directory, and per-test logs. It lives in the grader's cache, never in the student's
// repository, so nothing of the course's private parts ends up there.
//
// Ingest takes only the day's editable files, only regular files (no symlinks, devices, FIFOs or
// directories such as submodules; the day directory itself must not be a link), each under a size
// cap; files are rewritten only when their content changed, so the build recompiles exactly what
// the student edited. Nothing else of the submission is read: tests and build files always come
// from the course bundle, and git is never run in the student's tree (git_repo reads it with libgit2).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "course.hpp"
#include "error.hpp"

namespace grade {

// Held while a workspace is open: a second grader on the same build tree (a second terminal,
// `grade watch` next to `grade day3`) waits for the first instead of rebuilding under it.
struct WorkspaceLock;

struct Workspace {
    std::filesystem::path root;
    std::shared_ptr<const WorkspaceLock> lock;
    std::filesystem::path student() const { return root / "student"; }
    std::filesystem::path build() const { return root / "build"; }
    std::filesystem::path logs() const { return root / "logs"; }
};

struct Ingested {
    std::vector<std::string> present;  // editable files taken
    std::vector<std::string> missing;  // editable files the submission lacks
    std::vector<std::string> rejected; // "bank.cpp: is a symbolic link" ...
    std::vector<std::string> changed;  // files whose content differs from the last ingest
};

// $GRADE_CACHE, else (root) /var/cache/grade, else $XDG_CACHE_HOME/grade, else ~/.cache/grade.
std::filesystem::path cache_root();

// An exclusive flock on `path` (created when missing), held until the last copy is dropped;
// `waiting` is called once, before waiting, when another process holds it.
Result<std::shared_ptr<const WorkspaceLock>> hold_lock(const std::filesystem::path& path,
                                                     const std::function<void()>& waiting);

// Called once when another grader holds the workspace, before waiting for it.
using WaitNotice = std::function<void(const std::filesystem::path& root)>;

// One workspace per (submission directory, day, purpose); purpose separates e.g. "check" runs.
Result<Workspace> open_workspace(const std::filesystem::path& submission, const std::string& day,
                                 const std::string& purpose = "grade", const WaitNotice& waiting = {});

// A named build tree reused by successive submissions (a batch slot): ingest rewrites only the
// files whose content differs, so the next submission recompiles only what differs.
Result<Workspace> open_slot_workspace(const std::string& slot, const std::string& day, const WaitNotice& waiting = {});

Result<Ingested> ingest(const std::filesystem::path& source_day_dir, const DaySpec& day, const Workspace& workspace);

// A name an allowlist may hold: one path component, not "." or "..", no '/' (so never absolute).
bool is_plain_file_name(const std::string& name);

}  // namespace grade

namespace grade {

// Where the last result of a day for a repository is kept (for `grade list`).
std::filesystem::path last_result_path(const std::filesystem::path& repo_root, const std::string& day);

// The directory holding the day directories: `start` or its nearest ancestor that contains one of
// `day_dirs` (a path inside a day directory works too). Nothing when none does.
std::optional<std::filesystem::path> find_repo_root(const std::filesystem::path& start,
                                                    const std::vector<std::string>& day_dirs);

}  // namespace grade
