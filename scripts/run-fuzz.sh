#!/usr/bin/env bash
# Builds the RESP request parser fuzz target (clang, libFuzzer, ASan, UBSan) in its own build
# directory and runs it for a bounded time.
#
#   scripts/run-fuzz.sh [SECONDS]          SECONDS defaults to 30
#
# Environment:
#   FUZZ_BUILD_DIR  build directory (default: <repo>/build-fuzz)
#   FUZZ_CXX        clang++ to use (default: clang++)
#   JOBS            parallel build jobs (default: 2)
#
# Exits 0 when the time runs out without a finding, non-zero on a crash, a sanitizer report,
# a broken contract check, or a build failure. Crashing inputs are written to
# <build dir>/fuzz-artifacts/ (reproduce with: <build dir>/tests/fuzz/resp_parser_fuzz FILE).
set -euo pipefail

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
cxx="${FUZZ_CXX:-clang++}"

cmake -S "$root" -B "$build" \
  -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSTASH_BUILD_TESTS=ON \
  -DSTASH_BUILD_BENCH=OFF \
  -DSTASH_BUILD_FUZZ=ON >/dev/null
cmake --build "$build" -j "${JOBS:-2}" --target resp_parser_fuzz

corpus="$build/fuzz-corpus/resp_parser"
artifacts="$build/fuzz-artifacts"
mkdir -p "$corpus" "$artifacts"

# Seeds: the first two bytes are settings (see resp_parser_fuzz.cc), then client bytes.
seed() { printf '%b' "$2" >"$corpus/seed-$1"; }
seed multibulk '\x00\x03*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'
seed pipeline '\x00\x05*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\nPING\r\n'
seed inline '\x00\x01SET "a\\x41\\n" '"'"'b\\'"'"'c'"'"' d\r\n'
seed empty '\x00\x02*0\r\n*-1\r\n\r\n\n'
seed errors '\x01\x04*11\r\n*1\r\n$-1\r\n'
seed limits '\x0a\x07*1\r\n$100\r\n'

dict="$build/fuzz-corpus/resp.dict"
cat >"$dict" <<'DICT'
"*"
"$"
"\x0d\x0a"
"\x0d"
"\x0a"
"\x00"
"\""
"'"
"\\x"
"\\"
"-1"
"0"
"2147483647"
"9223372036854775808"
"16385"
DICT

# libFuzzer exits non-zero on any finding; set -e propagates it.
"$build/tests/fuzz/resp_parser_fuzz" \
  -max_total_time="$seconds" \
  -timeout=10 \
  -dict="$dict" \
  -artifact_prefix="$artifacts/" \
  -print_final_stats=1 \
  "$corpus"
