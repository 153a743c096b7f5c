#include "git_repo.hpp"

#include <git2.h>

#include <memory>

namespace grade {
namespace fs = std::filesystem;
namespace {

// libgit2 wants one init per process before any call.
void ensure_library() {
    struct Library {
        Library() { git_libgit2_init(); }
        ~Library() { git_libgit2_shutdown(); }
    };
    static Library library;
}

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
using Repository = std::unique_ptr<git_repository, Deleter<git_repository, git_repository_free>>;
using Remote = std::unique_ptr<git_remote, Deleter<git_remote, git_remote_free>>;
using Commit = std::unique_ptr<git_commit, Deleter<git_commit, git_commit_free>>;
using Tree = std::unique_ptr<git_tree, Deleter<git_tree, git_tree_free>>;
using TreeEntry = std::unique_ptr<git_tree_entry, Deleter<git_tree_entry, git_tree_entry_free>>;
using Blob = std::unique_ptr<git_blob, Deleter<git_blob, git_blob_free>>;
using Index = std::unique_ptr<git_index, Deleter<git_index, git_index_free>>;
using Signature = std::unique_ptr<git_signature, Deleter<git_signature, git_signature_free>>;
using Diff = std::unique_ptr<git_diff, Deleter<git_diff, git_diff_free>>;
using Object = std::unique_ptr<git_object, Deleter<git_object, git_object_free>>;

std::string last_error() {
    const git_error* e = git_error_last();
    return e != nullptr && e->message != nullptr ? e->message : "unknown libgit2 error";
}

std::string hex(const git_oid& oid) {
    char text[GIT_OID_HEXSZ + 1] = {};
    git_oid_tostr(text, sizeof text, &oid);
    return text;
}

Result<Repository> open(const fs::path& path) {
    ensure_library();
    git_repository* repo = nullptr;
    if (git_repository_open_ext(&repo, path.c_str(), 0, nullptr) != 0) {
        return fail("{} is not a git repository: {}", path.string(), last_error());
    }
    return Repository(repo);
}

Result<Commit> lookup_commit(git_repository* repo, const std::string& sha) {
    git_oid oid;
    git_commit* commit = nullptr;
    if (git_oid_fromstr(&oid, sha.c_str()) != 0 || git_commit_lookup(&commit, repo, &oid) != 0) {
        return fail("commit {} is not in the repository: {}", sha, last_error());
    }
    return Commit(commit);
}

struct FetchDeadline {
    std::chrono::steady_clock::time_point until;
};

int check_deadline(void* payload) {
    const auto* deadline = static_cast<FetchDeadline*>(payload);
    return std::chrono::steady_clock::now() > deadline->until ? -1 : 0;
}

}  // namespace

std::optional<std::string> head_commit(const fs::path& path) {
    auto repo = open(path);
    if (!repo) {
        return std::nullopt;
    }
    git_oid oid;
    if (git_reference_name_to_id(&oid, repo->get(), "HEAD") != 0) {
        return std::nullopt;
    }
    return hex(oid);
}

Result<FetchedCommit> fetch_mirror(const fs::path& mirror, const std::string& url, const std::string& branch,
                                   std::chrono::seconds limit) {
    ensure_library();
    if (url.find("://") == std::string::npos && url.find('@') == std::string::npos && !fs::exists(url)) {
        return fail("no repository at {}: no such directory", url);
    }
    git_repository* raw = nullptr;
    if (git_repository_open_bare(&raw, mirror.c_str()) != 0 && git_repository_init(&raw, mirror.c_str(), 1) != 0) {
        return fail("cannot create the mirror {}: {}", mirror.string(), last_error());
    }
    Repository repo(raw);
    // An in-memory remote with explicit refspecs: nothing is written to the mirror's config, and
    // libgit2 1.5's config regex path (which leaks its pcre2 match data, libgit2 PR #6382) is never
    // taken, so a batch of a thousand repositories does not grow the grader's memory.
    // No url.*.insteadOf rewriting either: that lookup is the config regex path.
    git_remote_create_options remote_options = GIT_REMOTE_CREATE_OPTIONS_INIT;
    remote_options.repository = repo.get();
    remote_options.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    git_remote* remote_raw = nullptr;
    if (git_remote_create_with_opts(&remote_raw, url.c_str(), &remote_options) != 0) {
        return fail("{}: {}", url, last_error());
    }
    Remote remote(remote_raw);

    FetchDeadline deadline{std::chrono::steady_clock::now() + limit};
    git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
    callbacks.transfer_progress = [](const git_indexer_progress*, void* payload) { return check_deadline(payload); };
    callbacks.sideband_progress = [](const char*, int, void* payload) { return check_deadline(payload); };
    callbacks.payload = &deadline;

    std::string wanted = branch;
    if (git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr) != 0) {
        return fail("cannot reach {}: {}", url, last_error());
    }
    if (wanted.empty()) {
        git_buf name = GIT_BUF_INIT;
        if (git_remote_default_branch(&name, remote.get()) == 0) {
            wanted = name.ptr;
            git_buf_dispose(&name);
            if (wanted.starts_with("refs/heads/")) {
                wanted = wanted.substr(std::string("refs/heads/").size());
            }
        }
    }
    git_remote_disconnect(remote.get());

    git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
    options.callbacks = callbacks;
    options.prune = GIT_FETCH_NO_PRUNE;
    options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    char refspec[] = "+refs/heads/*:refs/remotes/origin/*";
    char* refspecs[] = {refspec};
    const git_strarray fetch_refspecs{refspecs, 1};
    if (git_remote_fetch(remote.get(), &fetch_refspecs, &options, "grade batch fetch") != 0) {
        if (std::chrono::steady_clock::now() > deadline.until) {
            return fail("fetching {} took longer than {} s; gave up", url, limit.count());
        }
        return fail("cannot fetch {}: {}", url, last_error());
    }
    if (wanted.empty()) {
        return fail("{} is an empty repository: nothing has been pushed", url);
    }
    git_oid oid;
    const auto ref = "refs/remotes/origin/" + wanted;
    if (git_reference_name_to_id(&oid, repo.get(), ref.c_str()) != 0) {
        return fail("{} has no branch '{}'", url, wanted);
    }
    TRY(commit, lookup_commit(repo.get(), hex(oid)));
    FetchedCommit fetched;
    fetched.sha = hex(oid);
    fetched.branch = wanted;
    fetched.claimed_time = git_commit_time(commit.get());
    const char* summary = git_commit_summary(commit.get());
    fetched.summary = summary != nullptr ? summary : "";
    return fetched;
}

Result<bool> descends_from(const fs::path& mirror, const std::string& later, const std::string& earlier) {
    if (later == earlier) {
        return true;
    }
    TRY(repo, open(mirror));
    git_oid a;
    git_oid b;
    if (git_oid_fromstr(&a, later.c_str()) != 0 || git_oid_fromstr(&b, earlier.c_str()) != 0) {
        return fail("not commit ids: {} {}", later, earlier);
    }
    const int answer = git_graph_descendant_of(repo.get(), &a, &b);
    if (answer < 0) {
        return fail("cannot compare {} with {}: {}", later, earlier, last_error());
    }
    return answer == 1;
}

Result<Exported> export_day_files(const fs::path& mirror, const std::string& sha, const std::string& day_dir,
                                  const std::vector<std::string>& files, long max_bytes) {
    TRY(repo, open(mirror));
    TRY(commit, lookup_commit(repo.get(), sha));
    git_tree* tree_raw = nullptr;
    if (git_commit_tree(&tree_raw, commit.get()) != 0) {
        return fail("commit {} has no tree: {}", sha, last_error());
    }
    Tree tree(tree_raw);
    Exported exported;
    git_tree_entry* dir_raw = nullptr;
    if (git_tree_entry_bypath(&dir_raw, tree.get(), day_dir.c_str()) == 0) {
        const TreeEntry dir(dir_raw);
        exported.day_dir_exists = git_tree_entry_type(dir.get()) == GIT_OBJECT_TREE;
    }
    if (!exported.day_dir_exists) {
        return exported;
    }
    for (const auto& name : files) {
        const auto path = day_dir + "/" + name;
        git_tree_entry* entry_raw = nullptr;
        if (git_tree_entry_bypath(&entry_raw, tree.get(), path.c_str()) != 0) {
            continue;  // missing: the grade says so
        }
        const TreeEntry entry(entry_raw);
        const auto mode = git_tree_entry_filemode(entry.get());
        std::string reason;
        if (mode == GIT_FILEMODE_LINK) {
            reason = "is a symbolic link in the commit; only regular files are graded";
        } else if (mode == GIT_FILEMODE_COMMIT) {
            reason = "is a submodule; only regular files are graded";
        } else if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE) {
            reason = "is not a regular file";
        }
        git_blob* blob_raw = nullptr;
        if (reason.empty() && git_blob_lookup(&blob_raw, repo.get(), git_tree_entry_id(entry.get())) != 0) {
            reason = "cannot be read: " + last_error();
        }
        const Blob blob(blob_raw);
        if (reason.empty() && static_cast<long>(git_blob_rawsize(blob.get())) > max_bytes) {
            reason = fmt::format("is {} bytes, over the {} byte limit", git_blob_rawsize(blob.get()), max_bytes);
        }
        if (!reason.empty()) {
            exported.rejected.push_back(path + ": " + reason);
            continue;
        }
        exported.files.push_back({name, std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                                                    static_cast<std::size_t>(git_blob_rawsize(blob.get())))});
    }
    return exported;
}

Result<std::string> init_with_first_commit(const fs::path& dir, const std::string& message) {
    ensure_library();
    git_repository_init_options options = GIT_REPOSITORY_INIT_OPTIONS_INIT;
    options.flags = GIT_REPOSITORY_INIT_MKPATH;
    options.initial_head = "main";
    git_repository* raw = nullptr;
    if (git_repository_init_ext(&raw, dir.c_str(), &options) != 0) {
        return fail("cannot create a repository in {}: {}", dir.string(), last_error());
    }
    Repository repo(raw);
    git_index* index_raw = nullptr;
    if (git_repository_index(&index_raw, repo.get()) != 0) {
        return fail("{}: {}", dir.string(), last_error());
    }
    Index index(index_raw);
    char pattern[] = "*";
    char* patterns[] = {pattern};
    const git_strarray all{patterns, 1};
    git_oid tree_id;
    if (git_index_add_all(index.get(), &all, GIT_INDEX_ADD_DEFAULT, nullptr, nullptr) != 0 ||
        git_index_write(index.get()) != 0 || git_index_write_tree(&tree_id, index.get()) != 0) {
        return fail("cannot add the files of {}: {}", dir.string(), last_error());
    }
    git_signature* signature_raw = nullptr;
    if (git_signature_default(&signature_raw, repo.get()) != 0 &&
        git_signature_now(&signature_raw, "grade", "grade@localhost") != 0) {
        return fail("cannot make a commit signature: {}", last_error());
    }
    Signature signature(signature_raw);
    git_tree* tree_raw = nullptr;
    if (git_tree_lookup(&tree_raw, repo.get(), &tree_id) != 0) {
        return fail("{}: {}", dir.string(), last_error());
    }
    Tree tree(tree_raw);
    git_oid commit_id;
    if (git_commit_create(&commit_id, repo.get(), "HEAD", signature.get(), signature.get(), nullptr,
                          message.c_str(), tree.get(), 0, nullptr) != 0) {
        return fail("cannot commit in {}: {}", dir.string(), last_error());
    }
    return hex(commit_id);
}

Result<fs::path> work_tree_root(const fs::path& start) {
    TRY(repo, open(start));
    const char* workdir = git_repository_workdir(repo.get());
    if (workdir == nullptr) {
        return fail("{} is a bare repository", start.string());
    }
    return fs::path(workdir).lexically_normal();
}

Result<std::vector<std::string>> changed_paths(const fs::path& work_tree, const std::string& base) {
    TRY(repo, open(work_tree));
    git_object* base_raw = nullptr;
    if (git_revparse_single(&base_raw, repo.get(), base.c_str()) != 0) {
        return usage_error("no base '{}' in {}: {} (fetch it first, e.g. with actions/checkout's fetch-depth: 0)",
                           base, work_tree.string(), last_error());
    }
    const Object base_object(base_raw);
    git_oid base_id = *git_object_id(base_object.get());
    git_oid head_id;
    if (git_reference_name_to_id(&head_id, repo.get(), "HEAD") == 0) {
        git_oid merge_base;
        if (git_merge_base(&merge_base, repo.get(), &base_id, &head_id) == 0) {
            base_id = merge_base;
        }
    }
    TRY(commit, lookup_commit(repo.get(), hex(base_id)));
    git_tree* tree_raw = nullptr;
    if (git_commit_tree(&tree_raw, commit.get()) != 0) {
        return fail("{}: {}", base, last_error());
    }
    const Tree tree(tree_raw);
    git_diff_options options = GIT_DIFF_OPTIONS_INIT;
    options.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS;
    git_diff* diff_raw = nullptr;
    if (git_diff_tree_to_workdir_with_index(&diff_raw, repo.get(), tree.get(), &options) != 0) {
        return fail("cannot compare {} with the work tree: {}", base, last_error());
    }
    const Diff diff(diff_raw);
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
        const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
        for (const char* path : {delta->old_file.path, delta->new_file.path}) {
            if (path != nullptr && (paths.empty() || paths.back() != path)) {
                paths.emplace_back(path);
            }
        }
    }
    return paths;
}

}  // namespace grade
