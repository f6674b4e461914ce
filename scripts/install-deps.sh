#!/usr/bin/env bash
# Installs, from Debian's packages, whatever the build, the tests and the benchmarks need and is
# not there yet. Safe to run again: it asks apt only for what is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libasio-dev libxxhash-dev libspdlog-dev libcli11-dev doctest-dev libbenchmark-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  redis-server redis-tools
  clang libclang-rt-dev
  python3 procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "Installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  # Debian starts a system redis-server on port 6379 when it installs the package. It is only a
  # test peer here (the tests start their own on free ports), and left running it would hold the
  # port Stash is meant to take: stop the service we just caused to start.
  if printf '%s\n' "${missing[@]}" | grep -qx redis-server; then
    $SUDO systemctl disable --now redis-server >/dev/null 2>&1 ||
      $SUDO service redis-server stop >/dev/null 2>&1 || true
  fi
fi
