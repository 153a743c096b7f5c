// grade: builds a submission of the C++ concurrency course and grades it (grader-design §2).
#include <CLI/CLI.hpp>

#include <cstring>
#include <iostream>

#include "commands.hpp"

namespace {

constexpr const char* day_command = "day";

// `grade day3 ...` has no subcommand word: the day itself stands first. Insert the hidden `day`
// subcommand unless the first word is a real subcommand or an option.
std::vector<std::string> with_day_command(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && args[0][0] != '-') {
        const auto& names = grade::subcommand_names();
        if (std::find(names.begin(), names.end(), args[0]) == names.end() && args[0] != "help") {
            args.insert(args.begin(), day_command);
        }
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes the vector back to front
    return args;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"grade: builds your solution of a day of the C++ concurrency course, runs its public and hidden "
                 "tests, and explains every failure.",
                 "grade"};
    app.footer(
        "Usage:\n"
        "  grade <day> [--repo DIR] [--only public|hidden] [--test NAME] [--seed N] [--repeat N]\n"
        "              [--format text|json|gradescope] [--out FILE]\n"
        "                                  grade a day (day3, day03, 3 or its slug)\n"
        "  grade list [--repo DIR]         every day with your last score\n"
        "  grade hint <day> [task]         the next hint (one level more each time)\n"
        "  grade check [<day>...|--all]    the course's self-test (instructors)\n"
        "Exit status: 0 full marks, 1 below full marks, 2 usage error, 3 the grader could not grade.");
    app.require_subcommand(0, 1);
    app.fallthrough();  // --color may follow the subcommand
    bool version = false;
    app.add_flag("--version", version, "print the grader's version and its course bundle");
    std::string color = "auto";
    app.add_option("--color", color, "colour: auto, never or always")
        ->check(CLI::IsMember({"auto", "never", "always"}))
        ->capture_default_str();

    grade::GradeOptions grade_options;
    auto* day = app.add_subcommand(day_command, "grade a day");
    day->group("");  // hidden: `grade day3` is the spelling users see
    day->add_option("day", grade_options.day, "the day: day3, day03, 3 or its slug")->required();
    day->add_option("--repo", grade_options.repo, "your course repository (default: found from here upwards)");
    day->add_option("--only", grade_options.only, "public or hidden tests only")
        ->check(CLI::IsMember({"all", "public", "hidden"}));
    day->add_option("--test", grade_options.tests, "run only this test (repeatable)");
    day->add_option("--seed", grade_options.seed, "the seed of the first run (printed with every failure)");
    day->add_option("--repeat", grade_options.repeat, "runs of every test, with successive seeds")
        ->check(CLI::Range(1, 10000));
    day->add_option("--format", grade_options.format, "text, json or gradescope (json is Gradescope's results.json)")
        ->check(CLI::IsMember({"text", "json", "gradescope"}));
    day->add_option("--out", grade_options.out, "write the result here (atomically) instead of stdout");

    std::optional<std::string> list_repo;
    auto* list = app.add_subcommand("list", "every day with its title, your last score and the tasks done");
    list->add_option("--repo", list_repo, "your course repository (default: found from here upwards)");

    grade::HintOptions hint_options;
    auto* hint = app.add_subcommand("hint", "the hints of a task, one more level each time you ask");
    hint->add_option("day", hint_options.day, "the day")->required();
    hint->add_option("task", hint_options.task, "the task number (default: the first one not yet passed)");

    grade::CheckOptions check_options;
    auto* check = app.add_subcommand("check", "the course's self-test: sync rules, stub, reference, mutants");
    check->add_option("days", check_options.days, "days to check (default: all)");
    check->add_flag("--all", check_options.all, "check every day");
    check->add_option("--runs", check_options.runs, "runs of the reference and of every mutant")
        ->check(CLI::Range(1, 10000));
    check->add_option("--out", check_options.out, "write the rules and the kill matrix as JSON here");

    try {
        app.parse(with_day_command(argc, argv));
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : grade::exit_usage;
    }
    const grade::Printer printer(color == "never"    ? grade::ColorMode::never
                                 : color == "always" ? grade::ColorMode::always
                                                     : grade::ColorMode::automatic);
    try {
        if (day->parsed()) {
            return grade::cmd_grade(grade_options, printer);
        }
        if (hint->parsed()) {
            return grade::cmd_hint(hint_options, printer);
        }
        if (list->parsed()) {
            return grade::cmd_list(list_repo, printer);
        }
        if (check->parsed()) {
            return grade::cmd_check(check_options, printer);
        }
        if (version) {
            return grade::cmd_version(printer);
        }
        std::cout << app.help();
        return grade::exit_usage;
    } catch (const std::exception& e) {
        // Exceptions are bugs (errors are values): report as an infrastructure failure, never a 0.
        printer.error({grade::ErrorKind::infrastructure, std::string("internal error: ") + e.what()});
        return grade::exit_infrastructure;
    }
}
