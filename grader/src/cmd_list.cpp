// `grade list`: every day with its title, the last score this repository got, and the tasks done.
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "bundle.hpp"
#include "commands.hpp"
#include "report_json.hpp"
#include "workspace.hpp"

namespace grade {
namespace fs = std::filesystem;

int cmd_list(const std::optional<std::string>& repo, const Printer& printer) {
    const auto bundle = locate_bundle();
    if (!bundle) {
        printer.error(bundle.error());
        return exit_infrastructure;
    }
    const auto course = load_course(*bundle);
    if (!course) {
        printer.error(course.error());
        return exit_status(course.error());
    }
    const auto root = repo ? std::optional<fs::path>(fs::weakly_canonical(*repo))
                           : find_repo_root(fs::current_path(), course->days);
    std::cout << printer.bold(course->title) << "\n\n";
    std::cout << fmt::format("  {:<5} {:<34} {:<48} {:>8}  {}\n", "day", "directory", "title", "score", "tasks done");
    for (const auto& dir : course->days) {
        const auto day = load_day(*bundle, *course, dir);
        if (!day) {
            printer.error(day.error());
            return exit_status(day.error());
        }
        std::string score = "-";
        std::string tasks = "-";
        if (root) {
            std::ifstream in(last_result_path(*root, dir));
            const auto json = nlohmann::json::parse(in, nullptr, false);
            if (!json.is_discarded()) {
                if (const auto last = from_json(json)) {
                    score = fmt::format("{:g}/{:g}", last->score, last->max_score);
                    int done = 0;
                    for (const auto& task : day->tasks) {
                        bool all = true;
                        bool any = false;
                        for (const auto& test : last->tests) {
                            if (test.task == task.number) {
                                any = true;
                                all = all && test.outcome == Outcome::pass;
                            }
                        }
                        done += any && all ? 1 : 0;
                    }
                    tasks = fmt::format("{}/{}", done, day->tasks.size());
                }
            }
        }
        std::cout << fmt::format("  {:<5} {:<34} {:<48} {:>8}  {}\n", day->number, dir, day->title, score, tasks);
    }
    if (!root) {
        std::cout << "\n(No day directories here: scores appear once you run grade inside your course repository.)\n";
    }
    return exit_full_marks;
}

}  // namespace grade
