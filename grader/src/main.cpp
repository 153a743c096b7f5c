// grade: builds a submission of the C++ concurrency course and grades it (grader-design §2).
#include <CLI/CLI.hpp>

#include <cstring>
#include <iostream>

#include "commands.hpp"
#include "sandbox.hpp"

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
        "              [--format text|json|gradescope|junit|github] [--out FILE]\n"
        "                                  grade a day (day3, day03, 3 or its slug)\n"
        "  grade list [--repo DIR]         every day with your last score\n"
        "  grade hint <day> [task]         the next hint (one level more each time)\n"
        "  grade watch <day>               grade again each time you save\n"
        "  grade init <dir>                a new student repository from the templates\n"
        "  grade ci [--base REF]           grade the days a change touches, in CI formats\n"
        "  grade check [<day>...|--all]    the course's self-test (instructors)\n"
        "  grade doctor                    toolchain, sandbox tier and limits of this machine\n"
        "  grade prepare [--into DIR]      build the course runtime now (else the first grading does)\n"
        "  grade batch fetch|run|report|merge  grade a roster of git repositories (instructors)\n"
        "Exit status: 0 full marks, 1 below full marks, 2 usage error, 3 the grader could not grade.");
    app.require_subcommand(0, 1);
    app.fallthrough();  // --color may follow the subcommand
    bool version = false;
    app.add_flag("--version", version, "print the grader's version and its course bundle");
    std::string color = "auto";
    app.add_option("--color", color, "colour: auto, never or always")
        ->check(CLI::IsMember({"auto", "never", "always"}))
        ->capture_default_str();
    std::string min_tier, max_tier;
    app.add_option("--min-tier", min_tier, "refuse to grade on a host whose sandbox tier is weaker (A, B, C or D)")
        ->check(CLI::IsMember({"A", "B", "C", "D", "a", "b", "c", "d"}));
    app.add_option("--max-tier", max_tier, "use at most this sandbox tier (A-D, none): simulates a weaker host")
        ->check(CLI::IsMember({"A", "B", "C", "D", "a", "b", "c", "d", "none"}))
        ->group("");
    auto* doctor = app.add_subcommand("doctor", "toolchain, TSan preflight, sandbox tier and layers, limits in force");

    grade::PrepareOptions prepare_options;
    auto* prepare = app.add_subcommand("prepare", "build the course runtime (the harness every day's tests link) in "
                                                  "every flavour, ahead of the first grading");
    prepare->add_option("--into", prepare_options.into, "build it here (default: the grader's cache)");

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
    day->add_option("--format", grade_options.format,
                    "text, json, gradescope (json is Gradescope's results.json), junit or github")
        ->check(CLI::IsMember({"text", "json", "gradescope", "junit", "github"}));
    day->add_option("--out", grade_options.out, "write the result here (atomically) instead of stdout");
    day->add_option("--slot", grade_options.slot, "reuse this named build tree (batch grading)")->group("");
    day->add_flag("--resume", grade_options.resume, "keep the tests already journaled next to --out (batch grading)")
        ->group("");

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

    grade::InitOptions init_options;
    auto* init = app.add_subcommand("init", "a new student repository from the course's templates, with a first commit");
    init->add_option("dir", init_options.dir, "the new repository's directory")->required();
    init->add_option("--course-repo", init_options.course_repo,
                     "the course repository the student's CI builds the grader from");
    init->add_option("--course-ref", init_options.course_ref, "its branch or tag (a tag pins the grader for the term)");

    grade::CiOptions ci_options;
    auto* ci = app.add_subcommand("ci", "grade the days a change touches (for CI); fails below full marks");
    ci->add_option("--base", ci_options.base, "compare with this ref (default: origin/$GITHUB_BASE_REF or origin/main)");
    ci->add_flag("--all", ci_options.all, "grade every day present, changed or not");
    ci->add_option("--format", ci_options.format, "text, github, junit or json")
        ->check(CLI::IsMember({"text", "json", "gradescope", "junit", "github"}))->capture_default_str();
    ci->add_option("--out", ci_options.out, "also write <day>.json and <day>.xml (JUnit) into this directory");

    grade::WatchOptions watch_options;
    auto* watch = app.add_subcommand("watch", "grade a day, then again each time you save one of its files");
    watch->add_option("day", watch_options.day, "the day")->required();
    watch->add_option("--repo", watch_options.repo, "your course repository (default: found from here upwards)");
    watch->add_flag("--poll", watch_options.poll, "poll for changes instead of inotify (network file systems)");
    watch->add_option("--interval", watch_options.interval_s, "seconds between polls")
        ->check(CLI::Range(0.1, 60.0))->capture_default_str();

    auto* batch = app.add_subcommand("batch", "instructors: grade many students' git repositories")->require_subcommand(1);
    grade::BatchFetchOptions fetch_options;
    auto* fetch = batch->add_subcommand("fetch", "clone or fetch every repository of a roster; freeze each commit with "
                                                 "the grader's fetch time");
    fetch->add_option("roster", fetch_options.roster, "the roster (yaml)")->required()->check(CLI::ExistingFile);
    fetch->add_option("--out", fetch_options.out, "the snapshot directory")->required();
    fetch->add_option("--jobs", fetch_options.jobs, "repositories fetched at once")->check(CLI::Range(1, 64))
        ->capture_default_str();
    fetch->add_option("--timeout", fetch_options.timeout_s, "seconds allowed per repository")
        ->check(CLI::Range(1, 36000))->capture_default_str();
    grade::BatchRunOptions run_options;
    auto* run = batch->add_subcommand("run", "grade every student's frozen commit");
    run->add_option("snapshot", run_options.snapshot, "the snapshot directory")->required()->check(CLI::ExistingDirectory);
    run->add_option("--day", run_options.days, "the day to grade (repeatable; default: the roster's days)");
    run->add_option("--jobs", run_options.jobs, "submissions graded at once")->check(CLI::Range(1, 64))
        ->capture_default_str();
    run->add_option("--shard", run_options.shard, "grade only shard i of n (1 <= i <= n), for a scheduler");
    run->add_flag("--resume", run_options.resume, "continue an earlier run: grade only what is missing or changed");
    run->add_flag("--fresh", run_options.fresh, "grade everything again, ignoring earlier results");
    grade::BatchReportOptions report_options;
    auto* report = batch->add_subcommand("report", "the gradebook, one feedback file per student, and a summary");
    report->add_option("snapshot", report_options.snapshot, "the snapshot directory")->required()
        ->check(CLI::ExistingDirectory);
    report->add_option("--format", report_options.format, "the gradebook's format: csv or json")
        ->check(CLI::IsMember({"csv", "json"}))->capture_default_str();
    grade::BatchMergeOptions merge_options;
    auto* merge = batch->add_subcommand("merge", "bring the results of shards graded elsewhere into one snapshot");
    merge->add_option("snapshot", merge_options.snapshot, "the snapshot to merge into")->required()
        ->check(CLI::ExistingDirectory);
    merge->add_option("others", merge_options.others, "snapshots graded elsewhere")->required()
        ->check(CLI::ExistingDirectory);

    try {
        app.parse(with_day_command(argc, argv));
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : grade::exit_usage;
    }
    const grade::Printer printer(color == "never"    ? grade::ColorMode::never
                                 : color == "always" ? grade::ColorMode::always
                                                     : grade::ColorMode::automatic);
    // Also for the grade processes a batch starts: they inherit the environment.
    for (const auto& [name, value] : {std::pair{"GRADE_MIN_TIER", min_tier}, std::pair{"GRADE_MAX_TIER", max_tier}}) {
        if (!value.empty()) {
            ::setenv(name, value.c_str(), 1);
        }
    }
    grade::configure_sandbox({grade::parse_tier(min_tier), grade::parse_tier(max_tier)});
    try {
        if (doctor->parsed()) {
            return grade::cmd_doctor(printer);
        }
        if (prepare->parsed()) {
            return grade::cmd_prepare(prepare_options, printer);
        }
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
        if (init->parsed()) {
            return grade::cmd_init(init_options, printer);
        }
        if (ci->parsed()) {
            return grade::cmd_ci(ci_options, printer);
        }
        if (watch->parsed()) {
            return grade::cmd_watch(watch_options, printer);
        }
        if (fetch->parsed()) {
            return grade::cmd_batch_fetch(fetch_options, printer);
        }
        if (run->parsed()) {
            return grade::cmd_batch_run(run_options, printer);
        }
        if (report->parsed()) {
            return grade::cmd_batch_report(report_options, printer);
        }
        if (merge->parsed()) {
            return grade::cmd_batch_merge(merge_options, printer);
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
