#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and starts `tock serve` on
# 127.0.0.1:9502 with its data in ./tock-data. Extra arguments go to `tock serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
bash tools/build.sh >/dev/null
exec ./build/tock serve "$@"
