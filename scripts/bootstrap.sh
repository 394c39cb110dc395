#!/usr/bin/env bash
# Installs the Debian packages casesync needs to build and test. Idempotent: when every
# package is already present it prints nothing and touches nothing.
set -euo pipefail

# Build: compiler toolchain and the libraries named in docs/DESIGN (Debian packages only).
BUILD_PKGS=(
  build-essential cmake pkg-config
  libzmq3-dev cppzmq-dev libsqlite3-dev libcereal-dev libsodium-dev doctest-dev
  libtomlplusplus-dev libcpp-httplib-dev nlohmann-json3-dev libsystemd-dev
  libzstd-dev   # batch compression (sync/frame_compression.h)
  libssl-dev    # the API's optional TLS listener (cpp-httplib with OpenSSL: api.tls_listen)
  openssl       # integration tests make a self-signed certificate for it
  sqlite3       # operators inspect node databases by hand; tests use it too
  python3       # the demo and integration drivers
  curl          # integration tests poke the local API
  gettext       # msgfmt compiles po/zh_CN.po; xgettext keeps po/casesync.pot current
)

want=("${BUILD_PKGS[@]}")
if [[ "${1:-}" == "--test" ]]; then
  # Test-only tools: promtool validates /metrics, chromium renders the pages, faketime skews a
  # node's clock, clang runs fuzz corpora under sanitizers.
  # fonts-wqy-zenhei: Chinese glyphs for the pages' screenshots (the tests read the DOM, the
  # screenshots are for people).
  want+=(socat faketime clang libclang-rt-14-dev prometheus chromium lintian systemd man-db dpkg-dev
         fonts-wqy-zenhei)
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then exit 0; fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
