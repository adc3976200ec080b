#!/usr/bin/env bash
# Configures (once) and builds tock into build/ (or $TOCK_BUILD_DIR). Assumes tools/deps.sh
# has run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${TOCK_BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  if ! log=$(meson setup "$BUILD" --fatal-meson-warnings 2>&1); then
    echo "$log" | tail -20 >&2
    rm -rf "$BUILD"
    exit 1
  fi
fi
ninja -C "$BUILD"
