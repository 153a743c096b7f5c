#!/usr/bin/env python3
"""End-to-end test of `grade batch` on a roster of 30 student repositories (grader-design §6).

The repositories are made the way a course makes them, with `grade init` from the fixture course's
templates (tests/e2e/bundle), then changed and committed with the git program as a student would:
solved, partly solved, racy, crashing, hanging (a self-deadlock and a busy loop), not compiling,
forged output, late, rewritten after the deadline, committed to after the deadline (ignored), an
extension, an empty repository, one without the day's files, and an unreachable URL; the roster
also has a duplicate student and malformed entries. Every student's files differ (a comment with
their id), as real submissions do, so nothing is shared through the result cache by accident.

The test fetches twice around a deadline, grades with two jobs, writes the report, and checks the
gradebook row by row against what each submission must get. With --kills N the grading is killed
(SIGKILL) at random moments N times and resumed each time; the gradebook must still be right and no
test may finish twice (GRADE_TRACE_TESTS, written by the grader as each test finishes). With
--compare an uninterrupted grading comes first and the killed one grades a copy of the snapshot,
whose gradebook must equal the first (a benchmark: it grades everything twice). --kills 0 prints the
throughput; --memory N measures the grader's peak memory at N roster entries.

Usage: batch_e2e.py --grade PATH [--work DIR] [--kills N] [--compare] [--jobs N] [--seed N] [--memory N]
"""
import argparse
import collections
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLE = os.path.join(HERE, "..", "e2e", "bundle")
SUBMISSIONS = os.path.join(HERE, "..", "e2e", "submissions")
SOLUTION = os.path.join(BUNDLE, "solutions", "day01-fixture")
DAY = "day01-fixture"
FULL = 15

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message, flush=True)


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="Student", GIT_AUTHOR_EMAIL="s@example.invalid",
               GIT_COMMITTER_NAME="Student", GIT_COMMITTER_EMAIL="s@example.invalid")
    subprocess.run(["git", "-C", repo, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def grade(args, *extra, check_rc=None, env=None):
    run_env = dict(os.environ, GRADE_BUNDLE=os.path.abspath(BUNDLE), **(env or {}))
    done = subprocess.run([args.grade, *extra, "--color", "never"], env=run_env, capture_output=True, text=True)
    if check_rc is not None and done.returncode not in check_rc:
        print(done.stdout, done.stderr)
        raise SystemExit(f"grade {' '.join(extra)}: exit {done.returncode}, expected {check_rc}")
    return done


def overlay(repo, name, student):
    """The files of submission `name` (a fixture overlay, 'solution' or 'stub') with the student's mark."""
    day = os.path.join(repo, DAY)
    if name != "stub":
        for f in os.listdir(SOLUTION):
            shutil.copy(os.path.join(SOLUTION, f), os.path.join(day, f))
    if name not in ("stub", "solution"):
        for f in os.listdir(os.path.join(SUBMISSIONS, name)):
            shutil.copy(os.path.join(SUBMISSIONS, name, f), os.path.join(day, f))
    with open(os.path.join(day, "counter.cpp"), "a") as out:
        out.write(f"// {student}\n")


# student -> (what is committed before the first fetch, expected score, expected flags)
PLAN = {}
for i in range(1, 13):
    PLAN[f"s{i:02}"] = ("solution", FULL, {})
for i in range(13, 17):
    PLAN[f"s{i:02}"] = ("stub", 4, {})
PLAN.update({
    "s17": ("racy", "<", {"outcome": "sanitizer"}),     # its score depends on the schedule
    "s18": ("crash", "<", {"outcome": "crash"}),
    "s19": ("busy", "<", {}),
    "s20": ("self-deadlock", "<", {"outcome": "deadlock"}),
    "s21": ("broken", 0, {"outcome": "build_error"}),
    "s22": ("forged", "<", {}),
    "s23": (None, FULL, {"late": "yes"}),               # unreachable at the deadline, pushed later
    "s24": ("solution", FULL, {"rewritten": "yes"}),    # history rewritten after the deadline
    "s25": ("stub", 4, {}),                             # solved only after the deadline: ignored
    "s26": ("stub", FULL, {}),                          # the same, with a 1-day extension
    "s27": ("empty", 0, {"reason": "empty repository"}),
    "s28": ("no-day", 0, {"reason": "has no directory"}),
    "s29": ("unreachable", 0, {"reason": "no repository at"}),
    "s30": ("solution", FULL, {}),
    "s31": ("misspelt", 0, {"reason": "did you mean 'branch'"}),  # a roster entry with a misspelt key
})
SCHEDULE_DEPENDENT = {"s17"}


def make_repos(args, root):
    repos = os.path.join(root, "repos")
    for student, (what, _, _) in PLAN.items():
        repo = os.path.join(repos, student)
        if what in (None, "unreachable", "misspelt"):
            continue
        if what == "empty":
            subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
            continue
        if what == "no-day":
            os.makedirs(repo)
            subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
            with open(os.path.join(repo, "README.md"), "w") as out:
                out.write("I put my work somewhere else.\n")
            git(repo, "add", "-A")
            git(repo, "commit", "-qm", "readme")
            continue
        grade(args, "init", repo, check_rc=[0])
        overlay(repo, what, student)
        git(repo, "commit", "-qam", f"work on {what}")
    return repos


def write_roster(root, deadline):
    lines = [f"title: Fixture batch\ndeadline: {deadline}\ndays: [day1]\nstudents:\n"]
    for student, (what, _, _) in PLAN.items():
        if what == "misspelt":
            lines.append(f"  - id: {student}\n    repo: repos/s03\n    brnch: main\n")
            continue
        lines.append(f"  - id: {student}\n    repo: repos/{student}\n")
        if student == "s26":
            lines.append("    extension_days: 1\n")
    lines.append("  - id: s01\n    repo: repos/s02\n")            # duplicate student
    lines.append("  - repo: repos/s03\n")                         # no id
    with open(os.path.join(root, "roster.yaml"), "w") as out:
        out.write("".join(lines))


def after_deadline_changes(args, repos):
    s23 = os.path.join(repos, "s23")
    grade(args, "init", s23, check_rc=[0])
    overlay(s23, "solution", "s23")
    git(s23, "commit", "-qam", "finally")
    s24 = os.path.join(repos, "s24")
    git(s24, "reset", "-q", "--hard", "HEAD~1")
    overlay(s24, "stub", "s24-rewritten")
    git(s24, "commit", "-qam", "the same work, honestly")
    for student in ("s25", "s26"):
        repo = os.path.join(repos, student)
        overlay(repo, "solution", student + "-later")
        git(repo, "commit", "-qam", "solved after the deadline")


def read_gradebook(snap):
    with open(os.path.join(snap, "report", "gradebook.csv")) as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def check_gradebook(snap):
    rows = read_gradebook(snap)
    check(sorted(rows) == sorted(PLAN), f"one row per student: {sorted(rows)}")
    for student, (what, score, flags) in PLAN.items():
        row = rows.get(student)
        if row is None:
            continue
        got = float(row[DAY] or 0)
        if score == "<":
            check(got < FULL, f"{student} ({what}) scored {got}, below {FULL} expected")
        else:
            check(got == score, f"{student} ({what}) scored {got}, expected {score}")
        check(row["late"] == flags.get("late", "no"), f"{student}: late={row['late']}")
        check(row["rewritten_history"] == flags.get("rewritten", "no"), f"{student}: rewritten={row['rewritten_history']}")
        if "reason" in flags:
            check(flags["reason"] in row["notes"], f"{student}: notes {row['notes']!r} lack {flags['reason']!r}")
        with open(os.path.join(snap, "report", "students", student + ".json")) as f:
            detail = json.load(f)
        if "outcome" in flags:
            outcomes = {t["extra_data"]["outcome"] for t in detail["days"][DAY]["result"]["tests"]}
            check(flags["outcome"] in outcomes, f"{student}: outcomes {outcomes} lack {flags['outcome']}")
        check(os.path.exists(os.path.join(snap, "report", "students", student + ".md")), f"{student}.md missing")
    with open(os.path.join(snap, "report", "summary.md")) as f:
        summary = f.read()
    for needle in ("listed twice", "without an id", "did you mean 'branch'", "Most failed tests", "Rewritten history"):
        check(needle in summary, f"summary.md lacks {needle!r}")
    return rows


def run_until_done(args, snap, kills, env, rng):
    """Grades snap, killing the batch `kills` times at random moments and resuming."""
    restarts = 0
    while True:
        extra = ["--resume"] if os.path.exists(os.path.join(snap, "runs.jsonl")) else []
        run_env = dict(os.environ, GRADE_BUNDLE=os.path.abspath(BUNDLE), **env)
        proc = subprocess.Popen([args.grade, "batch", "run", snap, "--jobs", str(args.jobs), "--color", "never", *extra],
                                env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if restarts < kills:
            try:
                proc.wait(timeout=rng.uniform(3, 25))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                restarts += 1
                print(f"killed the batch ({restarts}/{kills}); resuming", flush=True)
                continue
        _, err = proc.communicate()
        if proc.returncode not in (0, 1):
            raise SystemExit(f"batch run exit {proc.returncode}:\n{err}")
        return restarts


def check_graded_once(trace, restarts):
    """No test finished twice across the kills (GRADE_TRACE_TESTS: one line per finished test)."""
    with open(trace) as f:
        finished = [tuple(line.split()[:2]) for line in f if line.strip()]
    twice = [k for k, n in collections.Counter(finished).items() if n > 1]
    check(not twice, f"tests graded twice after resuming: {twice[:5]}")
    print(f"killed {restarts} time(s) and resumed: {len(finished)} tests finished, {len(twice)} twice", flush=True)


def peak_rss_mib(command, env):
    """Runs command, sampling the grader's own peak resident set (VmHWM; its children excluded)."""
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)
    _, err = proc.communicate()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)}: exit {proc.returncode}\n{err[-2000:]}")
    return peak / 1024


def measure_memory(args, root, entries):
    """Peak memory of fetch, run and report at `entries` roster entries (one real grading: every
    entry is the same repository, so the rest are result-cache hits; the grader's own memory is
    what grows with the roster)."""
    repo = os.path.join(root, "repos", "one")
    grade(args, "init", repo, check_rc=[0])
    overlay(repo, "solution", "one")
    git(repo, "commit", "-qam", "solved")
    with open(os.path.join(root, "roster.yaml"), "w") as out:
        out.write("deadline: 2099-01-01T00:00:00Z\ndays: [day1]\nstudents:\n")
        for i in range(entries):
            out.write(f"  - id: student{i:04}\n    repo: repos/one\n")
    env = dict(os.environ, GRADE_BUNDLE=os.path.abspath(BUNDLE))
    for step, command in (("fetch", ["batch", "fetch", "roster.yaml", "--out", "snap"]),
                          ("run", ["batch", "run", "snap", "--jobs", "2"]),
                          ("report", ["batch", "report", "snap"])):
        started = time.monotonic()
        peak = peak_rss_mib([args.grade, *command, "--color", "never"], env)
        print(f"{entries} entries: batch {step}: peak RSS {peak:.1f} MiB, {time.monotonic() - started:.0f} s", flush=True)
    rows = read_gradebook("snap")
    check(len(rows) == entries and all(float(r[DAY]) == FULL for r in rows.values()),
          f"{entries} rows of full marks in the gradebook")


def check_ci(args, root):
    """`grade ci` grades the days a branch changed, fails below full marks, and annotates."""
    repo = os.path.join(root, "ci-repo")
    grade(args, "init", repo, check_rc=[0])
    nothing = subprocess.run([args.grade, "ci", "--base", "main", "--color", "never"], cwd=repo, capture_output=True,
                             text=True, env=dict(os.environ, GRADE_BUNDLE=os.path.abspath(BUNDLE)))
    check(nothing.returncode == 0 and "no day changed since main" in nothing.stderr,
          f"grade ci without changes: {nothing.returncode} {nothing.stderr}")
    git(repo, "checkout", "-qb", "work")
    overlay(repo, "broken", "ci")
    git(repo, "commit", "-qam", "half done")
    done = subprocess.run([args.grade, "ci", "--base", "main", "--format", "github", "--out", "ci-out", "--color", "never"],
                          cwd=repo, capture_output=True, text=True,
                          env=dict(os.environ, GRADE_BUNDLE=os.path.abspath(BUNDLE)))
    check(done.returncode == 1, f"grade ci below full marks exits 1, got {done.returncode}: {done.stderr[-500:]}")
    check("::error file=day01-fixture/counter.cpp,line=4," in done.stdout, f"an annotation on the broken line:\n{done.stdout[:800]}")
    check("::notice title=Points::Points 0/15 (day01-fixture)" in done.stdout, "the points notice")
    check(os.path.exists(os.path.join(repo, "ci-out", DAY + ".xml")), "grade ci --out writes JUnit")
    overlay(repo, "solution", "ci")   # uncommitted work counts too
    fixed = subprocess.run([args.grade, "ci", "--base", "main", "--color", "never"], cwd=repo, capture_output=True,
                           text=True, env=dict(os.environ, GRADE_BUNDLE=os.path.abspath(BUNDLE)))
    check(fixed.returncode == 0, f"grade ci at full marks exits 0, got {fixed.returncode}: {fixed.stderr[-500:]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--grade", required=True)
    parser.add_argument("--work", default=None)
    parser.add_argument("--kills", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--compare", action="store_true",
                        help="grade once uninterrupted, then a copy with the kills; the gradebooks must agree")
    parser.add_argument("--memory", type=int, default=0, help="only measure peak memory at this many roster entries")
    args = parser.parse_args()
    args.grade = os.path.abspath(args.grade)
    root = os.path.abspath(args.work or os.path.join(os.environ.get("TMPDIR", "/tmp"), f"grade-batch-{os.getpid()}"))
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    os.environ.setdefault("GRADE_CACHE", os.path.join(root, "cache"))
    os.chdir(root)
    rng = random.Random(args.seed)

    if args.memory:
        measure_memory(args, root, args.memory)
        return 1 if failures else 0

    check_ci(args, root)
    repos = make_repos(args, root)
    write_roster(root, "2099-01-01T00:00:00Z")
    first = grade(args, "batch", "fetch", "roster.yaml", "--out", "snap", check_rc=[1])  # s23, s27-s29 fail
    check("listed twice" in first.stderr, "fetch warns about the duplicate student")
    # The deadline falls between the two fetches.
    time.sleep(1.2)
    deadline = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time()))
    time.sleep(1.2)
    write_roster(root, deadline)
    after_deadline_changes(args, repos)
    second = grade(args, "batch", "fetch", "roster.yaml", "--out", "snap", check_rc=[1])
    check("s24: history rewritten" in second.stderr, f"second fetch flags s24's rewrite:\n{second.stderr}")
    if args.compare:
        shutil.copytree("snap", "snap-resumed")

    # The graded run: killed `--kills` times at random moments and resumed, unless --compare asks
    # for an uninterrupted run first (then the killed one grades a copy and must give its gradebook).
    kills_here = 0 if args.compare else args.kills
    trace = os.path.join(root, "trace-straight.txt")
    started = time.monotonic()
    restarts = run_until_done(args, "snap", kills_here, {"GRADE_TRACE_TESTS": trace}, rng)
    took = time.monotonic() - started
    again = grade(args, "batch", "run", "snap", check_rc=[2])
    check("--resume" in again.stderr, "a second run without --resume explains --resume and --fresh")
    grade(args, "batch", "report", "snap", check_rc=[0])
    rows = check_gradebook("snap")
    check(restarts == kills_here, f"the batch was killed {restarts} of {kills_here} times (it finished first)")
    check_graded_once(trace, restarts)
    if restarts == 0:
        print(f"straight run: {len(rows)} rows in {took:.0f} s with --jobs {args.jobs} "
              f"({len(PLAN) / took * 60:.1f} submissions/min)", flush=True)

    if args.compare and args.kills > 0:
        trace = os.path.join(root, "trace-resumed.txt")
        restarts = run_until_done(args, "snap-resumed", args.kills, {"GRADE_TRACE_TESTS": trace}, rng)
        grade(args, "batch", "report", "snap-resumed", check_rc=[0])
        resumed = read_gradebook("snap-resumed")
        check_gradebook("snap-resumed")
        # The racy counter's lost updates depend on the schedule, so its score may differ between two
        # gradings (its data race is always reported); every other row must be the same.
        def comparable(book):
            return {k: {c: v for c, v in row.items() if k not in SCHEDULE_DEPENDENT or c not in (DAY, "total")}
                    for k, row in book.items()}
        straight_rows, resumed_rows = comparable(rows), comparable(resumed)
        differ = [f"  straight: {rows.get(k)}\n  resumed:  {resumed.get(k)}"
                  for k in sorted(set(rows) | set(resumed)) if straight_rows.get(k) != resumed_rows.get(k)]
        check(not differ, "the resumed gradebook equals the straight one" + "".join("\n" + d for d in differ))
        check_graded_once(trace, restarts)
        print(f"gradebooks identical: {not differ}", flush=True)

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("batch end-to-end: all checks passed")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
