#!/usr/bin/env bash
# Configures (once) and builds tock into build/. Assumes tools/deps.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  if ! log=$(meson setup build --fatal-meson-warnings 2>&1); then
    echo "$log" | tail -20 >&2
    rm -rf build
    exit 1
  fi
fi
ninja -C build
