#!/usr/bin/env bash
# Installs everything tock needs to build and test on Debian 12, then fetches the
# third-party sources that Debian ships without a static archive (cpp-httplib, simdjson,
# fmt, howardhinnant-date) as Debian *source* packages into third_party/ (git-ignored).
# Idempotent: a second run installs and downloads nothing.
#
# Usage: tools/deps.sh [--test]    (--test also installs what the test suite needs)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

build_pkgs=(meson ninja-build pkg-config g++ dpkg-dev python3 ca-certificates tzdata
  librocksdb-dev libsodium-dev libzstd-dev liblz4-dev libsnappy-dev libbz2-dev zlib1g-dev
  libssl-dev libcpp-httplib-dev libsimdjson-dev libfmt-dev libhowardhinnant-date-dev
  libcli11-dev libtomlplusplus-dev)
# systemd: its systemd-analyze verifies the packaged unit (installs and works without a
# running systemd; the test skips that check when it is absent).
# clang-14 + libclang-rt-14-dev: the libFuzzer targets' ASan+UBSan build (tools/fuzz; the
# sanitizer and libFuzzer runtimes are only a Recommends of clang-14); llvm-14: its
# llvm-symbolizer-14 turns sanitizer stack traces into function names and lines.
test_pkgs=(doctest-dev curl nodejs npm systemd clang-14 libclang-rt-14-dev llvm-14)

pkgs=("${build_pkgs[@]}")
[ $want_test = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  # nodejs/npm may come from another origin already installed (node + npm on PATH).
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- third-party sources -------------------------------------------------------------------
# A private apt configuration whose source entries are the machine's own deb entries turned
# into deb-src; the machine's apt setup is not touched.
TP=$ROOT/third_party
APT=$TP/.apt
mkdir -p "$TP"
src_version() { dpkg-query -W -f='${source:Version}' "$1"; }

fetch() {  # fetch SOURCE_PACKAGE BINARY_DEV_PACKAGE DIR
  local src=$1 bin=$2 dir=$3 ver
  ver=$(src_version "$bin")
  if [ -f "$TP/$dir/.tock-version" ] && [ "$(cat "$TP/$dir/.tock-version")" = "$ver" ]; then
    return 0
  fi
  if [ ! -d "$APT/lists" ]; then
    mkdir -p "$APT/sources.d" "$APT/lists/partial" "$APT/cache/archives/partial"
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && sed 's/^Types:.*\bdeb\b.*$/Types: deb-src/' "$f" > "$APT/sources.d/$(basename "$f")"
    done
    if [ -f /etc/apt/sources.list ]; then
      grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > "$APT/sources.d/main.list" || true
    fi
  fi
  local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$APT/sources.d"
    -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o APT::Sandbox::User=root)
  if [ ! -f "$APT/.updated" ]; then
    apt-get "${opts[@]}" update -q >/dev/null
    touch "$APT/.updated"
  fi
  local work=$TP/.download
  rm -rf "$work" "$TP/$dir" && mkdir -p "$work"
  (cd "$work" && apt-get "${opts[@]}" source -q --download-only "$src=$ver" >/dev/null \
    && dpkg-source -x --no-check ./*.dsc "$TP/$dir" >/dev/null)
  rm -rf "$work" "$TP"/*.orig.tar.* "$TP"/*.debian.tar.*
  echo "$ver" > "$TP/$dir/.tock-version"
  echo "deps: fetched $src $ver"
}

fetch cpp-httplib libcpp-httplib-dev httplib
if [ ! -f "$TP/httplib/out/httplib.cc" ]; then
  python3 "$TP/httplib/split.py" -o "$TP/httplib/out" >/dev/null
fi
fetch simdjson libsimdjson-dev simdjson
fetch fmtlib libfmt-dev fmt
fetch howardhinnant-date libhowardhinnant-date-dev date

# --- test-only tools -----------------------------------------------------------------------
if [ $want_test = 1 ] && [ ! -d "$TP/node/node_modules/standardwebhooks" ]; then
  # The public Standard Webhooks library, used by the integration tests to verify callbacks.
  mkdir -p "$TP/node"
  (cd "$TP/node" && npm install --silent --no-audit --no-fund standardwebhooks@1 >/dev/null)
  echo "deps: installed standardwebhooks (npm)"
fi
