#!/usr/bin/env bash
# Proves the Debian package and its units are shippable: the exposure systemd-analyze gives
# casesyncd.service and an instance of casesyncd@.service is at most 2.0 and `verify` is clean, the .deb holds every file and maintainer script it should, its
# man pages render without warnings, and lintian reports no error or warning (what does not apply
# is overridden in packaging/debian/lintian-overrides, each with its reason) and no hardening tag.
#
# Usage: tests/package_check.sh [BUILD_DIR]   (default: build; run `make package` first, or let
# this script run cpack when the build directory has a CPackConfig.cmake)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
UNIT="$ROOT/systemd/casesyncd.service"
EXPOSURE_MAX=2.0

fail() { echo "package_check: FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The exposure of unit file $1, named $2 (an instance for a template), printed; fails above the
# maximum.
check_exposure() {
  local named="$work/$2"
  cp "$1" "$named"
  security=$(systemd-analyze security --offline=true --no-pager "$named" 2>&1) ||
    fail "systemd-analyze security $2 failed:"$'\n'"$security"
  exposure=$(sed -n "s/.*Overall exposure level for $2: \([0-9.]*\).*/\1/p" <<<"$security")
  [[ -n "$exposure" ]] || fail "no exposure score for $2 in:"$'\n'"$security"
  echo "$2: exposure $exposure"
  awk -v e="$exposure" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(e <= m) }' ||
    fail "$2: exposure $exposure > $EXPOSURE_MAX:"$'\n'"$(grep '✗' <<<"$security")"
}

step "systemd-analyze security (exposure must be <= $EXPOSURE_MAX)"
check_exposure "$UNIT" casesyncd.service
TEMPLATE="$BUILD/packaging/casesyncd@.service"
[[ -f "$TEMPLATE" ]] || fail "no $TEMPLATE (made by packaging/package.cmake at configure time)"
check_exposure "$TEMPLATE" casesyncd@s02.service

step "the .deb"
if [[ -f "$BUILD/CPackConfig.cmake" ]]; then
  (cd "$BUILD" && cpack -G DEB --config CPackConfig.cmake >"$work/cpack.log" 2>&1) ||
    fail "cpack failed:"$'\n'"$(cat "$work/cpack.log")"
fi
mapfile -t debs < <(ls -t "$BUILD"/casesync_*.deb 2>/dev/null)
((${#debs[@]})) || fail "no casesync_*.deb in $BUILD (run \`make package\`)"
deb=${debs[0]}
echo "$deb"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'

step "contents"
dpkg-deb -c "$deb" | awk '{print $1, $2, $6}' >"$work/contents"
while read -r mode path; do
  line=$(grep -E " \./${path#/}\$" "$work/contents") || fail "missing from the package: $path"
  [[ "$line" == "$mode "* ]] || fail "$path: mode ${line%% *}, expected $mode"
done <<'EOF'
-rwxr-xr-x /usr/sbin/casesyncd
-rwxr-xr-x /usr/bin/casesyncctl
-rw-r--r-- /lib/systemd/system/casesyncd.service
-rw-r--r-- /lib/systemd/system/casesyncd@.service
-rw-r--r-- /etc/casesync/casesyncd.toml
-rw-r--r-- /usr/share/casesync/matters.toml
-rw-r--r-- /usr/share/casesync/calendar.toml
-rw-r--r-- /usr/share/man/man8/casesyncd.8.gz
-rw-r--r-- /usr/share/man/man1/casesyncctl.1.gz
-rw-r--r-- /usr/share/man/zh_CN/man8/casesyncd.8.gz
-rw-r--r-- /usr/share/man/zh_CN/man1/casesyncctl.1.gz
-rw-r--r-- /usr/share/doc/casesync/copyright
-rw-r--r-- /usr/share/doc/casesync/changelog.Debian.gz
-rw-r--r-- /usr/share/doc/casesync/INSTALL.md
-rw-r--r-- /usr/share/doc/casesync/SECURITY.md
-rw-r--r-- /usr/share/doc/casesync/examples/roster.toml
-rw-r--r-- /usr/share/lintian/overrides/casesync
-rw-r--r-- /usr/share/locale/zh_CN/LC_MESSAGES/casesync.mo
EOF
! grep -q 'var/lib/casesync' "$work/contents" || fail "the package must not ship /var/lib/casesync"
echo "$(wc -l <"$work/contents") entries, all expected files present"

step "control: maintainer scripts and conffiles"
dpkg-deb -e "$deb" "$work/control"
for s in postinst prerm postrm; do
  [[ -x "$work/control/$s" ]] || fail "maintainer script $s missing or not executable"
  sh -n "$work/control/$s" || fail "$s: syntax error"
done
grep -qx /etc/casesync/casesyncd.toml "$work/control/conffiles" ||
  fail "/etc/casesync/casesyncd.toml is not a conffile"
grep -q 'adduser --system --group' "$work/control/postinst" || fail "postinst creates no user"
grep -q 'admin.token' "$work/control/postinst" || fail "postinst creates no admin token"
grep -q 'data.key' "$work/control/postinst" || fail "postinst creates no data key"
grep -q 'purge' "$work/control/postrm" || fail "postrm has no purge branch"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libzmq5 libsodium23 libsqlite3-0 libsystemd0 libzstd1 libssl3 adduser; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib"
done

step "systemd-analyze verify (in the unpacked package, see below)"
# verify insists that ExecStart= exists and is executable; on a build machine
# /usr/sbin/casesyncd is absent, so the unit is checked inside a root made of the unpacked package
# plus the host's units (for the targets it names) and /bin/kill (ExecReload=).
root="$work/root"
dpkg-deb -x "$deb" "$root"
mkdir -p "$root/bin" "$root/lib/systemd/system"
cp /bin/kill "$root/bin/kill"
cp -rn /lib/systemd/system/. "$root/lib/systemd/system/" 2>/dev/null || true
verify=$(systemd-analyze verify --man=no --root="$root" casesyncd.service casesyncd@s02.service 2>&1) ||
  fail "systemd-analyze verify:"$'\n'"$verify"
[[ -z "$verify" ]] || fail "systemd-analyze verify is not clean:"$'\n'"$verify"
echo "clean"

step "man pages"
for page in "$root"/usr/share/man/man8/casesyncd.8.gz "$root"/usr/share/man/man1/casesyncctl.1.gz \
    "$root"/usr/share/man/zh_CN/man8/casesyncd.8.gz "$root"/usr/share/man/zh_CN/man1/casesyncctl.1.gz; do
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
  [[ -z "$warnings" ]] || fail "$page:"$'\n'"$warnings"
done
echo "render without warnings"

step "the default config parses (only node identity, key, roster and root key are left to fill)"
"$root/usr/bin/casesyncctl" config check "$root/etc/casesync/casesyncd.toml" >"$work/check" 2>&1 &&
  fail "the template config passed config check; it must force the installer to fill it in"
grep -q 'node.id' "$work/check" || fail "config check of the template: $(cat "$work/check")"
! grep -qE 'out of range|not a log level|is not a duration|unknown key|not allowed' "$work/check" ||
  fail "the template config has an invalid key:"$'\n'"$(cat "$work/check")"

step "lintian (errors and warnings fail; info tags shown, hardening ones fail)"
command -v lintian >/dev/null || fail "lintian is not installed (scripts/bootstrap.sh --test)"
lintian_out=$(lintian --fail-on error,warning --display-info --tag-display-limit 0 "$deb" 2>&1) &&
  lintian_rc=0 || lintian_rc=$?
lintian_out=$(grep -v 'running with root privileges' <<<"$lintian_out" || true)
echo "${lintian_out:-no tags}"
((lintian_rc == 0)) || fail "lintian reports errors or warnings"
! grep -q 'hardening-' <<<"$lintian_out" || fail "the binaries lack hardening (CMakeLists.txt)"
echo "package_check: OK ($deb; exposures above)"
