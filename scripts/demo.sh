#!/usr/bin/env bash
# Installs what is missing, builds the grader, and grades a sample day-1 submission: the reference
# solution with one classic bug put back in (a withdrawal whose balance check and write are two
# separate critical sections). The report shows what a student sees: the score, each failure in
# words, its seed and the command that reruns it.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-deps.sh
cmake --preset default >/dev/null
# Only what the demo needs: the grader and the course runtime (not the grader's own tests).
cmake --build --preset default --target grade course_runtime

sample=build/sample
day=day01-threads-and-races
rm -rf "$sample"
mkdir -p "$sample"
cp -r "solutions/$day" "$sample/"
patch --quiet -p1 -d "$sample/$day" -i "$PWD/exercises/$day/mutants/m06-withdraw-split-critical-section.patch"

echo
echo "Grading the sample submission in $sample (the first build of a day takes under a minute)..."
echo
set +e
./build/grade day1 --repo "$sample"
status=$?
set -e
# Exit status 1 means "graded below full marks", which is what this sample should get.
if [ "$status" -eq 1 ]; then
  exit 0
fi
exit "$status"
