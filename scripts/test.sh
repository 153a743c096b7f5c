#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the grader's unit tests, the end-to-end
# tests of the real binary on the fixture course, and `grade check` of every day of the course.
# This is the command CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-deps.sh
cmake --preset default
cmake --build --preset default
# Unit tests run in parallel; the grading tests share one CPU lock (they measure concurrency and
# must not steal each other's cores).
ctest --preset default "$@"
