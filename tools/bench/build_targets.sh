# Sourced (from the repository root) by tools/bench/run.sh and tools/faults/run.sh.
# build_targets TARGET...: configures the build tree $BUILD_DIR (default build/) if it has no
# build.ninja yet, builds the given ninja targets quietly, and leaves its path in $build_dir.
build_targets() {
  build_dir="${BUILD_DIR:-build}"
  if [ ! -f "$build_dir/build.ninja" ]; then
    meson setup "$build_dir" --fatal-meson-warnings >/dev/null
  fi
  ninja -C "$build_dir" "$@" >/dev/null
}
