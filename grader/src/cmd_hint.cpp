// `grade hint <day> [task]`: the hints of a task, one more level each time it is asked, so that a
// student takes only as much help as they need. The levels shown so far are remembered per
// repository in the grader's cache. Without a task, the first task not yet fully passed in the
// last grading of this repository (else task 1).
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "bundle.hpp"
#include "commands.hpp"
#include "report_json.hpp"
#include "workspace.hpp"

namespace grade {
namespace fs = std::filesystem;

namespace {

nlohmann::json read_json(const fs::path& path) {
    std::ifstream in(path);
    auto json = nlohmann::json::parse(in, nullptr, false);
    return json.is_discarded() ? nlohmann::json::object() : json;
}

Result<int> hint(const HintOptions& options, const Printer& printer) {
    TRY(bundle, locate_bundle());
    TRY(course, load_course(bundle));
    TRY(dir, resolve_day(course, options.day));
    TRY(day, load_day(bundle, course, dir));
    if (day.tasks.empty()) {
        return usage_error("{} has no tasks", dir);
    }
    const fs::path root = find_repo_root(fs::current_path(), {dir}).value_or(fs::current_path());

    int task_number = 0;
    if (options.task) {
        task_number = *options.task;
    } else {
        task_number = day.tasks.front().number;
        const auto last = from_json(read_json(last_result_path(root, dir)));
        if (last) {
            for (const auto& task : day.tasks) {
                const bool done = std::all_of(last->tests.begin(), last->tests.end(), [&](const TestResult& t) {
                    return t.task != task.number || t.outcome == Outcome::pass;
                });
                if (!done) {
                    task_number = task.number;
                    break;
                }
            }
        }
    }
    const auto task = std::find_if(day.tasks.begin(), day.tasks.end(),
                                   [&](const TaskSpec& t) { return t.number == task_number; });
    if (task == day.tasks.end()) {
        return usage_error("{} has no task {} (its tasks are 1 to {})", dir, task_number, day.tasks.back().number);
    }
    if (task->hints.empty()) {
        std::cout << fmt::format("Task {}. {} has no hints: reread the task in {}/README.md.\n", task->number,
                                 task->title, dir);
        return exit_full_marks;
    }

    const fs::path state_path = last_result_path(root, dir).parent_path() / (dir + ".hints.json");
    auto state = read_json(state_path);
    const std::string key = std::to_string(task->number);
    const int before = state.value(key, 0);
    const int shown = std::min<int>(before + 1, static_cast<int>(task->hints.size()));
    state[key] = shown;
    TRY_VOID(write_atomic(state_path, state.dump()));

    std::cout << printer.bold(fmt::format("Task {}. {}", task->number, task->title)) << "\n";
    for (int level = 0; level < shown; ++level) {
        std::cout << fmt::format("\nHint {} of {}{}:\n", level + 1, task->hints.size(),
                                 level + 1 == shown && shown > before ? " (new)" : "");
        std::cout << "  " << task->hints[static_cast<std::size_t>(level)] << "\n";
    }
    std::cout << (shown < static_cast<int>(task->hints.size())
                      ? fmt::format("\nAsk again (grade hint day{} {}) for a more concrete hint.\n", day.number,
                                    task->number)
                      : "\nThat was the last hint for this task.\n");
    return exit_full_marks;
}

}  // namespace

int cmd_hint(const HintOptions& options, const Printer& printer) {
    const auto status = hint(options, printer);
    if (!status) {
        printer.error(status.error());
        return exit_status(status.error());
    }
    return *status;
}

}  // namespace grade
