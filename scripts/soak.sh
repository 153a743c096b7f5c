#!/usr/bin/env bash
# The soak (grader-design §7): every hidden test of a day run many times on the reference under
# load, and every mutant graded many times, on one CPU shared with two CPU hogs (taskset -c 0 plus
# two `yes` processes pinned to the same CPU), because that is where false failures hide.
#
#   scripts/soak.sh DAY [REFERENCE_RUNS] [MUTANT_RUNS] [GRADE_ARGS...]
#     (defaults 200 and 20; 0 mutant runs skips them; GRADE_ARGS such as --test NAME narrow the
#     reference runs)
#
# SOAK_CPU picks the CPU (default 0): two soaks can run at once, each on its own CPU with its own
# two hogs, each seeing exactly the load described above; give each a SOAK_TAG (e.g. cpu1) so
# their files differ. A long day splits its tests between the two (GRADE_ARGS).
# Writes build/soak/<day>[-TAG]-reference.json (per test: runs, failed runs) and
# build/soak/<day>[-TAG]-check.json (the kill matrix), and prints a summary for docs/dev/benchmarks.md.
# Run it before a release and whenever a day's tests change; CI runs the fast form (grade check).
set -euo pipefail
cd "$(dirname "$0")/.."

day=${1:?usage: scripts/soak.sh DAY [REFERENCE_RUNS] [MUTANT_RUNS] [GRADE_ARGS...]}
reference_runs=${2:-200}
mutant_runs=${3:-20}
shift $(( $# < 3 ? $# : 3 ))
grade=${GRADE:-build/grade}
cpu=${SOAK_CPU:-0}
out=build/soak
name=$day${SOAK_TAG:+-$SOAK_TAG}
# A tagged soak grades its own copy of the reference: one build tree per repository, and a second
# grader on the same tree would wait for the first.
repo=solutions
if [ -n "${SOAK_TAG:-}" ]; then
  repo=$out/repo-$SOAK_TAG
  rm -rf "$repo" && mkdir -p "$repo" && cp -r solutions/. "$repo/"
fi
mkdir -p "$out"


# Building is not what a soak measures: build on both CPUs first, every flavour the soaked tests
# need (they run once as a side effect), so the pinned runs below recompile nothing.
"$grade" "$day" --repo "$repo" --only hidden --color never "$@" >/dev/null || true

hogs=()
cleanup() { for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
for _ in 1 2; do
  taskset -c "$cpu" yes >/dev/null &
  hogs+=($!)
done

start=$(date +%s)
set +e
taskset -c "$cpu" "$grade" "$day" --repo "$repo" --only hidden --repeat "$reference_runs" --format json \
  --out "$out/$name-reference.json" --color never "$@"
if [ "$mutant_runs" -gt 0 ]; then
  taskset -c "$cpu" "$grade" check "$day" --runs "$mutant_runs" --out "$out/$name-check.json" --color never
fi
set -e
end=$(date +%s)

python3 - "$out/$name-reference.json" "$out/$name-check.json" "$reference_runs" "$mutant_runs" "$((end - start))" <<'PY'
import json, sys
reference, check, ref_runs, mut_runs, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
data = json.load(open(reference))
print(f"Reference, hidden tests, {ref_runs} runs each (or until the first failure) on one CPU shared with 2 hogs:")
print("| test | runs | failed runs | outcome |")
print("|---|---|---|---|")
for t in data["tests"]:
    e = t["extra_data"]
    print(f"| {t['name']} | {e['runs']} | {e['failed_runs']} | {e['outcome']} |")
report = json.load(open(check)) if mut_runs > 0 else {}
for day, record in report.items():
    print(f"\nMutants of {day}, {mut_runs} gradings each under the same load:")
    print("| mutant | killed in | killed by |")
    print("|---|---|---|")
    for m in record.get("mutants", []):
        print(f"| {m['mutant']} | {m['killed_runs']}/{m['runs']} | {'; '.join(m['killers']) or m['problem']} |")
print(f"\n(wall time of the soak: {seconds} s)")
PY
