#!/usr/bin/env python3
"""What a student with a given mistake reads, run after run: applies one mutant to a copy of the
reference, grades one test on it RUNS times (new seed each time, a fresh process each time), and
checks every failure message for a pattern, e.g. that the event-loop tracker names the line that
blocked. Pin it and load the CPU as the soak does (grader-design §7):

    scripts/mutant-messages.py day6 m01-sleep-for-in-worker FreezerHidden.NoHandlerBlocksTheLoop \\
        --runs 20 --expect 'freezer\\.cpp:\\d+' --cpu 0 --hogs 2

Prints one line per run (outcome, whether the pattern matched, the match in context) and a
summary; exits 0 only if every run failed the test with a matching message.
"""
import argparse
import json
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def day_dir(day: str) -> str:
    number = int(day.removeprefix("day"))
    for d in sorted((ROOT / "exercises").iterdir()):
        if d.is_dir() and d.name.startswith(f"day{number:02d}-"):
            return d.name
    sys.exit(f"mutant-messages: no exercises/day{number:02d}-* directory")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("day")
    ap.add_argument("mutant", help="a name from the day's grading.yaml mutants")
    ap.add_argument("test", help="the test whose message is checked")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--expect", default="", help="a regular expression every failure message must match")
    ap.add_argument("--grade", default=str(ROOT / "build/grade"))
    ap.add_argument("--cpu", type=int, help="pin the gradings to this CPU (taskset)")
    ap.add_argument("--hogs", type=int, default=0, help="CPU hogs (yes) pinned beside them")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    name = day_dir(args.day)
    patch = ROOT / "exercises" / name / "mutants" / f"{args.mutant}.patch"
    if not patch.is_file():
        sys.exit(f"mutant-messages: {patch} does not exist")
    # Under /var/tmp, enterable by the sandbox's slot user (a 0700 mkdtemp under /tmp is not).
    work = Path(tempfile.mkdtemp(prefix=f"mutant-{args.mutant}-", dir="/var/tmp"))
    work.chmod(0o755)
    repo = work / "repo"
    shutil.copytree(ROOT / "solutions", repo)
    subprocess.run(["patch", "--quiet", "-p1", "-d", str(repo / name), "-i", str(patch)], check=True)

    pin = ["taskset", "-c", str(args.cpu)] if args.cpu is not None else []
    grade = [args.grade, args.day, "--repo", str(repo), "--only", "hidden", "--test", args.test,
             "--color", "never", "--format", "json"]
    # Build first, unpinned and unloaded: a build is not what this measures.
    subprocess.run(grade + ["--out", str(work / "build.json")], stdout=subprocess.DEVNULL, check=False)
    built = json.loads((work / "build.json").read_text()) if (work / "build.json").is_file() else None
    if built is None or built["extra_data"].get("build_messages"):
        sys.exit(f"mutant-messages: {args.mutant} did not build, so its messages cannot be read:\n"
                 + (built["extra_data"]["build_messages"] if built else "grade wrote no result"))

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the hogs
    hogs = [subprocess.Popen(pin + ["yes"], stdout=subprocess.DEVNULL) for _ in range(args.hogs)]
    matched = 0
    try:
        for run in range(args.runs):
            seed = args.seed + run
            out = work / f"run{run}.json"
            subprocess.run(pin + grade + ["--seed", str(seed), "--out", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            tests = [t for t in json.loads(out.read_text())["tests"] if t["name"] == args.test] if out.is_file() else []
            if not tests:
                print(f"run {run + 1:2}: seed {seed}: the test did not run")
                continue
            test = tests[0]
            message = test.get("output", "")
            found = re.search(args.expect, message, re.S)
            ok = test["status"] != "passed" and found is not None
            matched += ok
            # What matched, with some context; else the message's first line.
            shown = (message[max(0, found.start() - 60):found.end() + 100] if found
                     else (message.splitlines() or [""])[0][:160])
            print(f"run {run + 1:2}: seed {seed}: {test['extra_data'].get('outcome', test['status'])}, "
                  f"{'matches' if ok else 'NO MATCH'}: ...{' '.join(shown.split())}...", flush=True)
    finally:
        for h in hogs:
            h.kill()
    print(f"{args.mutant}: {args.test} failed with a message matching {args.expect!r} in {matched} of {args.runs} runs")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if matched == args.runs else 1


if __name__ == "__main__":
    sys.exit(main())
