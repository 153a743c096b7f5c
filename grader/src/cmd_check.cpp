// `grade check`: the course's self-test (grader-design §1, sync rules 1-6, and rule 7: correct
// alternative designs get full marks). It grades the stub, the reference, every mutant and every
// alternative through the same path a student's submission takes, in one workspace per day so that
// only the swapped files recompile.
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "build.hpp"
#include "bundle.hpp"
#include "commands.hpp"
#include "grading.hpp"
#include "mutants.hpp"
#include "test_run.hpp"
#include "util.hpp"

namespace grade {
namespace fs = std::filesystem;

namespace {

struct RuleResult {
    int rule = 0;
    bool ok = true;
    std::string summary;
    std::string details;
};

struct MutantKill {
    std::string mutant;
    int runs = 0;
    int killed_runs = 0;
    std::vector<std::string> killers;  // tests that killed it, with their outcome
    std::string problem;               // when it could not be checked
};

std::set<std::string> editable_in_template(const fs::path& dir) {
    std::set<std::string> files;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const auto name = entry.path().filename().string();
        if (entry.is_regular_file() && name != "README.md" && name != "day.yaml") {
            files.insert(name);
        }
    }
    return files;
}

std::set<std::string> listing(const fs::path& dir) {
    std::set<std::string> names;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); ++it) {
        names.insert(fs::relative(it->path(), dir).string());
    }
    return names;
}

std::string join(const std::set<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        out += (out.empty() ? "" : ", ") + item;
    }
    return out.empty() ? "(none)" : out;
}

RuleResult rule_files_in_sync(const BundlePaths& bundle, const DaySpec& day) {
    const std::set<std::string> declared(day.files.begin(), day.files.end());
    const auto stub = editable_in_template(bundle.template_dir(day.dir));
    const auto reference = editable_in_template(bundle.solution_dir(day.dir));
    RuleResult r{1, stub == declared && reference == declared, "", ""};
    r.summary = fmt::format("editable files: day.yaml, templates/ and solutions/ agree ({} files)", declared.size());
    if (!r.ok) {
        r.details = fmt::format("day.yaml files: {}\ntemplates/{}: {}\nsolutions/{}: {}\n", join(declared), day.dir,
                                join(stub), day.dir, join(reference));
    }
    return r;
}

RuleResult rule_handout_clean(const BundlePaths& bundle, const DaySpec& day, const std::set<std::string>& before,
                              const std::set<std::string>& after) {
    RuleResult r{6, true, "the handout holds nothing private, and grading left nothing in the submission", ""};
    std::set<std::string> private_contents;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(bundle.exercise_dir(day.dir), ec);
         it != fs::recursive_directory_iterator(); ++it) {
        if (it->is_regular_file()) {
            private_contents.insert(read_file(it->path()).value_or(""));
        }
    }
    for (auto it = fs::recursive_directory_iterator(bundle.template_dir(day.dir), ec);
         it != fs::recursive_directory_iterator(); ++it) {
        const auto name = it->path().filename().string();
        if (!it->is_regular_file()) {
            continue;
        }
        if (name.ends_with("_hidden_test.cpp") || name == "grading.yaml" || name.ends_with(".patch") ||
            private_contents.contains(read_file(it->path()).value_or(""))) {
            r.ok = false;
            r.details += fmt::format("templates/{}/{} is (or copies) a private file\n", day.dir,
                                     fs::relative(it->path(), bundle.template_dir(day.dir)).string());
        }
    }
    for (const auto& name : after) {
        if (!before.contains(name)) {
            r.ok = false;
            r.details += fmt::format("grading left {} in the submission's directory\n", name);
        }
    }
    return r;
}

Result<std::vector<RuleResult>> check_day(const BundlePaths& bundle, const CourseSpec& course, const std::string& dir,
                                          const CheckOptions& options, const Environment& environment,
                                          const Printer& printer, nlohmann::json& record) {
    TRY(day, load_day(bundle, course, dir));
    std::vector<RuleResult> rules;
    rules.push_back(rule_files_in_sync(bundle, day));
    if (!day.has_grading) {
        return fail("{}: exercises/{}/grading.yaml is missing", dir, dir);
    }
    if (!has_solutions(bundle)) {
        return fail("grade check needs the course repository (solutions/ and mutants); this bundle has none");
    }
    TRY(workspace, open_workspace(bundle.root / "check", dir, "check", [&](const fs::path& root) {
            printer.progress(fmt::format("another grade check is using {}; waiting for it to finish", root.string()));
        }));
    const auto rerun = fmt::format("grade day{} --repo", day.number);

    // Rule 2: the stub has TODO(student), compiles, and fails at least one public test.
    {
        RuleResult r{2, true, "", ""};
        bool todo = false;
        for (const auto& name : day.files) {
            todo = todo || read_file(bundle.template_dir(dir) / name).value_or("").find("TODO(student)") !=
                               std::string::npos;
        }
        printer.progress(fmt::format("{}: grading the stub (public tests)", dir));
        GradeRequest request{.bundle = &bundle, .day = &day, .environment = &environment,
                             .day_dir = bundle.template_dir(dir), .workspace = workspace, .only = Only::public_tests,
                             .rerun_prefix = rerun + " templates", .printer = &printer};
        TRY(stub, grade_submission(request));
        const int failed = static_cast<int>(stub.tests.size()) - stub.passed();
        r.ok = todo && stub.build_messages.empty() && failed > 0;
        r.summary = fmt::format("the stub has TODO(student), compiles, and fails {} of {} public tests", failed,
                                stub.tests.size());
        if (!todo) {
            r.details += "no editable file of the stub contains TODO(student)\n";
        }
        if (!stub.build_messages.empty()) {
            r.details += "the stub does not compile:\n" + stub.build_messages;
        }
        if (failed == 0 && stub.build_messages.empty()) {
            r.details += "the stub passes every public test: they test nothing the student must write\n";
        }
        rules.push_back(r);
    }

    // Rules 3 and 4: the reference passes everything, in every flavour, on repeated runs; and
    // the binaries' tests are exactly the declared ones.
    const auto solution_listing_before = listing(bundle.solution_dir(dir));
    {
        printer.progress(fmt::format("{}: grading the reference ({} run(s) of every test)", dir, options.runs));
        GradeRequest request{.bundle = &bundle, .day = &day, .environment = &environment,
                             .day_dir = bundle.solution_dir(dir), .workspace = workspace, .repeat = options.runs,
                             .rerun_prefix = rerun + " solutions", .printer = &printer};
        TRY(reference, grade_submission(request));
        RuleResult r3{3, reference.full_marks() && reference.build_messages.empty(), "", ""};
        r3.summary = fmt::format("the reference passes all {} tests, {} run(s) each (score {:g}/{:g})",
                                 reference.tests.size(), options.runs, reference.score, reference.max_score);
        r3.details = reference.build_messages;
        for (const auto& test : reference.tests) {
            if (test.outcome != Outcome::pass) {
                r3.details += fmt::format("{}: {}\n{}", test.name, to_string(test.outcome), test.message);
            }
        }
        RuleResult r4{4, true, "", ""};
        // Each flavour's binary compiles only the sources holding that flavour's tests, so a test
        // must be in the binary of the flavour the yaml gives it, not merely in some binary.
        std::set<Flavour> used;
        for (const auto& test : day.tests) {
            used.insert(test.flavour);
        }
        std::set<std::string> listed;
        std::map<Flavour, std::set<std::string>> listed_by_flavour;
        for (const auto flavour : used) {
            TRY(names, list_tests(test_binary(workspace, flavour)));
            listed.insert(names.begin(), names.end());
            listed_by_flavour[flavour].insert(names.begin(), names.end());
        }
        std::set<std::string> declared;
        for (const auto& test : day.tests) {
            declared.insert(test.name);
        }
        for (const auto& name : listed) {
            if (!declared.contains(name)) {
                r4.ok = false;
                r4.details += fmt::format("{} exists in the test sources but neither day.yaml nor grading.yaml "
                                          "declares it (points, task)\n",
                                          name);
            }
        }
        for (const auto& test : day.tests) {
            if (!listed.contains(test.name)) {
                r4.ok = false;
                r4.details += fmt::format("{} is declared but no test source defines it\n", test.name);
            } else if (!listed_by_flavour[test.flavour].contains(test.name)) {
                r4.ok = false;
                r4.details += fmt::format("{} is declared for the {} build, whose binary does not hold it\n", test.name,
                                          to_string(test.flavour));
            }
        }
        r4.summary = fmt::format("the {} tests in the binaries are exactly the {} declared", listed.size(),
                                 declared.size());
        rules.push_back(r3);
        rules.push_back(r4);
        record["reference"] = {{"score", reference.score}, {"max_score", reference.max_score}, {"runs", options.runs}};
    }
    const auto solution_listing_after = listing(bundle.solution_dir(dir));

    // Rule 5: every mutant applies, builds, and is killed in every run.
    {
        RuleResult r{5, true, "", ""};
        std::vector<MutantKill> kills;
        const fs::path scratch = workspace.root / "mutants";
        for (const auto& extra : undeclared_variants(bundle, day, VariantKind::mutant)) {
            r.ok = false;
            r.details += fmt::format("mutants/{}.patch is not listed in grading.yaml\n", extra);
        }
        for (const auto& mutant : day.mutants) {
            MutantKill kill{mutant.name, 0, 0, {}, ""};
            const auto copy = prepare_variant(bundle, day, VariantKind::mutant, mutant.name, scratch);
            if (!copy) {
                kill.problem = copy.error().message;
                kills.push_back(kill);
                continue;
            }
            for (int run = 0; run < options.runs; ++run) {
                ++kill.runs;
                printer.progress(fmt::format("{}: mutant {} (run {}/{})", dir, mutant.name, run + 1, options.runs));
                // Its designed killers first, then everything else: one kill is enough.
                bool killed = false;
                for (const bool designed : {true, false}) {
                    if (killed) {
                        break;
                    }
                    std::vector<std::string> tests;
                    for (const auto& test : day.tests) {
                        const bool is_designed = std::find(mutant.killed_by.begin(), mutant.killed_by.end(),
                                                           test.name) != mutant.killed_by.end();
                        if (is_designed == designed) {
                            tests.push_back(test.name);
                        }
                    }
                    if (tests.empty()) {
                        continue;
                    }
                    GradeRequest request{.bundle = &bundle, .day = &day, .environment = &environment,
                                         .day_dir = *copy, .workspace = workspace, .tests = tests,
                                         .stop_at_first_failure = true,
                                         .rerun_prefix = fmt::format("{} <mutant {}>", rerun, mutant.name)};
                    TRY(graded, grade_submission(request));
                    if (!graded.build_messages.empty()) {
                        kill.problem = "the mutant does not compile (a mutant must build):\n" + graded.build_messages;
                        break;
                    }
                    for (const auto& test : graded.tests) {
                        if (test.outcome != Outcome::pass) {
                            killed = true;
                            const auto entry = fmt::format("{} ({}{})", test.name, to_string(test.outcome),
                                                           designed ? "" : ", not a listed killer");
                            if (std::find(kill.killers.begin(), kill.killers.end(), entry) == kill.killers.end()) {
                                kill.killers.push_back(entry);
                            }
                        }
                    }
                }
                if (!kill.problem.empty()) {
                    break;
                }
                kill.killed_runs += killed ? 1 : 0;
            }
            kills.push_back(kill);
        }
        int killed_always = 0;
        nlohmann::json matrix = nlohmann::json::array();
        for (const auto& kill : kills) {
            const bool ok = kill.problem.empty() && kill.runs > 0 && kill.killed_runs == kill.runs;
            killed_always += ok ? 1 : 0;
            if (!ok) {
                r.ok = false;
                r.details += kill.problem.empty()
                                 ? fmt::format("{} survived: killed in {} of {} runs\n", kill.mutant, kill.killed_runs,
                                               kill.runs)
                                 : fmt::format("{}: {}\n", kill.mutant, kill.problem);
            } else {
                std::string killers;
                for (const auto& k : kill.killers) {
                    killers += (killers.empty() ? "" : "; ") + k;
                }
                r.details += fmt::format("{} killed {}/{} by {}\n", kill.mutant, kill.killed_runs, kill.runs, killers);
            }
            matrix.push_back({{"mutant", kill.mutant},
                              {"runs", kill.runs},
                              {"killed_runs", kill.killed_runs},
                              {"killers", kill.killers},
                              {"problem", kill.problem}});
        }
        r.summary = fmt::format("{} of {} mutants killed in every run", killed_always, kills.size());
        if (kills.empty()) {
            r.ok = false;
            r.details += "grading.yaml lists no mutants: nothing shows the hidden tests catch the classic bugs\n";
        }
        rules.push_back(r);
        record["mutants"] = matrix;
    }

    rules.push_back(rule_handout_clean(bundle, day, solution_listing_before, solution_listing_after));

    // Rule 7: correct designs other than the reference's get full marks, in every run. A hidden test
    // that fails one is a bug in the test: it grades the reference's fingerprint, not the task.
    {
        RuleResult r{7, true, "", ""};
        for (const auto& extra : undeclared_variants(bundle, day, VariantKind::alternative)) {
            r.ok = false;
            r.details += fmt::format("alternatives/{}.patch is not listed in grading.yaml\n", extra);
        }
        int accepted = 0;
        nlohmann::json graded_alternatives = nlohmann::json::array();
        for (const auto& alternative : day.alternatives) {
            const auto copy =
                prepare_variant(bundle, day, VariantKind::alternative, alternative.name, workspace.root / "alternatives");
            if (!copy) {
                r.ok = false;
                r.details += fmt::format("{}: {}\n", alternative.name, copy.error().message);
                continue;
            }
            printer.progress(fmt::format("{}: alternative {} ({} run(s) of every test)", dir, alternative.name,
                                         options.runs));
            GradeRequest request{.bundle = &bundle, .day = &day, .environment = &environment, .day_dir = *copy,
                                 .workspace = workspace, .repeat = options.runs,
                                 .rerun_prefix = fmt::format("{} <alternative {}>", rerun, alternative.name)};
            TRY(graded, grade_submission(request));
            const bool ok = graded.full_marks() && graded.build_messages.empty();
            accepted += ok ? 1 : 0;
            if (ok) {
                r.details += fmt::format("{} gets full marks ({} tests, {} run(s) each)\n", alternative.name,
                                         graded.tests.size(), options.runs);
            } else {
                r.ok = false;
                r.details += fmt::format("{} lost points ({:g}/{:g}): a test rejects a correct design\n{}",
                                         alternative.name, graded.score, graded.max_score, graded.build_messages);
                for (const auto& test : graded.tests) {
                    if (test.outcome != Outcome::pass) {
                        r.details += fmt::format("{}: {}\n{}", test.name, to_string(test.outcome), test.message);
                    }
                }
            }
            graded_alternatives.push_back(
                {{"alternative", alternative.name}, {"score", graded.score}, {"max_score", graded.max_score}});
        }
        if (day.alternatives.size() < 2) {
            r.ok = false;
            r.details += fmt::format("grading.yaml lists {} alternative(s); at least two correct designs other than "
                                     "the reference's show that the tests accept correct code that is not the "
                                     "reference\n",
                                     day.alternatives.size());
        }
        r.summary = fmt::format("{} of {} correct alternative designs get full marks", accepted,
                                day.alternatives.size());
        rules.push_back(r);
        record["alternatives"] = graded_alternatives;
    }
    std::sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) { return a.rule < b.rule; });
    return rules;
}

}  // namespace

int cmd_check(const CheckOptions& options, const Printer& printer) {
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
    std::vector<std::string> days;
    if (options.all || options.days.empty()) {
        days = course->days;
    } else {
        for (const auto& name : options.days) {
            const auto dir = resolve_day(*course, name);
            if (!dir) {
                printer.error(dir.error());
                return exit_usage;
            }
            days.push_back(*dir);
        }
    }
    const auto environment = describe_environment(*bundle);
    if (!environment) {
        printer.error(environment.error());
        return exit_infrastructure;
    }
    bool all_ok = true;
    nlohmann::json report = nlohmann::json::object();
    for (const auto& dir : days) {
        nlohmann::json record = nlohmann::json::object();
        const auto rules = check_day(*bundle, *course, dir, options, *environment, printer, record);
        std::cout << printer.bold(dir) << "\n";
        if (!rules) {
            printer.error(rules.error());
            std::cout << "  " << printer.red("error") << " " << rules.error().message << "\n";
            all_ok = false;
            record["error"] = rules.error().message;
            report[dir] = record;
            continue;
        }
        nlohmann::json rule_json = nlohmann::json::array();
        for (const auto& rule : *rules) {
            all_ok = all_ok && rule.ok;
            std::cout << fmt::format("  {}  rule {}: {}\n", rule.ok ? printer.green("ok  ") : printer.red("FAIL"),
                                     rule.rule, rule.summary);
            std::istringstream details(rule.details);
            for (std::string line; std::getline(details, line);) {
                std::cout << "          " << line << "\n";
            }
            rule_json.push_back({{"rule", rule.rule}, {"ok", rule.ok}, {"summary", rule.summary}, {"details", rule.details}});
        }
        std::cout << std::flush;
        record["rules"] = rule_json;
        report[dir] = record;
    }
    if (options.out) {
        if (const auto written = write_atomic(*options.out, report.dump(2)); !written) {
            printer.error(written.error());
            return exit_infrastructure;
        }
    }
    std::cout << (all_ok ? printer.green("check passed") : printer.red("check FAILED")) << "\n";
    return all_ok ? exit_full_marks : exit_below;
}

}  // namespace grade
