#include <fstream>
#include <sstream>
#include <iostream>

#include "atomic_file.hpp"
#include "bundle.hpp"
#include "commands.hpp"
#include "edit_distance.hpp"
#include "grading.hpp"
#include "report_ci.hpp"
#include "report_json.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;

int exit_status(const Error& error) { return error.kind == ErrorKind::usage ? exit_usage : exit_infrastructure; }

const std::vector<std::string>& subcommand_names() {
    static const std::vector<std::string> names = {"list", "check", "hint", "batch", "init", "ci", "watch", "doctor", "prepare"};
    return names;
}

std::string render_result(const std::string& format, const DayResult& result, const DaySpec& day,
                          const Printer& printer) {
    if (format == "junit") {
        return junit_xml(result);
    }
    if (format == "github") {
        // Annotations and the points notice for the runner, then the report for the log; the
        // Markdown summary goes where GitHub shows it on the run's page.
        if (const char* summary = std::getenv("GITHUB_STEP_SUMMARY"); summary != nullptr && *summary != '\0') {
            std::ofstream(summary, std::ios::app) << github_summary(result) << "\n";
        }
        return github_commands(result, day) + Printer(ColorMode::never).day_report(result, day);
    }
    if (format == "json" || format == "gradescope") {
        return to_json(result).dump(2) + "\n";
    }
    return printer.day_report(result, day);
}

namespace {

std::string shell_quote(const std::string& word) {
    if (word.find_first_of(" \t'\"$\\;&|<>*?()") == std::string::npos && !word.empty()) {
        return word;
    }
    std::string quoted = "'";
    for (const char c : word) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return quoted + "'";
}

// The tests a killed run finished (its journal), so a resumed run does not grade them again. A
// torn last line (killed mid-write) is dropped.
Result<std::vector<TestResult>> read_test_journal(const fs::path& journal, const std::string& day) {
    std::vector<TestResult> done;
    std::istringstream lines(read_file(journal).value_or(""));
    std::string line;
    while (std::getline(lines, line)) {
        const auto test = nlohmann::json::parse(line, nullptr, false);
        if (test.is_discarded()) {
            continue;
        }
        auto one = from_json(nlohmann::json{{"extra_data", {{"day", day}}}, {"tests", {test}}});
        if (one && one->tests.size() == 1) {
            done.push_back(one->tests.front());
        }
    }
    return done;
}

}  // namespace

Result<Graded> grade_day(const GradeOptions& options, const Printer& printer) {
    TRY(bundle, locate_bundle());
    TRY(course, load_course(bundle));
    auto day_name = resolve_day(course, options.day);
    if (!day_name) {
        const auto near = closest(options.day, subcommand_names(), 1);
        if (!near.empty()) {
            day_name.error().message += fmt::format("\n(Or did you mean the command 'grade {}'?)", near.front());
        }
        return tl::unexpected(day_name.error());
    }
    TRY(day, load_day(bundle, course, *day_name));

    fs::path repo_root;
    if (options.repo) {
        const fs::path given(*options.repo);
        if (!fs::is_directory(given)) {
            return usage_error("--repo {}: no such directory", given.string());
        }
        repo_root = fs::weakly_canonical(given).filename() == day.dir ? fs::weakly_canonical(given).parent_path()
                                                                       : fs::weakly_canonical(given);
    } else {
        const auto found = find_repo_root(fs::current_path(), {day.dir});
        if (!found) {
            std::string hint;
            if (fs::exists(fs::current_path() / "exercises" / "course.yaml")) {
                hint = " This is the course repository: grade the reference with --repo solutions, or the stub with "
                       "--repo templates.";
            }
            return usage_error("no directory {} here or above. Run grade inside your course repository, or pass "
                               "--repo DIR.{}",
                               day.dir, hint);
        }
        repo_root = *found;
    }
    const fs::path day_dir = repo_root / day.dir;

    for (const auto& name : options.tests) {
        if (day.find_test(name) == nullptr) {
            std::vector<std::string> names;
            for (const auto& t : day.tests) {
                names.push_back(t.name);
            }
            const auto near = closest(name, names, 1);
            return usage_error("{} has no test named {}{}", day.dir, name,
                               near.empty() ? "" : fmt::format(". Did you mean {}?", near.front()));
        }
    }
    if (!day.has_grading && options.only != "public") {
        printer.warning("this bundle has no hidden tests for " + day.dir + "; grading the public tests only");
    }
    const Only only = options.only == "public" ? Only::public_tests
                      : options.only == "hidden" ? Only::hidden_tests
                                                 : Only::all;
    if (select_tests(day, only, options.tests).empty()) {
        return usage_error("nothing to run: no test of {} matches the selection", day.dir);
    }

    TRY(environment, describe_environment(bundle));
    const auto waiting = [&](const fs::path& root) {
        printer.progress(fmt::format("another grade is using this build tree ({}); waiting for it to finish",
                                     root.string()));
    };
    TRY(workspace, options.slot ? open_slot_workspace(*options.slot, day.dir, waiting)
                                : open_workspace(repo_root, day.dir, "grade", waiting));
    std::string rerun = "grade day" + std::to_string(day.number);
    // A batch grades a private copy: the student reruns in their own repository, without --repo.
    if (options.repo && !options.slot) {
        rerun += " --repo " + shell_quote(*options.repo);
    }
    fs::path journal;
    std::vector<TestResult> done;
    if (options.out) {
        journal = fs::path(*options.out + ".partial.jsonl");
        if (options.resume) {
            TRY(resumed, read_test_journal(journal, day.dir));
            done = std::move(resumed);
        } else {
            std::error_code ec;
            fs::remove(journal, ec);
        }
    }
    GradeRequest request{.bundle = &bundle,
                         .day = &day,
                         .environment = &environment,
                         .day_dir = day_dir,
                         .workspace = workspace,
                         .only = only,
                         .tests = options.tests,
                         .seed = options.seed,
                         .repeat = options.repeat,
                         .rerun_prefix = rerun,
                         .printer = &printer,
                         .done = done};
    if (!journal.empty()) {
        request.on_test_done = [&](const TestResult& test) {
            DayResult one;
            one.day = day.dir;
            one.tests.push_back(test);
            (void)append_line_durable(journal, to_json(one)["tests"][0].dump());
        };
    }
    TRY(result, grade_submission(request));
    if (!options.slot) {
        (void)write_atomic(last_result_path(repo_root, day.dir), to_json(result).dump(2));
    }
    return Graded{std::move(result), std::move(day)};
}

namespace {

Result<int> grade_and_print(const GradeOptions& options, const Printer& printer) {
    TRY(graded, grade_day(options, printer));
    const std::string text = render_result(options.format, graded.result, graded.day, printer);
    if (options.out) {
        TRY_VOID(write_atomic(*options.out, text));
        std::error_code ec;
        fs::remove(*options.out + ".partial.jsonl", ec);  // only now: a crash before leaves it to resume from
        printer.progress(fmt::format("wrote {}: {:g}/{:g}", *options.out, graded.result.score, graded.result.max_score));
    } else {
        std::cout << text << std::flush;
    }
    return graded.result.full_marks() ? exit_full_marks : exit_below;
}

}  // namespace

int cmd_grade(const GradeOptions& options, const Printer& printer) {
    const auto status = grade_and_print(options, printer);
    if (!status) {
        printer.error(status.error());
        return exit_status(status.error());
    }
    return *status;
}

}  // namespace grade
