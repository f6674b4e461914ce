#!/usr/bin/env bash
# The README's run command: installs what is missing, builds the server and starts it on
# conf/stash.conf (port 6379). Extra arguments are passed on, e.g. `scripts/run.sh --port 7000`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target stash-server
exec build/server/stash-server conf/stash.conf "$@"
