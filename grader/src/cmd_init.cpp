// `grade init <dir>`: a new student repository from the course's templates/, with a first commit
// (libgit2), ready to push to wherever the course collects repositories.
#include <fstream>

#include "bundle.hpp"
#include "commands.hpp"
#include "git_repo.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;
namespace {

constexpr const char* placeholder_repo = "https://example.invalid/your-course.git";
constexpr const char* placeholder_ref = "COURSE_REF: main";

Result<int> init(const InitOptions& options, const Printer& printer) {
    TRY(bundle, locate_bundle());
    TRY(course, load_course(bundle));
    const fs::path templates = bundle.root / "templates";
    if (!fs::exists(templates / "README.md")) {
        return fail("the course bundle {} has no templates/ to start a repository from", bundle.root.string());
    }
    const fs::path dir(options.dir);
    std::error_code ec;
    if (fs::exists(dir) && !fs::is_empty(dir, ec)) {
        return usage_error("{} already exists and is not empty; grade init makes a new repository", dir.string());
    }
    fs::create_directories(dir, ec);
    fs::copy(templates, dir, fs::copy_options::recursive, ec);
    if (ec) {
        return fail("cannot copy the templates into {}: {}", dir.string(), ec.message());
    }
    const auto workflow = dir / ".github" / "workflows" / "grade.yml";
    if (auto text = read_file(workflow)) {
        if (options.course_repo) {
            replace_all(*text, placeholder_repo, *options.course_repo);
        }
        if (options.course_ref) {
            replace_all(*text, placeholder_ref, std::string("COURSE_REF: ") + *options.course_ref);
        }
        std::ofstream(workflow, std::ios::trunc) << *text;
    }
    TRY(commit, init_with_first_commit(dir, "Start of the course: " + course.title));
    printer.progress(fmt::format("created {} with {} day(s), first commit {} on branch main", dir.string(),
                                 course.days.size(), commit.substr(0, 12)));
    if (!options.course_repo && fs::exists(workflow)) {
        printer.warning(fmt::format("{} still names {} as the course repository: edit it, or rerun with "
                                    "--course-repo URL",
                                    fs::relative(workflow, dir).string(), placeholder_repo));
    }
    printer.progress(fmt::format("next: cd {} && grade list", dir.string()));
    return exit_full_marks;
}

}  // namespace

int cmd_init(const InitOptions& options, const Printer& printer) {
    const auto status = init(options, printer);
    if (!status) {
        printer.error(status.error());
        return exit_status(status.error());
    }
    return *status;
}

}  // namespace grade
