#!/usr/bin/env bash
# Installs everything tock needs to build and test on Debian 12, then fetches the
# third-party sources that Debian ships without a static archive (cpp-httplib, simdjson,
# howardhinnant-date, curl) as Debian *source* packages into third_party/ (git-ignored).
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

build_pkgs=(meson ninja-build pkg-config g++ dpkg-dev patch python3 ca-certificates tzdata
  librocksdb-dev libsodium-dev libzstd-dev liblz4-dev libsnappy-dev libbz2-dev zlib1g-dev
  libjemalloc-dev
  libssl-dev libcpp-httplib-dev libsimdjson-dev libhowardhinnant-date-dev
  libtomlplusplus-dev)
# systemd: its systemd-analyze verifies the packaged unit (installs and works without a
# running systemd; the test skips that check when it is absent).
# clang-14 + libclang-rt-14-dev: the libFuzzer targets' ASan+UBSan build (tools/fuzz; the
# sanitizer and libFuzzer runtimes are only a Recommends of clang-14); llvm-14: its
# llvm-symbolizer-14 turns sanitizer stack traces into function names and lines.
# postgresql-15: the PostgreSQL store's tests (tools/pg.sh runs a throw-away server).
# chromium: the console's browser test (tests/integration_console), headless, driven by
# puppeteer-core below.
test_pkgs=(doctest-dev curl nodejs npm systemd clang-14 libclang-rt-14-dev llvm-14 chromium
  postgresql-15)

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
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$APT/sources.d"
  -o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache" -o APT::Sandbox::User=root)
apt_update() {  # the private deb-src lists, made and fetched once
  if [ ! -d "$APT/lists" ]; then
    mkdir -p "$APT/sources.d" "$APT/lists/partial" "$APT/cache/archives/partial"
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] && sed 's/^Types:.*\bdeb\b.*$/Types: deb-src/' "$f" > "$APT/sources.d/$(basename "$f")"
    done
    if [ -f /etc/apt/sources.list ]; then
      grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' > "$APT/sources.d/main.list" || true
    fi
  fi
  if [ ! -f "$APT/.updated" ]; then
    apt-get "${apt_opts[@]}" update -q >/dev/null
    touch "$APT/.updated"
  fi
}

fetch() {  # fetch SOURCE_PACKAGE BINARY_DEV_PACKAGE DIR
  local src=$1 bin=$2 dir=$3 ver
  ver=$(src_version "$bin")
  if [ -f "$TP/$dir/.tock-version" ] && [ "$(cat "$TP/$dir/.tock-version")" = "$ver" ]; then
    return 0
  fi
  apt_update
  local work=$TP/.download
  rm -rf "$work" "$TP/$dir" && mkdir -p "$work"
  (cd "$work" && apt-get "${apt_opts[@]}" source -q --download-only "$src=$ver" >/dev/null \
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
fetch howardhinnant-date libhowardhinnant-date-dev date

# Fetches the newest source of SRC that the archive serves into third_party/DIR and sets
# $fetched_version. An index may list a version whose source is no longer there (seen with a
# security update), so older ones are tried in turn.
fetch_newest_source() {  # fetch_newest_source SRC DIR
  local src=$1 dir=$TP/$2 versions ver work=$TP/.download
  apt_update
  versions=$(apt-cache "${apt_opts[@]}" showsrc "$src" 2>/dev/null | sed -n 's/^Version: //p' | sort -rV)
  [ -n "$versions" ] || { echo "deps: no source of $src in the archive" >&2; return 1; }
  fetched_version=""
  for ver in $versions; do
    rm -rf "$work" "$dir" && mkdir -p "$work"
    if (cd "$work" && apt-get "${apt_opts[@]}" source -q --download-only "$src=$ver" >/dev/null 2>&1 \
        && dpkg-source -x --no-check ./*.dsc "$dir" >/dev/null); then
      fetched_version=$ver
      break
    fi
  done
  rm -rf "$work"
  [ -n "$fetched_version" ] || { echo "deps: cannot fetch the source of $src" >&2; return 1; }
}

# The newest version of SRC the archive lists (what fetch_newest_source tries first).
newest_source_version() {
  apt_update
  apt-cache "${apt_opts[@]}" showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -rV | head -1
}

# libcurl: the event-driven callback client (its multi interface). Debian's libcurl.a is
# built against GSSAPI, LDAP, libssh2, librtmp... whose static archives do not exist or drag
# in half the archive, so the source package is configured here with what tock uses: HTTP
# over OpenSSL, names resolved by curl's threaded resolver (getaddrinfo: /etc/hosts and DNS),
# no compression, no other protocols. Not c-ares: curl gives every transfer its own c-ares
# channel, ~90 KiB each, which made 10 000 callbacks in flight cost 900 MB (measured).
# tools/patches/curl/*.patch are applied on top of Debian's own patches; each says why.
build_curl() {
  local dir=$TP/curl patch
  # .tock-built holds the version, the configuration's revision (bump it when the
  # configure line changes) and a digest of our patches.
  local stamp
  stamp="$(newest_source_version curl) threaded-resolver $(cat "$ROOT"/tools/patches/curl/*.patch | sha256sum | cut -c1-12)"
  if [ -f "$dir/.tock-built" ] && [ "$(cat "$dir/.tock-built")" = "$stamp" ]; then return 0; fi
  fetch_newest_source curl curl
  for patch in "$ROOT"/tools/patches/curl/*.patch; do
    patch -s -d "$dir" -p1 < "$patch"
  done
  echo "deps: building libcurl $fetched_version (static, about 40 s)"
  (cd "$dir" && ./configure -q --disable-shared --enable-static --with-openssl --enable-threaded-resolver \
      --without-nghttp2 --without-zlib --without-brotli --without-zstd --without-libpsl \
      --without-libidn2 --without-libssh2 --without-librtmp --without-libgsasl \
      --without-gssapi --disable-ldap --disable-ldaps --disable-dict --disable-file \
      --disable-ftp --disable-gopher --disable-imap --disable-mqtt --disable-pop3 \
      --disable-rtsp --disable-smb --disable-smtp --disable-telnet --disable-tftp \
      --disable-manual --disable-cookies --disable-alt-svc --disable-hsts --disable-netrc \
      --disable-ntlm --disable-doh \
      --disable-mime >/dev/null \
    && make -s -j2 -C lib >/dev/null 2>&1)
  echo "$stamp" > "$dir/.tock-built"
}
build_curl

# libpq: the PostgreSQL store's client (issue: scale out). Debian's libpq.a needs GSSAPI
# (libkrb5 has no static archive) and LDAP (whose archives drag in gnutls, sasl...), so the
# postgresql-15 source is configured without them: TLS over OpenSSL, SCRAM logins. Only
# src/interfaces/libpq is built (it builds src/common and src/port, which it links).
build_libpq() {
  local dir=$TP/libpq stamp
  stamp="$(newest_source_version postgresql-15) no-gss-ldap"
  if [ -f "$dir/.tock-built" ] && [ "$(cat "$dir/.tock-built")" = "$stamp" ]; then return 0; fi
  fetch_newest_source postgresql-15 libpq
  echo "deps: building libpq $fetched_version (static, about 1 min)"
  # configure warns that Bison and Flex are missing: only a build from git needs them.
  (cd "$dir" && ./configure --without-readline --without-icu --without-zlib --without-gssapi \
      --without-ldap --with-ssl=openssl \
    && make -s -j2 -C src/interfaces/libpq) > "$dir/.tock-build.log" 2>&1
  if [ ! -f "$dir/src/interfaces/libpq/libpq.a" ]; then
    tail -20 "$dir/.tock-build.log" >&2
    echo "deps: libpq did not build (log: $dir/.tock-build.log)" >&2
    return 1
  fi
  # Only the client's public headers, apart: the server's src/include would shadow others.
  mkdir -p "$dir/out"
  cp "$dir/src/interfaces/libpq/libpq-fe.h" "$dir/src/include/postgres_ext.h" \
    "$dir/src/include/pg_config_ext.h" "$dir/out/"
  echo "$stamp" > "$dir/.tock-built"
}
build_libpq

# --- test-only tools -----------------------------------------------------------------------
# Public npm packages the integration tests run unchanged, in one npm project:
#   standardwebhooks  verifies the callbacks' Standard Webhooks signatures
#   jpush-sdk         JPush's official Node.js client, driven against /v3 and /v4/schedules
#                     (pinned: the test substitutes its host constant, whose text it checks)
#   puppeteer-core    drives Debian's chromium in the console's browser test (24.x: the
#                     newest line that runs on node 18; it downloads no browser)
#   @readme/openapi-parser  validates /openapi.json as OpenAPI 3.1 (needs node >= 20)
# Each is installed once; a package already there is left as it is.
if [ $want_test = 1 ]; then
  mkdir -p "$TP/node"
  for pkg in standardwebhooks@1 jpush-sdk@3.5.0 puppeteer-core@24 @readme/openapi-parser@9; do
    if [ ! -d "$TP/node/node_modules/${pkg%@*}" ]; then
      (cd "$TP/node" && npm install --silent --no-audit --no-fund "$pkg" >/dev/null)
      echo "deps: installed $pkg (npm)"
    fi
  done
fi
