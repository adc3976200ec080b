#!/usr/bin/env bash
# Builds the libFuzzer targets in a separate meson build dir, build-fuzz/ (clang, ASan+UBSan,
# not static). The normal build/ is not touched. Usage: tools/fuzz/build.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
CXX_BIN=${CXX_FUZZ:-clang++-14}
BUILD=build-fuzz
# -fsanitize=fuzzer-no-link: coverage instrumentation for libtock (and the third-party code),
# without libFuzzer's main(); the targets themselves link -fsanitize=fuzzer.
# -fno-sanitize-recover=undefined: a UBSan report aborts, so libFuzzer counts it as a crash.
FUZZ_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined -fno-omit-frame-pointer -Wno-unknown-warning-option"
if [[ ! -f $BUILD/build.ninja ]]; then
  CXX=$CXX_BIN meson setup "$BUILD" \
    -Dfuzz=true -Dtests=false --buildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false \
    -Dcpp_args="$FUZZ_FLAGS" -Dcpp_link_args="-fno-sanitize-recover=undefined"
fi
ninja -C "$BUILD" tools/fuzz/fuzz_json_request tools/fuzz/fuzz_runtime tools/fuzz/fuzz_trigger \
  tools/fuzz/fuzz_cron tools/fuzz/fuzz_auth tools/fuzz/fuzz_http_request \
  tools/fuzz/fuzz_callback_body
