#!/usr/bin/env bash
# Configures (once) and builds tock into build/. Assumes tools/deps.sh has run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/build.ninja ]; then
  meson setup build --fatal-meson-warnings >/dev/null
fi
ninja -C build
