#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything and runs every test
# (unit, integration, differential against redis-server, and a bounded fuzzing run).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600

# Fuzz the request parser for a bounded time (libFuzzer, ASan, UBSan).
scripts/run-fuzz.sh "${STASH_FUZZ_SECONDS:-60}"
