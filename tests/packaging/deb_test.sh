#!/usr/bin/env bash
# The Debian package test (ctest packaging.deb): `cpack -G DEB` of this build into WORK_DIR,
# then checks the two packages' control fields and file lists with dpkg-deb.
#   deb_test.sh BUILD_DIR WORK_DIR SANITIZE
# Exit 77 (ctest: skipped) in sanitizer builds, which are not packages anyone ships.
set -euo pipefail
build="$1" work="$2" sanitize="$3"
if [ "$sanitize" = "ON" ]; then
  echo "SKIP: sanitizer build (release builds run this test)"
  exit 77
fi
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (scripts/install-deps: dpkg-dev)"; exit 1; }
done
rm -rf "$work"
mkdir -p "$work"
SECONDS=0
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; exit 1; }
echo "cpack: ${SECONDS}s"
shopt -s nullglob
runtime=("$work"/ztkit_*.deb)
dev=("$work"/libztkit-dev_*.deb)
[ ${#runtime[@]} -eq 1 ] && [ ${#dev[@]} -eq 1 ] ||
  { ls -l "$work"; echo "FAIL: expected ztkit_*.deb and libztkit-dev_*.deb"; exit 1; }

check() {  # check DEB PATH...: each PATH is in the package
  local deb="$1" list
  shift
  list=$(dpkg-deb -c "$deb")
  for p in "$@"; do
    grep -qE " \./$p\$" <<<"$list" || { echo "$list"; echo "FAIL: $(basename "$deb") lacks $p"; exit 1; }
  done
}
check "${runtime[0]}" usr/bin/zt usr/bin/ztperf usr/lib/systemd/system/ztkit@.service \
  usr/share/doc/ztkit/README.md usr/share/doc/ztkit/operations.md \
  usr/share/doc/ztkit/commands/join.md
check "${dev[0]}" "usr/lib/(.*/)?libztkit\.a" usr/include/ztkit/node.h \
  "usr/lib/(.*/)?cmake/ztkit/ztkitConfig\.cmake" "usr/lib/(.*/)?pkgconfig/ztkit\.pc"
# Runtime Depends from dpkg-shlibdeps; the -dev package names what linking libztkit.a needs.
dpkg-deb -f "${runtime[0]}" Depends | grep -q libsodium ||
  { dpkg-deb -f "${runtime[0]}"; echo "FAIL: ztkit's Depends lack libsodium"; exit 1; }
dpkg-deb -f "${dev[0]}" Depends | grep -q libsodium-dev ||
  { dpkg-deb -f "${dev[0]}"; echo "FAIL: libztkit-dev's Depends lack libsodium-dev"; exit 1; }
grep -q "^ExecStart=/usr/bin/zt " < <(dpkg-deb --fsys-tarfile "${runtime[0]}" |
  tar -xO ./usr/lib/systemd/system/ztkit@.service) ||
  { echo "FAIL: the packaged unit does not run /usr/bin/zt"; exit 1; }
for d in "${runtime[0]}" "${dev[0]}"; do
  echo "== $(basename "$d")"
  dpkg-deb -f "$d" Package Version Architecture Depends
done
rm -rf "$work/_CPack_Packages"
echo "ok (${SECONDS}s)"
