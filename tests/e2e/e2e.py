#!/usr/bin/env python3
"""End-to-end tests of the real `grade` binary on the fixture course in tests/e2e/bundle.

Each case runs grade with fixed arguments and a fixed seed, normalises what varies between runs
(times, digests, versions, pids, addresses, temporary paths), and compares stdout with
golden/<case>.txt. In a golden file a line `...` matches any number of lines (for parts such as
sanitizer stack excerpts, whose thread order the runtime may change). The exit status is checked
too. `--update` rewrites the golden files from the current output; read the diff before committing.

Usage: e2e.py --grade PATH [--case NAME ...] [--update] [--list]
"""
import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLE = os.path.join(HERE, "bundle")
SUBMISSIONS = os.path.join(HERE, "submissions")
GOLDEN = os.path.join(HERE, "golden")


# Each submission is the reference solution changed as little as needed: files from
# submissions/<name>/ laid over it, files removed, or files replaced by symbolic links.
SUBMISSION_CHANGES = {
    "missing": {"remove": ["counter.cpp"]},
    "symlink": {"symlink": {"counter.cpp": "/etc/hostname"}},
}


def make_submission(name, root):
    """Builds the submission `name` under root/name/day01-fixture and returns root/name."""
    day = os.path.join(root, name, "day01-fixture")
    shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    shutil.copytree(os.path.join(BUNDLE, "solutions", "day01-fixture"), day)
    overlay = os.path.join(SUBMISSIONS, name)
    if os.path.isdir(overlay):
        for file in os.listdir(overlay):
            shutil.copy(os.path.join(overlay, file), os.path.join(day, file))
    changes = SUBMISSION_CHANGES.get(name, {})
    for file in changes.get("remove", []):
        os.unlink(os.path.join(day, file))
    for file, target in changes.get("symlink", {}).items():
        os.unlink(os.path.join(day, file))
        os.symlink(target, os.path.join(day, file))
    return os.path.join(root, name)


def grade_day(submission, *extra):
    return ["day1", "--repo", "@" + submission, "--seed", "42", "--color", "never", *extra]


# name -> (arguments, expected exit status, check): check "golden" compares stdout with the golden
# file, "json" validates the Gradescope format, "stderr" compares stderr instead of stdout,
# ("contains", [lines]) requires each text in stdout.
CASES = {
    "correct": (grade_day("correct"), 0, "golden"),
    # Only the TSan test: whether lost updates show without TSan is up to the scheduler.
    "racy": (grade_day("racy", "--test", "CounterHidden.NoDataRace"), 1, "golden"),
    "self-deadlock": (grade_day("self-deadlock"), 1, "golden"),
    # Without the tsan test: TSan may report the null write as a race before the crash.
    "crash": (grade_day("crash", "--test", "CounterPublic.AddsSequentially", "--test", "CounterHidden.AddReturns"), 1,
              "golden"),
    "exit-zero": (grade_day("exit-zero"), 1, "golden"),
    "forged": (grade_day("forged"), 1, "golden"),
    "broken": (grade_day("broken"), 1, "golden"),
    "missing": (grade_day("missing"), 1, "golden"),
    "symlink": (grade_day("symlink"), 1, "golden"),
    "busy": (grade_day("busy", "--test", "CounterHidden.AddReturns"), 1, "golden"),
    "only-public": (grade_day("correct", "--only", "public"), 0, "golden"),
    "json": (grade_day("racy", "--format", "json"), 1, "json"),
    # CI formats: an annotation on the student's line (the compiler's, the deadlock's), the points.
    "github-broken": (grade_day("broken", "--format", "github"), 1, "golden"),
    "github-deadlock": (grade_day("self-deadlock", "--test", "CounterPublic.AddsSequentially", "--format", "github"), 1,
                        "golden"),
    "junit": (grade_day("self-deadlock", "--test", "CounterPublic.AddsSequentially", "--test",
                        "CounterPublic.StartsAtZero", "--format", "junit"), 1, "golden"),
    "unknown-day": (["day9"], 2, "stderr"),
    "misspelt-command": (["chek"], 2, "stderr"),
    "unknown-test": (grade_day("correct", "--test", "CounterHidden.FourThreadsLoseNothng"), 2, "stderr"),
    "malformed-yaml": (grade_day("correct"), 3, "stderr"),
    # The same cache used by a second copy of the course (another checkout sharing GRADE_CACHE):
    # the build tree configured from the first copy's sources is reconfigured, not refused.
    "moved-bundle": (grade_day("correct", "--only", "public"), 0, "golden"),
    # An official run refuses a weaker sandbox than it asks for (forced down here, so on any host).
    "min-tier": (grade_day("correct", "--max-tier", "none", "--min-tier", "D"), 3, "stderr"),
    "list": (["list", "--repo", "@correct", "--color", "never"], 0, "golden"),
    # Asked three times: one level more each time, then the last one again.
    "hint": ([["hint", "day1", "1", "--color", "never"]] * 3, 0, "golden"),
    "hint-unknown-task": (["hint", "day1", "7"], 2, "stderr"),
    "check": (["check", "day1", "--color", "never"], 0, "golden"),
    # Rule 7 must be able to fail: an "alternative" the tests rightly reject (it is the no-lock
    # mutant) makes the check fail and says which test rejected it.
    # (Which tests reject it, and with which numbers, is up to the scheduler: the lines checked are
    # the rule's verdict and the alternative named as rejected.)
    "check-rejected-alternative": (["check", "day1", "--color", "never"], 1,
                                   ("contains", ["  FAIL  rule 7: 2 of 3 correct alternative designs get full marks",
                                                 "a03-not-really-correct lost points",
                                                 "  ok    rule 5: 3 of 3 mutants killed in every run"])),
}

NORMALISE = [
    (re.compile(r"\(\d+\.\d s\)"), "(T s)"),
    (re.compile(r'time="\d+\.\d+"'), 'time="T"'),
    (re.compile(r'name="sandbox_tier" value="(?:[A-D]|none)"'), 'name="sandbox_tier" value="TIER"'),
    (re.compile(r'name="commit" value="[0-9a-f]*"'), 'name="commit" value="COMMIT"'),
    (re.compile(r"sha256:[0-9a-f]+"), "sha256:DIGEST"),
    (re.compile(r"g\+\+ \d+(\.\d+)*"), "g++ VERSION"),
    (re.compile(r"grader \d+\.\d+\.\d+"), "grader VERSION"),
    # The sandbox tier is the host's (grade doctor); its warnings name the host's missing layers.
    (re.compile(r"sandbox: (A|B|C|D|none)\n(warning: .*\n)*"), "sandbox: TIER\n"),
    (re.compile(r"pid=\d+"), "pid=PID"),
    (re.compile(r"tid=\d+"), "tid=TID"),
    (re.compile(r"0x[0-9a-f]+"), "0xADDR"),
    (re.compile(r"\bM\d+\b"), "M#"),
    (re.compile(r"\bT\d+\b"), "T#"),
    (re.compile(r"\d+ ms\)"), "N ms)"),
    # Which worker thread deadlocks first is up to the scheduler.
    (re.compile(r"Deadlock: thread [2-9]\d* locks"), "Deadlock: thread N locks"),
]


def normalise(text, replacements):
    for old, new in replacements:
        text = text.replace(old, new)
    for pattern, new in NORMALISE:
        text = pattern.sub(new, text)
    return text


# Parts of a report that legitimately vary from run to run: thread order in stacks and thread
# lists, how many forged frames a dying process managed to write, and the order in which parallel
# links report undefined references. --update writes each as `...`; (start, end) are regexes, the
# end line itself is kept.
VOLATILE = [
    (re.compile(r"^        \| (WARNING: ThreadSanitizer|==\d+==ERROR)"), re.compile(r"^        \| seed \d+")),
    (re.compile(r"^        \| \(\d+ unreadable or forged messages"), re.compile(r"^        \| seed \d+")),
    (re.compile(r"^  \| \S+:\d+: undefined reference"), re.compile(r"^  \| \(An undefined reference")),
]
KEEP_THEN_VOLATILE = re.compile(r"^        \| What every thread was doing:$")


def golden_from(actual):
    out = []
    end = None
    for line in actual.splitlines():
        if end is not None:
            if not end.match(line):
                continue
            end = None
        if KEEP_THEN_VOLATILE.match(line):
            out += [line, "        | ..."]
            end = re.compile(r"^        \| seed \d+")
            continue
        started = next((e for s, e in VOLATILE if s.match(line)), None)
        if started is not None:
            out.append(line[: line.index("|") + 1] + " ...")
            end = started
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def matches(golden_lines, actual_lines):
    """Line-by-line equality where a golden line `...` matches any run of lines (including none)."""
    memo = {}

    def go(g, a):
        key = (g, a)
        if key in memo:
            return memo[key]
        if g == len(golden_lines):
            result = a == len(actual_lines)
        elif golden_lines[g].strip().lstrip("|").strip() == "...":
            result = any(go(g + 1, k) for k in range(a, len(actual_lines) + 1))
        else:
            result = a < len(actual_lines) and golden_lines[g] == actual_lines[a] and go(g + 1, a + 1)
        memo[key] = result
        return result

    sys.setrecursionlimit(100000)
    return go(0, 0)


def check_gradescope(text):
    data = json.loads(text)
    assert isinstance(data["score"], (int, float)), "score must be a number"
    assert isinstance(data["execution_time"], (int, float)), "execution_time must be a number"
    assert data["extra_data"]["max_score"] == 15, "the fixture day is worth 15"
    names = set()
    total = 0
    for test in data["tests"]:
        for key in ("name", "number", "score", "max_score", "status", "visibility", "output"):
            assert key in test, f"test entry without {key}"
        assert test["status"] in ("passed", "failed")
        assert (test["status"] == "passed") == (test["score"] == test["max_score"]), "status derives from score"
        assert test["extra_data"]["outcome"] in ("pass", "fail", "timeout", "deadlock", "crash", "sanitizer",
                                                 "build_error", "not_run")
        if test["status"] == "failed":
            assert "rerun: grade day1" in test["output"] and "seed 42" in test["output"], "failures carry seed + rerun"
        names.add(test["name"])
        total += test["score"]
    assert total == data["score"], "the score is the sum of the tests' scores"
    assert names == {"CounterPublic.StartsAtZero", "CounterPublic.AddsSequentially", "GatePublic.WaitReturnsAfterOpen",
                     "CounterHidden.FourThreadsLoseNothing", "CounterHidden.NoDataRace", "CounterHidden.AddReturns",
                     "GateHidden.OpenIsNeverLost", "GateHidden.WaitIgnoresSpuriousWakeups"}
    outcomes = {t["name"]: t["extra_data"]["outcome"] for t in data["tests"]}
    assert outcomes["CounterHidden.NoDataRace"] == "sanitizer", outcomes
    return True


def run_case(name, grade, update, cache):
    args, expected_status, check = CASES[name]
    env = dict(os.environ, GRADE_BUNDLE=BUNDLE, GRADE_CACHE=cache, NO_COLOR="1")
    bundle = BUNDLE
    scratch = None
    if name in ("malformed-yaml", "moved-bundle", "check-rejected-alternative"):
        scratch = tempfile.mkdtemp(prefix="grade-e2e-")
        os.chmod(scratch, 0o755)  # as root the sandbox builds as a slot uid, which must reach the copy
        bundle = os.path.join(scratch, "bundle")
        shutil.copytree(BUNDLE, bundle, symlinks=True)
        os.unlink(os.path.join(bundle, "grader"))
        if name == "moved-bundle":  # a copy of its own, as another checkout has (CMake compares real paths)
            for part in ("cmake", "harness"):
                shutil.copytree(os.path.join(HERE, "..", "..", "grader", part), os.path.join(bundle, "grader", part))
        else:
            os.symlink(os.path.join(HERE, "..", "..", "grader"), os.path.join(bundle, "grader"))
        if name == "check-rejected-alternative":
            fixture = os.path.join(bundle, "exercises", "day01-fixture")
            shutil.copy(os.path.join(fixture, "mutants", "m01-no-lock.patch"),
                        os.path.join(fixture, "alternatives", "a03-not-really-correct.patch"))
            with open(os.path.join(fixture, "grading.yaml"), "a") as f:
                f.write("  - name: a03-not-really-correct\n")
            # grade check needs the course repository's solutions: the copy has them.
        if name == "malformed-yaml":
            day_yaml = os.path.join(bundle, "templates", "day01-fixture", "day.yaml")
            with open(day_yaml) as f:
                text = f.read()
            with open(day_yaml, "w") as f:
                f.write(text.replace("    points: 2\n", "    points: [2\n", 1))
        env["GRADE_BUNDLE"] = bundle
    submissions = os.path.join(cache, "submissions")
    args = [make_submission(a[1:], submissions) if isinstance(a, str) and a.startswith("@") else a for a in args]
    cwd = os.path.join(HERE, "..", "..") if name.startswith("check") else HERE
    try:
        runs = args if args and isinstance(args[0], list) else [args]
        if name == "hint":  # hint levels are remembered in the cache: start from none
            os.makedirs(cache, exist_ok=True)
            env["GRADE_CACHE"] = tempfile.mkdtemp(prefix="grade-e2e-hints-", dir=cache)
        if name == "moved-bundle":  # the first copy configures the build tree
            first = subprocess.run([grade, *runs[0]], cwd=cwd, env=dict(env, GRADE_BUNDLE=BUNDLE),
                                   capture_output=True, text=True, timeout=900)
            if first.returncode != 0:
                print(f"FAIL {name}: grading with the first copy exited {first.returncode}:\n{first.stderr[-2000:]}")
                return False
        outputs = []
        for run in runs:
            proc = subprocess.run([grade, *run], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
            outputs.append(proc.stdout)
        proc.stdout = "".join(outputs)
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    replacements = [(submissions + "/", "SUBMISSIONS/"), (bundle + "/", "BUNDLE/"), (cache, "CACHE")]
    problems = []
    if proc.returncode != expected_status:
        problems.append(f"exit status {proc.returncode}, expected {expected_status}")
    if isinstance(check, tuple) and check[0] == "contains":
        for line in check[1]:
            if line not in proc.stdout:
                problems.append(f"the output lacks {line!r}:\n{proc.stdout[-3000:]}")
    elif check == "json":
        try:
            check_gradescope(proc.stdout)
        except (AssertionError, KeyError, json.JSONDecodeError) as e:
            problems.append(f"not a valid result: {e!r}")
    else:
        actual = normalise(proc.stdout if check == "golden" else proc.stderr, replacements)
        golden_path = os.path.join(GOLDEN, name + ".txt")
        if update:
            with open(golden_path, "w") as f:
                f.write(golden_from(actual))
        elif not os.path.exists(golden_path):
            problems.append(f"no golden file {golden_path} (run with --update)")
        else:
            with open(golden_path) as f:
                golden = f.read()
            if not matches(golden.splitlines(), actual.splitlines()):
                diff = difflib.unified_diff(golden.splitlines(), actual.splitlines(), "golden", "actual", lineterm="")
                problems.append("output differs from " + golden_path + " ('...' lines match anything):\n" +
                                "\n".join(diff))
    if problems:
        print(f"FAIL {name}: " + "\n".join(problems))
        print("--- stderr ---\n" + proc.stderr[-4000:])
        return False
    print(f"ok   {name}")
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grade", required=True)
    parser.add_argument("--case", action="append")
    parser.add_argument("--update", action="store_true")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--cache", help="grade's cache directory (default: a fresh one per run)")
    options = parser.parse_args()
    if options.list:
        print("\n".join(CASES))
        return 0
    cache = options.cache or tempfile.mkdtemp(prefix="grade-e2e-cache-")
    names = options.case or list(CASES)
    failed = [n for n in names if not run_case(n, os.path.abspath(options.grade), options.update, cache)]
    print(f"{len(names) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
