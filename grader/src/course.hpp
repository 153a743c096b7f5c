// The course metadata: exercises/course.yaml, each day's public day.yaml and private grading.yaml.
// yaml is the single source of truth (grader-design §9.9); this is the only yaml-cpp user.
// Every schema error names the file, line and column, and a misspelt key gets "did you mean".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "error.hpp"

namespace grade {

enum class Flavour { release, tsan, asan };
enum class Preload { none, cvdelay, cvspur, cvwake, lockdelay };

std::string to_string(Flavour flavour);
std::string to_string(Preload preload);

struct Limits {
    int test_timeout_s = 20;       // wall seconds per test process
    int build_timeout_s = 900;     // wall seconds for one build of all flavours
    long output_bytes = 1 << 20;   // output kept per test process
    long file_bytes = 1 << 20;     // largest editable file taken from a submission
    // The supervisor's limits (grader-design §5), enforced by the sandbox module on every tier.
    long memory_mb = 512;            // one test process tree (cgroup, else an RSS poller)
    long sanitizer_memory_mb = 1024; // the same under TSan/ASan (shadow memory, ASan's quarantine)
    long build_memory_mb = 2048;     // the build (cgroup for the tree; address space per compiler)
    int threads = 256;               // processes + threads of one test (pids cgroup, RLIMIT_NPROC)
    long disk_mb = 256;              // what one test may write (its private TMPDIR and logs)
    bool network = false;            // loopback-only network for days with sockets (network: loopback)
};

struct TestSpec {
    std::string name;   // GoogleTest full name: Suite.Test
    int task = 0;
    double points = 0;
    bool hidden = false;
    Flavour flavour = Flavour::release;
    int timeout_s = 0;  // 0: the day's default
    int repeat = 1;
    Preload preload = Preload::none;
    bool timing = false;  // a wall-clock verdict: failures are confirmed by reruns
    std::string tsan_options;  // appended to TSAN_OPTIONS for this test ("detect_deadlocks=0")
};

struct TaskSpec {
    int number = 0;
    std::string title;
    std::vector<std::string> hints;
};

struct MutantSpec {
    std::string name;                    // mutants/<name>.patch
    std::vector<std::string> killed_by;  // tests designed to kill it
};

// A correct design that differs from the reference (alternatives/<name>.patch): `grade check`
// requires full marks for it, as it requires every mutant to lose points.
struct AlternativeSpec {
    std::string name;
};

struct DaySpec {
    std::string dir;  // day01-threads-and-races
    int number = 0;
    std::string slug;  // threads-and-races
    std::string title;
    std::vector<std::string> files;  // the editable files
    std::vector<Flavour> flavours;
    std::vector<std::string> libraries;  // extra link libraries
    std::vector<TaskSpec> tasks;
    std::vector<TestSpec> tests;  // public first, then hidden
    std::vector<MutantSpec> mutants;
    std::vector<AlternativeSpec> alternatives;
    bool has_grading = false;  // grading.yaml was found (the bundle has hidden tests)
    Limits limits;

    double max_score() const;
    const TestSpec* find_test(const std::string& name) const;
};

struct CourseSpec {
    int format_version = 1;
    std::string title;
    std::vector<std::string> days;  // directory names in course order
    Limits defaults;
};

// Where a course bundle keeps things: the course repository itself, or an installed bundle.
struct BundlePaths {
    std::filesystem::path root;
    std::filesystem::path course_yaml() const { return root / "exercises" / "course.yaml"; }
    std::filesystem::path template_dir(const std::string& day) const { return root / "templates" / day; }
    std::filesystem::path exercise_dir(const std::string& day) const { return root / "exercises" / day; }
    std::filesystem::path solution_dir(const std::string& day) const { return root / "solutions" / day; }
    std::filesystem::path harness_dir() const { return root / "grader" / "harness"; }
    std::filesystem::path cmake_day_dir() const { return root / "grader" / "cmake" / "day"; }
    std::filesystem::path gdb_dir() const { return root / "grader" / "gdb"; }
};

Result<CourseSpec> load_course(const BundlePaths& bundle);
Result<DaySpec> load_day(const BundlePaths& bundle, const CourseSpec& course, const std::string& dir);

// Parses yaml text; `file` names it in errors. Exposed for tests.
Result<CourseSpec> parse_course(const std::string& text, const std::string& file);
Result<DaySpec> parse_day(const std::string& dir, const std::string& day_yaml, const std::string& day_file,
                          const std::optional<std::string>& grading_yaml, const std::string& grading_file,
                          const Limits& defaults);

// "day3", "day03", "3", "threads-and-races" or "day03-threads-..." to the directory name; an
// unknown name is a usage error listing the days, with "did you mean" when one is close.
Result<std::string> resolve_day(const CourseSpec& course, const std::string& name);

// The number and slug of a directory name like "day03-coordination-primitives".
std::optional<std::pair<int, std::string>> split_day_dir(const std::string& dir);

}  // namespace grade
