#include "git_repo.hpp"

#include <git2.h>

namespace grade {
namespace {

// libgit2 wants one init per process before any call.
struct Library {
    Library() { git_libgit2_init(); }
    ~Library() { git_libgit2_shutdown(); }
};

}  // namespace

std::optional<std::string> head_commit(const std::filesystem::path& path) {
    static Library library;
    git_repository* repo = nullptr;
    if (git_repository_open_ext(&repo, path.c_str(), 0, nullptr) != 0) {
        return std::nullopt;
    }
    std::optional<std::string> result;
    git_oid oid;
    if (git_reference_name_to_id(&oid, repo, "HEAD") == 0) {
        char hex[GIT_OID_HEXSZ + 1] = {};
        git_oid_tostr(hex, sizeof hex, &oid);
        result = hex;
    }
    git_repository_free(repo);
    return result;
}

}  // namespace grade
