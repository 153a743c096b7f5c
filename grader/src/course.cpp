#include "course.hpp"

#include <regex>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "edit_distance.hpp"
#include "util.hpp"
#include "yaml_reader.hpp"

namespace grade {
namespace {

Result<Flavour> parse_flavour(const YamlReader& reader, const YAML::Node& node) {
    const auto text = node.as<std::string>("");
    if (text == "release") {
        return Flavour::release;
    }
    if (text == "tsan") {
        return Flavour::tsan;
    }
    if (text == "asan") {
        return Flavour::asan;
    }
    return fail("{}: unknown build flavour '{}' (release, tsan or asan)", where(reader.file(), node.Mark()), text);
}

Result<Limits> parse_limits(const YamlReader& reader, const YAML::Node& node, Limits limits) {
    if (!node) {
        return limits;
    }
    TRY_VOID(reader.only_keys(node,
                              {"test_timeout", "build_timeout", "output_bytes", "file_bytes", "memory_mb",
                               "sanitizer_memory_mb", "build_memory_mb", "threads", "disk_mb", "network"},
                              "limits"));
    TRY(test_timeout, reader.get_or<int>(node, "test_timeout", limits.test_timeout_s));
    TRY(build_timeout, reader.get_or<int>(node, "build_timeout", limits.build_timeout_s));
    TRY(output_bytes, reader.get_or<long>(node, "output_bytes", limits.output_bytes));
    TRY(file_bytes, reader.get_or<long>(node, "file_bytes", limits.file_bytes));
    limits.test_timeout_s = test_timeout;
    limits.build_timeout_s = build_timeout;
    limits.output_bytes = output_bytes;
    limits.file_bytes = file_bytes;
    TRY(memory_mb, reader.get_or<long>(node, "memory_mb", limits.memory_mb));
    TRY(sanitizer_memory_mb, reader.get_or<long>(node, "sanitizer_memory_mb", limits.sanitizer_memory_mb));
    TRY(build_memory_mb, reader.get_or<long>(node, "build_memory_mb", limits.build_memory_mb));
    TRY(threads, reader.get_or<int>(node, "threads", limits.threads));
    TRY(disk_mb, reader.get_or<long>(node, "disk_mb", limits.disk_mb));
    TRY(network, reader.get_or<std::string>(node, "network", limits.network ? "loopback" : "none"));
    if (network != "none" && network != "loopback") {
        return fail("{}: network must be none or loopback, not '{}'", where(reader.file(), node["network"].Mark()),
                    network);
    }
    if (memory_mb < 16 || sanitizer_memory_mb < 16 || build_memory_mb < 64 || threads < 4 || disk_mb < 1) {
        return fail("{}: a memory, thread or disk limit is too small to run anything", where(reader.file(), node.Mark()));
    }
    limits.memory_mb = memory_mb;
    limits.sanitizer_memory_mb = sanitizer_memory_mb;
    limits.build_memory_mb = build_memory_mb;
    limits.threads = threads;
    limits.disk_mb = disk_mb;
    limits.network = network == "loopback";
    return limits;
}

Result<TestSpec> parse_test(const YamlReader& reader, const YAML::Node& node, bool hidden) {
    TRY_VOID(reader.only_keys(node,
                              {"name", "task", "points", "flavour", "timeout", "repeat", "preload", "timing",
                               "tsan_options"},
                              hidden ? "a hidden test" : "a public test"));
    TestSpec test;
    test.hidden = hidden;
    TRY(name, reader.get<std::string>(node, "name", "a test"));
    if (name.find('_') != std::string::npos || name.find('.') == std::string::npos) {
        return fail("{}: test name '{}' must be a GoogleTest full name Suite.Test without underscores",
                    where(reader.file(), node["name"].Mark()), name);
    }
    test.name = name;
    TRY(task, reader.get<int>(node, "task", fmt::format("test {}", name)));
    TRY(points, reader.get<double>(node, "points", fmt::format("test {}", name)));
    if (points < 0) {
        return fail("{}: test {} has negative points", where(reader.file(), node["points"].Mark()), name);
    }
    test.task = task;
    test.points = points;
    if (node["flavour"]) {
        TRY(flavour, parse_flavour(reader, node["flavour"]));
        test.flavour = flavour;
    }
    TRY(timeout, reader.get_or<int>(node, "timeout", 0));
    TRY(repeat, reader.get_or<int>(node, "repeat", 1));
    TRY(timing, reader.get_or<bool>(node, "timing", false));
    TRY(preload, reader.get_or<std::string>(node, "preload", "none"));
    TRY(tsan_options, reader.get_or<std::string>(node, "tsan_options", ""));
    // Only plain name=value pairs: the grader's own TSAN_OPTIONS (log_path, exitcode) must stay.
    static const std::regex option_list(R"(^([a-z_]+=[A-Za-z0-9_]+)(:[a-z_]+=[A-Za-z0-9_]+)*$)");
    if (!tsan_options.empty() && !std::regex_match(tsan_options, option_list)) {
        return fail("{}: test {}: tsan_options must be name=value pairs separated by ':' (detect_deadlocks=0)",
                    where(reader.file(), node["tsan_options"].Mark()), name);
    }
    static const std::regex graders_own(R"((^|:)(log_path|exitcode|halt_on_error)=)");
    if (std::regex_search(tsan_options, graders_own)) {
        return fail("{}: test {}: tsan_options may not change log_path, exitcode or halt_on_error (the grader reads "
                    "its verdicts through them)",
                    where(reader.file(), node["tsan_options"].Mark()), name);
    }
    test.tsan_options = tsan_options;
    if (repeat < 1 || timeout < 0) {
        return fail("{}: test {} needs repeat >= 1 and timeout >= 0", where(reader.file(), node.Mark()), name);
    }
    test.timeout_s = timeout;
    test.repeat = repeat;
    test.timing = timing;
    if (preload == "cvdelay") {
        test.preload = Preload::cvdelay;
    } else if (preload == "cvspur") {
        test.preload = Preload::cvspur;
    } else if (preload == "cvwake") {
        test.preload = Preload::cvwake;
    } else if (preload == "lockdelay") {
        test.preload = Preload::lockdelay;
    } else if (preload != "none") {
        return fail("{}: unknown preload '{}' (cvdelay, cvspur, cvwake or lockdelay)",
                    where(reader.file(), node["preload"].Mark()), preload);
    }
    return test;
}

Result<std::vector<TestSpec>> parse_tests(const YamlReader& reader, const YAML::Node& list, bool hidden) {
    std::vector<TestSpec> tests;
    if (!list) {
        return tests;
    }
    if (!list.IsSequence()) {
        return fail("{}: expected a list of tests", where(reader.file(), list.Mark()));
    }
    for (const auto& node : list) {
        TRY(test, parse_test(reader, node, hidden));
        tests.push_back(std::move(test));
    }
    return tests;
}

}  // namespace

std::string to_string(Flavour flavour) {
    switch (flavour) {
        case Flavour::release:
            return "release";
        case Flavour::tsan:
            return "tsan";
        case Flavour::asan:
            return "asan";
    }
    return "release";
}

std::string to_string(Preload preload) {
    switch (preload) {
        case Preload::none:
            return "none";
        case Preload::cvdelay:
            return "cvdelay";
        case Preload::cvspur:
            return "cvspur";
        case Preload::cvwake:
            return "cvwake";
        case Preload::lockdelay:
            return "lockdelay";
    }
    return "none";
}

double DaySpec::max_score() const {
    double total = 0;
    for (const auto& test : tests) {
        total += test.points;
    }
    return total;
}

const TestSpec* DaySpec::find_test(const std::string& name) const {
    for (const auto& test : tests) {
        if (test.name == name) {
            return &test;
        }
    }
    return nullptr;
}

std::optional<std::pair<int, std::string>> split_day_dir(const std::string& dir) {
    if (dir.size() < 7 || dir.rfind("day", 0) != 0 || !std::isdigit(static_cast<unsigned char>(dir[3])) ||
        !std::isdigit(static_cast<unsigned char>(dir[4])) || dir[5] != '-') {
        return std::nullopt;
    }
    return std::pair{std::stoi(dir.substr(3, 2)), dir.substr(6)};
}

Result<CourseSpec> parse_course(const std::string& text, const std::string& file) {
    const YamlReader reader(file);
    TRY(root, reader.parse(text));
    TRY_VOID(reader.only_keys(root, {"format_version", "title", "days", "defaults"}, "course.yaml"));
    CourseSpec course;
    TRY(version, reader.get<int>(root, "format_version", "course.yaml"));
    if (version != 1) {
        return fail("{}: format_version {} is not understood by this grader (it reads 1)",
                    where(file, root["format_version"].Mark()), version);
    }
    course.format_version = version;
    TRY(title, reader.get<std::string>(root, "title", "course.yaml"));
    course.title = title;
    TRY(days, reader.get<std::vector<std::string>>(root, "days", "course.yaml"));
    std::set<int> numbers;
    for (const auto& day : days) {
        const auto parts = split_day_dir(day);
        if (!parts) {
            return fail("{}: day '{}' is not named dayNN-slug", where(file, root["days"].Mark()), day);
        }
        if (!numbers.insert(parts->first).second) {
            return fail("{}: two days have the number {}", where(file, root["days"].Mark()), parts->first);
        }
    }
    course.days = days;
    if (const auto defaults = root["defaults"]) {
        TRY_VOID(reader.only_keys(defaults, {"limits"}, "defaults"));
        TRY(limits, parse_limits(reader, defaults["limits"], course.defaults));
        course.defaults = limits;
    }
    return course;
}

Result<DaySpec> parse_day(const std::string& dir, const std::string& day_yaml, const std::string& day_file,
                          const std::optional<std::string>& grading_yaml, const std::string& grading_file,
                          const Limits& defaults) {
    const YamlReader reader(day_file);
    TRY(root, reader.parse(day_yaml));
    TRY_VOID(reader.only_keys(root, {"title", "files", "flavours", "libraries", "tasks", "public_tests"},
                              "day.yaml"));
    DaySpec day;
    day.dir = dir;
    const auto parts = split_day_dir(dir);
    if (!parts) {
        return fail("{}: the day directory '{}' is not named dayNN-slug", day_file, dir);
    }
    day.number = parts->first;
    day.slug = parts->second;
    day.limits = defaults;
    TRY(title, reader.get<std::string>(root, "title", "day.yaml"));
    day.title = title;
    TRY(files, reader.get<std::vector<std::string>>(root, "files", "day.yaml"));
    for (const auto& f : files) {
        if (f.empty() || f.find('/') != std::string::npos || f.rfind('.', 0) == 0) {
            return fail("{}: editable file '{}' must be a plain file name in the day's directory",
                        where(day_file, root["files"].Mark()), f);
        }
    }
    day.files = files;
    TRY(libraries, reader.get_or<std::vector<std::string>>(root, "libraries", {}));
    day.libraries = libraries;
    if (const auto flavours = root["flavours"]) {
        for (const auto& node : flavours) {
            TRY(flavour, parse_flavour(reader, node));
            day.flavours.push_back(flavour);
        }
    } else {
        day.flavours = {Flavour::release};
    }
    if (const auto tasks = root["tasks"]) {
        for (const auto& node : tasks) {
            TRY_VOID(reader.only_keys(node, {"number", "title", "hints"}, "a task"));
            TaskSpec task;
            TRY(number, reader.get<int>(node, "number", "a task"));
            TRY(task_title, reader.get<std::string>(node, "title", "a task"));
            TRY(hints, reader.get_or<std::vector<std::string>>(node, "hints", {}));
            task.number = number;
            task.title = task_title;
            task.hints = hints;
            day.tasks.push_back(std::move(task));
        }
    }
    TRY(public_tests, parse_tests(reader, root["public_tests"], false));
    day.tests = public_tests;

    if (grading_yaml) {
        const YamlReader private_reader(grading_file);
        TRY(grading, private_reader.parse(*grading_yaml));
        TRY_VOID(private_reader.only_keys(grading, {"hidden_tests", "mutants", "alternatives", "limits"},
                                          "grading.yaml"));
        TRY(hidden, parse_tests(private_reader, grading["hidden_tests"], true));
        day.tests.insert(day.tests.end(), hidden.begin(), hidden.end());
        TRY(limits, parse_limits(private_reader, grading["limits"], day.limits));
        day.limits = limits;
        if (const auto mutants = grading["mutants"]) {
            for (const auto& node : mutants) {
                TRY_VOID(private_reader.only_keys(node, {"name", "killed_by"}, "a mutant"));
                MutantSpec mutant;
                TRY(name, private_reader.get<std::string>(node, "name", "a mutant"));
                TRY(killed_by, private_reader.get<std::vector<std::string>>(node, "killed_by", "mutant " + name));
                mutant.name = name;
                mutant.killed_by = killed_by;
                day.mutants.push_back(std::move(mutant));
            }
        }
        if (const auto alternatives = grading["alternatives"]) {
            for (const auto& node : alternatives) {
                TRY_VOID(private_reader.only_keys(node, {"name"}, "an alternative"));
                TRY(name, private_reader.get<std::string>(node, "name", "an alternative"));
                day.alternatives.push_back({name});
            }
        }
        day.has_grading = true;
    }

    std::set<std::string> names;
    std::set<int> task_numbers;
    for (const auto& task : day.tasks) {
        task_numbers.insert(task.number);
    }
    for (const auto& test : day.tests) {
        if (!names.insert(test.name).second) {
            return fail("{}: test {} is declared twice", test.hidden ? grading_file : day_file, test.name);
        }
        if (!task_numbers.contains(test.task)) {
            return fail("{}: test {} names task {}, which day.yaml does not list",
                        test.hidden ? grading_file : day_file, test.name, test.task);
        }
        if (std::find(day.flavours.begin(), day.flavours.end(), test.flavour) == day.flavours.end()) {
            return fail("{}: test {} runs in flavour {}, which day.yaml's flavours do not build",
                        test.hidden ? grading_file : day_file, test.name, to_string(test.flavour));
        }
    }
    for (const auto& mutant : day.mutants) {
        for (const auto& killer : mutant.killed_by) {
            if (!names.contains(killer)) {
                return fail("{}: mutant {} names killer {}, which is not a declared test", grading_file,
                            mutant.name, killer);
            }
        }
    }
    return day;
}

namespace {

Result<std::string> read_text(const std::filesystem::path& path) {
    auto text = read_file(path);
    if (!text) {
        return fail("{}: cannot read the file", path.string());
    }
    return *text;
}

}  // namespace

Result<CourseSpec> load_course(const BundlePaths& bundle) {
    TRY(text, read_text(bundle.course_yaml()));
    return parse_course(text, bundle.course_yaml().string());
}

Result<DaySpec> load_day(const BundlePaths& bundle, const CourseSpec& course, const std::string& dir) {
    const auto day_file = bundle.template_dir(dir) / "day.yaml";
    TRY(day_text, read_text(day_file));
    const auto grading_file = bundle.exercise_dir(dir) / "grading.yaml";
    std::optional<std::string> grading_text;
    if (std::filesystem::exists(grading_file)) {
        TRY(text, read_text(grading_file));
        grading_text = text;
    }
    return parse_day(dir, day_text, day_file.string(), grading_text, grading_file.string(), course.defaults);
}

Result<std::string> resolve_day(const CourseSpec& course, const std::string& name) {
    std::vector<std::string> spellings;
    for (const auto& dir : course.days) {
        const auto parts = split_day_dir(dir);
        const std::vector<std::string> aliases = {dir, parts->second, fmt::format("day{}", parts->first),
                                                  fmt::format("day{:02}", parts->first),
                                                  std::to_string(parts->first), fmt::format("{:02}", parts->first)};
        for (const auto& alias : aliases) {
            if (alias == name) {
                return dir;
            }
        }
        spellings.push_back(dir);
        spellings.push_back(parts->second);
        spellings.push_back(fmt::format("day{}", parts->first));
    }
    std::string message = fmt::format("unknown day '{}'.", name);
    const auto near = closest(name, spellings, 1);
    if (!near.empty()) {
        message += fmt::format(" Did you mean '{}'?", near.front());
    }
    message += " The days are:";
    for (const auto& dir : course.days) {
        message += fmt::format("\n  day{:<3} {}", split_day_dir(dir)->first, dir);
    }
    return tl::unexpected(Error{ErrorKind::usage, message});
}

}  // namespace grade
