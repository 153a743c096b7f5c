#!/usr/bin/env bash
# The supervisor's cost: `grade DAY --repo solutions` with the sandbox this host gives, against the
# same run with the sandbox forced off (--max-tier none), in one warm workspace, alternating so
# that load on the machine hits both alike. Prints each run and the ratio of the medians.
#
#   scripts/sandbox-overhead.sh [DAY] [N]     (default day1, 5 runs each)
set -euo pipefail
cd "$(dirname "$0")/.."
day=${1:-day1}
runs=${2:-5}
grade=${GRADE:-$PWD/build/grade}
export GRADE_CACHE=${GRADE_CACHE:-/var/tmp/grade-overhead}
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
one() {  # one graded run; prints its wall seconds
  local start; start=$(now)
  "$grade" "$day" --repo solutions --seed 1 --color never "$@" >/dev/null 2>&1 || true
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$start" "$(now)"
}
echo "warming up (builds the day once per tier)"
one >/dev/null
one --max-tier none >/dev/null
sandboxed=()
bare=()
for i in $(seq "$runs"); do
  s=$(one); b=$(one --max-tier none)
  echo "run $i: sandbox $s s, none $b s"
  sandboxed+=("$s"); bare+=("$b")
done
ms=$(printf '%s\n' "${sandboxed[@]}" | median)
mb=$(printf '%s\n' "${bare[@]}" | median)
tier=$("$grade" --version 2>/dev/null | awk '/^sandbox/ {print $2}')
echo "median: sandbox (tier $tier) $ms s, none $mb s, ratio $(python3 -c "print(f'{$ms/$mb:.2f}')")"
