// `grade watch <day>`: grades the day, then again each time one of its files is saved.
#include <iostream>

#include "bundle.hpp"
#include "commands.hpp"
#include "file_watch.hpp"
#include "workspace.hpp"

namespace grade {
namespace fs = std::filesystem;
namespace {

Result<int> watch(const WatchOptions& options, const Printer& printer) {
    GradeOptions grade_options{.day = options.day, .repo = options.repo};
    TRY(graded, grade_day(grade_options, printer));
    std::cout << render_result("text", graded.result, graded.day, printer) << std::flush;

    fs::path repo_root = options.repo ? fs::weakly_canonical(*options.repo) : fs::path();
    if (!options.repo) {
        repo_root = find_repo_root(fs::current_path(), {graded.day.dir}).value_or(fs::current_path());
    } else if (repo_root.filename() == graded.day.dir) {
        repo_root = repo_root.parent_path();
    }
    std::vector<fs::path> files;
    for (const auto& name : graded.day.files) {
        files.push_back(repo_root / graded.day.dir / name);
    }
    const auto interval = std::chrono::milliseconds(static_cast<long>(options.interval_s * 1000));
    TRY(watcher, FileWatcher::open(files, options.poll, interval));
    while (true) {
        printer.progress(fmt::format("watching the {} file(s) of {} ({}); Ctrl-C stops", files.size(), graded.day.dir,
                                     watcher.polling() ? fmt::format("polling every {:g} s", options.interval_s)
                                                       : "inotify"));
        std::vector<std::string> changed;
        while (changed.empty()) {
            TRY(got, watcher.wait(std::chrono::hours(1)));
            changed = std::move(got);
        }
        std::string names;
        for (const auto& c : changed) {
            names += (names.empty() ? "" : ", ") + c;
        }
        printer.progress(fmt::format("{} changed: grading again", names));
        auto again = grade_day(grade_options, printer);
        if (!again) {
            printer.error(again.error());  // a broken bundle or toolchain: say so and keep watching
            continue;
        }
        std::cout << render_result("text", again->result, again->day, printer) << std::flush;
    }
}

}  // namespace

int cmd_watch(const WatchOptions& options, const Printer& printer) {
    const auto status = watch(options, printer);
    if (!status) {
        printer.error(status.error());
        return exit_status(status.error());
    }
    return *status;
}

}  // namespace grade
