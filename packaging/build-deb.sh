#!/usr/bin/env bash
# Builds the tock .deb with dpkg-deb from the static binary (build/tock, built or brought up
# to date first; or --binary). The package holds:
#   /usr/bin/tock                       the stripped static binary
#   /lib/systemd/system/tock.service    the hardened unit (packaging/tock.service)
#   /etc/tock/tock.toml                 conffile: packaging/tock.toml, which must equal
#                                       `tock config example --data /var/lib/tock`
#   /usr/share/man/man1/tock.1.gz       packaging/tock.1
#   /usr/share/doc/tock/copyright       packaging/copyright + the statically linked libraries'
# and the maintainer scripts of packaging/debian/. Prints the .deb's path on its last line.
#
# Usage: packaging/build-deb.sh [--out DIR] [--binary PATH]
#   --out DIR      where the .deb goes (default: build/)
#   --binary PATH  the tock binary to package (default: build/tock)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PKG=$ROOT/packaging

out=$ROOT/build
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --binary) binary=${2:?--binary needs a path}; shift 2 ;;
    --binary=*) binary=${1#--binary=}; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-deb: unknown argument $1" >&2; exit 2 ;;
  esac
done

die() { echo "build-deb: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing (apt-get install dpkg)"

if [ -z "$binary" ]; then
  # build/tock, set up and built when missing, and brought up to date (a no-op when it is).
  binary=$ROOT/build/tock
  [ -f "$ROOT/build/build.ninja" ] || meson setup "$ROOT/build" --fatal-meson-warnings >&2
  ninja -C "$ROOT/build" tock >&2
fi
[ -x "$binary" ] || die "no executable at $binary"

version_line=$("$binary" version)
version=${version_line#tock }
[ "$version" != "$version_line" ] && [ -n "$version" ] || die "unexpected version: $version_line"
arch=$(dpkg --print-architecture)

# The shipped example config must be what the binary's settings table generates.
example=$("$binary" config example --data /var/lib/tock) ||
  die "$binary cannot generate the example config (too old? rebuild it)"
if [ "$example" != "$(cat "$PKG/tock.toml")" ]; then
  die "packaging/tock.toml differs from the settings table; regenerate it with:
  $binary config example --data /var/lib/tock > packaging/tock.toml"
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/tock-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/root
umask 022

install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/tock" \
  "$root/usr/share/man/man1" "$root/usr/share/doc/tock"
install -m 0755 "$binary" "$root/usr/bin/tock"
strip --strip-unneeded "$root/usr/bin/tock"
install -m 0644 "$PKG/tock.service" "$root/lib/systemd/system/tock.service"
install -m 0644 "$PKG/tock.toml" "$root/etc/tock/tock.toml"
sed "s/@VERSION@/$version/g" "$PKG/tock.1" | gzip -9n > "$root/usr/share/man/man1/tock.1.gz"
chmod 0644 "$root/usr/share/man/man1/tock.1.gz"

# copyright: tock's own, then each statically linked library's, as Debian ships it.
{
  cat "$PKG/copyright"
  for p in librocksdb-dev libsodium-dev libssl-dev libzstd-dev liblz4-dev libsnappy-dev \
      zlib1g-dev libbz2-dev libjemalloc-dev libcpp-httplib-dev libsimdjson-dev \
      libhowardhinnant-date-dev libc6-dev libstdc++-12-dev libgcc-12-dev; do
    f=/usr/share/doc/$p/copyright
    if [ -f "$f" ]; then
      printf '\n#### Statically linked: Debian package %s (%s) ####\n\n' "$p" \
        "$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo unknown)"
      cat "$f"
    else
      echo "build-deb: warning: $f is missing; its copyright is not included" >&2
    fi
  done
  # libcurl is built from its Debian source package (tools/deps.sh): that package's own file.
  printf '\n#### Statically linked: Debian source package curl (%s) ####\n\n' \
    "$(cut -d' ' -f1 third_party/curl/.tock-built 2>/dev/null || echo unknown)"
  cat third_party/curl/debian/copyright
  # libpq likewise, from the postgresql-15 source package (the PostgreSQL Licence).
  printf '\n#### Statically linked: Debian source package postgresql-15 (libpq, %s) ####\n\n' \
    "$(cut -d' ' -f1 third_party/libpq/.tock-built 2>/dev/null || echo unknown)"
  cat third_party/libpq/debian/copyright
} > "$root/usr/share/doc/tock/copyright"
chmod 0644 "$root/usr/share/doc/tock/copyright"

install -m 0644 "$PKG/debian/conffiles" "$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do
  install -m 0755 "$PKG/debian/$s" "$root/DEBIAN/$s"
done
size_kib=$(du -k -s --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$size_kib/" \
  "$PKG/debian/control.in" > "$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control"

deb=$out/tock_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
