#!/usr/bin/env bash
# Timing budgets of grader-design §7 and of the build pipeline, measured (benchmarks, not pass/fail
# tests):
#   1. `grade DAY` in a fresh clone: the grader and its course runtime built (as the README's
#      commands leave them), empty grade cache and ccache disabled (nothing of the day built), with
#      where the time went: configure, compiling (wall, and the compiler time it held), linking,
#      running the tests;
#   2. `grade DAY` after editing the code of one student file (median of N);
#   3. the same work by hand: rebuild the same targets with ninja and run the same test binaries
#      once per test (with the test's preload shim), as the grader does but with no grader, and no
#      sandbox, around them (median of N);
# and prints the overhead ratio 2/3 (budget: at most 1.3).
#
#   scripts/bench.sh DAY [N]        (default N = 3)
set -euo pipefail
cd "$(dirname "$0")/.."

day=${1:?usage: scripts/bench.sh DAY [N]}
runs=${2:-3}
grade=$PWD/build/grade
# Under /var/tmp and enterable by others: the sandbox builds and tests as a slot user, which must
# reach the copied submission (a 0700 directory under /tmp is refused, by design).
scratch=$(mktemp -d /var/tmp/grade-bench-XXXXXX)
chmod 755 "$scratch"
trap 'rm -rf "$scratch"' EXIT
# The day's directory name, from course.yaml (DAY may be day1, 1, the slug or the directory).
dir=$(python3 - "$day" <<'PY'
import re, sys
want = sys.argv[1]
days = re.findall(r"^  - (day\d\d-[a-z0-9-]+)", open("exercises/course.yaml").read(), re.M)
n = re.sub(r"\D", "", want)
print(next(d for d in days if d == want or d[6:] == want or (n and int(d[3:5]) == int(n))))
PY
)
mkdir -p "$scratch/repo"
cp -r "solutions/$dir" "$scratch/repo/"
export GRADE_CACHE=$scratch/cache

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "== $dir: fresh (empty grade cache, ccache disabled)"
start=$(now)
CCACHE_DISABLE=1 "$grade" "$day" --repo "$scratch/repo" --color never >/dev/null 2>"$scratch/fresh.err" || true
fresh=$(elapsed "$start")
echo "fresh: $fresh s"

# The first editable .cpp file of the day: the one edit the measurement makes.
file=$(grep -m1 '^files:' "templates/$dir/day.yaml" | grep -o '[a-z_0-9]*\.cpp' | head -n1)
ws=$(ls -d "$GRADE_CACHE"/work/grade-"$dir"-*)
# The build tree belongs to the sandbox's slot user when grade runs sandboxed (and only the sandbox
# lets that user read the workspace's copy of the submission): rebuild by hand as ourselves, then,
# untimed, give the tree back to its owner so that the next grade can replace what was written.
owner=$(stat -c %u:%g "$ws/build")
# Where the fresh build's time went, per object (ninja's log: start and end in ms, then the target).
mkdir -p build/bench
cp "$ws/build/.ninja_log" "build/bench/$dir-fresh.ninja_log"
python3 - "$fresh" "$scratch/fresh.err" "build/bench/$dir-fresh.ninja_log" <<'PY'
import re, sys
total, err, log = float(sys.argv[1]), open(sys.argv[2]).read(), sys.argv[3]
built = float(re.search(r"built in ([\d.]+) s", err).group(1))
rows = [l.split("\t") for l in open(log) if not l.startswith("#")]
rows = [(int(a), int(b), t.strip()) for a, b, _, t, *_ in rows]
span = (max(b for _, b, _ in rows) - min(a for a, _, _ in rows)) / 1000
links = [(a, b) for a, b, t in rows if t.startswith("bin/")]
link_wall = (max(b for _, b in links) - min(a for a, _ in links)) / 1000 if links else 0
objects = [(b - a) / 1000 for a, b, t in rows if t.endswith(".o")]
print(f"  configure {built - span:.1f} s, compile {span - link_wall:.1f} s ({len(objects)} objects, "
      f"{sum(objects):.1f} s of compiler time), link {link_wall:.1f} s, tests and grader {total - built:.1f} s")
PY
tests=$(python3 - "$dir" <<'PY'
import re, sys
d = sys.argv[1]
text = open(f"templates/{d}/day.yaml").read() + open(f"exercises/{d}/grading.yaml").read()
blocks = re.split(r"\n\s*- name: ", text)[1:]
for b in blocks:
    name = b.split()[0]
    block = b.split("\n  - ")[0]
    m = re.search(r"flavour: (\w+)", block)
    p = re.search(r"preload: (\w+)", block)
    print(name, m.group(1) if m else "release", p.group(1) if p else "-")
PY
)

graded=()
by_hand=()
for i in $(seq "$runs"); do
  # A change to the code, not a comment: the preprocessor drops comments, so ccache would serve a
  # comment-only edit from its cache and nothing would recompile.
  echo "namespace { [[maybe_unused]] const int bench_edit_$i = $i; }" >> "$scratch/repo/$dir/$file"
  start=$(now)
  "$grade" "$day" --repo "$scratch/repo" --color never --seed 7 >/dev/null 2>&1 || true
  graded+=("$(elapsed "$start")")

  echo "namespace { [[maybe_unused]] const int bench_edit_by_hand_$i = $i; }" >> "$scratch/repo/$dir/$file"
  cp "$scratch/repo/$dir/$file" "$ws/student/$file"
  start=$(now)
  ninja -C "$ws/build" tests_release tests_tsan tests_asan >/dev/null 2>&1 || ninja -C "$ws/build" >/dev/null
  while read -r name flavour preload; do
    shim=()
    [ "$preload" = - ] || shim=(env "LD_PRELOAD=$PWD/build/runtime/shims/libct_$preload.so")
    CT_SEED=7 "${shim[@]}" "$ws/build/bin/tests_$flavour" --gtest_filter="$name" >/dev/null 2>&1 || true
  done <<< "$tests"
  by_hand+=("$(elapsed "$start")")
  chown -R "$owner" "$ws/build"
done
g=$(printf '%s\n' "${graded[@]}" | median)
h=$(printf '%s\n' "${by_hand[@]}" | median)
echo "after one edit: grade median $g s (runs: ${graded[*]})"
echo "by hand:        median $h s (runs: ${by_hand[*]})"
echo "overhead ratio: $(python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$g" "$h")"
