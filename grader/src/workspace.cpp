#include "workspace.hpp"
#include "util.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

namespace grade {
namespace fs = std::filesystem;

fs::path cache_root() {
    if (const char* env = std::getenv("GRADE_CACHE"); env != nullptr && *env != '\0') {
        return env;
    }
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
        return fs::path(xdg) / "grade";
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        return fs::path(home) / ".cache" / "grade";
    }
    return fs::temp_directory_path() / "grade-cache";
}

Result<Workspace> open_workspace(const fs::path& submission, const std::string& day, const std::string& purpose) {
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(submission, ec).string();
    const auto key = fmt::format("{}-{}-{:012x}", purpose, day, std::hash<std::string>{}(canonical) & 0xFFFFFFFFFFFFULL);
    Workspace workspace{cache_root() / "work" / key};
    for (const auto& dir : {workspace.student(), workspace.build(), workspace.logs()}) {
        fs::create_directories(dir, ec);
        if (ec) {
            return fail("cannot create the build directory {}: {}", dir.string(), ec.message());
        }
    }
    return workspace;
}

Result<Ingested> ingest(const fs::path& source_day_dir, const DaySpec& day, const Workspace& workspace) {
    Ingested result;
    std::error_code ec;
    for (const auto& name : day.files) {
        const fs::path source = source_day_dir / name;
        const fs::path target = workspace.student() / name;
        struct stat info {};
        if (::lstat(source.c_str(), &info) != 0) {
            result.missing.push_back(name);
            fs::remove(target, ec);
            continue;
        }
        std::string reason;
        if (S_ISLNK(info.st_mode)) {
            reason = "is a symbolic link; only regular files are graded";
        } else if (!S_ISREG(info.st_mode)) {
            reason = "is not a regular file";
        } else if (info.st_size > day.limits.file_bytes) {
            reason = fmt::format("is {} bytes, over the {} byte limit", info.st_size, day.limits.file_bytes);
        }
        if (!reason.empty()) {
            result.rejected.push_back(fmt::format("{}/{}: {}", day.dir, name, reason));
            result.missing.push_back(name);
            fs::remove(target, ec);
            continue;
        }
        const std::string content = read_file(source).value_or("");
        if (read_file(target) != content) {
            std::ofstream out(target, std::ios::binary | std::ios::trunc);
            out << content;
            if (!out) {
                return fail("cannot write {}", target.string());
            }
            result.changed.push_back(name);
        }
        result.present.push_back(name);
    }
    // Anything else in the private copy is stale (a file the yaml no longer lists).
    for (const auto& entry : fs::directory_iterator(workspace.student(), ec)) {
        const auto name = entry.path().filename().string();
        if (std::find(result.present.begin(), result.present.end(), name) == result.present.end()) {
            fs::remove_all(entry.path(), ec);
        }
    }
    return result;
}

}  // namespace grade

namespace grade {

std::filesystem::path last_result_path(const std::filesystem::path& repo_root, const std::string& day) {
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(repo_root, ec).string();
    return cache_root() / "last" / fmt::format("{:012x}", std::hash<std::string>{}(canonical) & 0xFFFFFFFFFFFFULL) /
           (day + ".json");
}

std::optional<std::filesystem::path> find_repo_root(const std::filesystem::path& start,
                                                    const std::vector<std::string>& day_dirs) {
    std::error_code ec;
    auto dir = std::filesystem::weakly_canonical(start, ec);
    while (!dir.empty()) {
        for (const auto& day : day_dirs) {
            if (dir.filename() == day || std::filesystem::is_directory(dir / day)) {
                return dir.filename() == day ? dir.parent_path() : dir;
            }
        }
        if (dir == dir.parent_path()) {
            break;
        }
        dir = dir.parent_path();
    }
    return std::nullopt;
}

}  // namespace grade
