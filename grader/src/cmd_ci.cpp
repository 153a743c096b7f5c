// `grade ci [--base REF]`: grades the days a change touches (a libgit2 diff of the work tree
// against the merge base with REF), in CI formats, and fails below full marks (grader-design §2).
#include <cstdlib>
#include <iostream>

#include "atomic_file.hpp"
#include "bundle.hpp"
#include "commands.hpp"
#include "git_repo.hpp"
#include "report_ci.hpp"
#include "report_json.hpp"

namespace grade {
namespace fs = std::filesystem;
namespace {

std::string default_base() {
    if (const char* ref = std::getenv("GITHUB_BASE_REF"); ref != nullptr && *ref != '\0') {
        return std::string("origin/") + ref;
    }
    return "origin/main";
}

Result<int> ci(const CiOptions& options, const Printer& printer) {
    TRY(root, work_tree_root(fs::current_path()));
    TRY(bundle, locate_bundle());
    TRY(course, load_course(bundle));
    std::vector<std::string> days;
    const auto base = options.base.value_or(default_base());
    if (options.all) {
        for (const auto& day : course.days) {
            if (fs::is_directory(root / day)) {
                days.push_back(day);
            }
        }
    } else {
        TRY(changed, changed_paths(root, base));
        for (const auto& day : course.days) {
            const bool touched = std::any_of(changed.begin(), changed.end(),
                                             [&](const std::string& path) { return path.starts_with(day + "/"); });
            if (touched && fs::is_directory(root / day)) {
                days.push_back(day);
            }
        }
    }
    if (days.empty()) {
        printer.progress(options.all ? "no day directories here: nothing to grade"
                                     : fmt::format("no day changed since {}: nothing to grade", base));
        return exit_full_marks;
    }
    std::string names;
    for (const auto& d : days) {
        names += (names.empty() ? "" : ", ") + d;
    }
    printer.progress(fmt::format("grading {} (changed since {})", names, options.all ? "the start" : base));
    if (options.out) {
        std::error_code ec;
        fs::create_directories(*options.out, ec);
    }
    double score = 0;
    double max_score = 0;
    bool infrastructure = false;
    for (const auto& day : days) {
        GradeOptions one{.day = day, .repo = root.string(), .format = options.format};
        auto graded = grade_day(one, printer);
        if (!graded) {
            printer.error({graded.error().kind, day + ": " + graded.error().message});
            infrastructure = true;
            continue;
        }
        std::cout << render_result(options.format, graded->result, graded->day, printer) << std::flush;
        if (options.out) {
            TRY_VOID(write_atomic(fs::path(*options.out) / (day + ".json"), to_json(graded->result).dump(2) + "\n"));
            TRY_VOID(write_atomic(fs::path(*options.out) / (day + ".xml"), junit_xml(graded->result)));
        }
        score += graded->result.score;
        max_score += graded->result.max_score;
    }
    printer.progress(fmt::format("{} day(s) graded: {:g}/{:g}{}", days.size(), score, max_score,
                                 score < max_score ? " (below full marks: this check fails)" : ""));
    if (infrastructure) {
        return exit_infrastructure;
    }
    return score >= max_score ? exit_full_marks : exit_below;
}

}  // namespace

int cmd_ci(const CiOptions& options, const Printer& printer) {
    const auto status = ci(options, printer);
    if (!status) {
        printer.error(status.error());
        return exit_status(status.error());
    }
    return *status;
}

}  // namespace grade
