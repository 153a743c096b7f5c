#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the grader's unit tests, the end-to-end
# tests of the real binary on the fixture course, and `grade check` of every day of the course.
# This is the command CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-deps.sh
cmake --preset default
cmake --build --preset default
# Unit tests run in parallel. The course checks (`grade check` of each day) run two at a time, in
# two lanes: their hidden tests are built to pass under load. Every other grading test runs alone
# (tests/CMakeLists.txt: it holds the CPU lock and both lanes). The attack corpus forced down to sandbox tiers C and D
# (about 5 minutes; the corpus itself runs on this host's tier either way) is for sandbox work and
# releases: GRADE_TEST_ALL=1 includes it.
exclude=()
if [ "${GRADE_TEST_ALL:-0}" != 1 ]; then
  exclude=(-LE hostile-tiers)
fi
ctest --preset default "${exclude[@]}" "$@"
