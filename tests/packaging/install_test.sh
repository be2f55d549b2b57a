#!/usr/bin/env bash
# The packaging test (ctest packaging.install_and_use): installs this build into a temporary
# prefix with `cmake --install`, then builds an outside program against the INSTALLED package
# twice, with find_package(ztkit CONFIG) and with `pkg-config --cflags --libs ztkit`, and runs
# it (a node as the root of its own loopback world: start, identity check, stop).
#   install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR CXX LIBDIR VERSION
# WORK_DIR is stable (inside the build folder) so that ccache hits on the next run.
set -euo pipefail
build="$1" src="$2" work="$3" cxx="$4" libdir="$5" version="$6"
prefix="$work/prefix"
SECONDS=0
step() { echo "== [${SECONDS}s] $*"; }

rm -rf "$work"
mkdir -p "$work"

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in "$libdir/libztkit.a" include/ztkit/node.h include/ztkit/zt.h \
    "$libdir/cmake/ztkit/ztkitConfig.cmake" "$libdir/cmake/ztkit/ztkitConfigVersion.cmake" \
    "$libdir/cmake/ztkit/ztkitTargets.cmake" "$libdir/pkgconfig/ztkit.pc" bin/zt bin/ztperf \
    lib/systemd/system/ztkit@.service; do
  [ -e "$prefix/$f" ] || { echo "FAIL: not installed: $f"; exit 1; }
done
grep -q "^ExecStart=$prefix/bin/zt " "$prefix/lib/systemd/system/ztkit@.service" ||
  { echo "FAIL: the unit does not name the installed zt"; exit 1; }
"$prefix/bin/zt" --help >/dev/null
"$prefix/bin/ztperf" --help >/dev/null

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

step "find_package(ztkit CONFIG): configure tests/packaging/consumer"
cmake -S "$src/tests/packaging/consumer" -B "$work/consumer" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  -DZTKIT_EXAMPLES_DIR="$src/examples" >"$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log"; exit 1; }
grep -q "ztkit $version from $prefix/$libdir/cmake/ztkit" "$work/consumer.log" ||
  { cat "$work/consumer.log"; echo "FAIL: ztkit $version not found in $prefix"; exit 1; }
step "find_package(ztkit CONFIG): build ztkit_smoke and examples/echo_server.cc"
cmake --build "$work/consumer" -j 2
# No ztkit source folder on the include path: only the installed headers.
if grep -q -- "-I$src/include" "$work/consumer/build.ninja"; then
  echo "FAIL: the consumer compiles with the source tree's headers"; exit 1
fi
step "run ztkit_smoke (find_package)"
"$work/consumer/ztkit_smoke" "$work/state-cmake"
rc=0
"$work/consumer/echo_server" 2>"$work/echo.err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "usage:" "$work/echo.err" ||
  { echo "FAIL: echo_server without arguments: rc $rc"; cat "$work/echo.err"; exit 1; }

step "pkg-config --cflags --libs ztkit"
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
[ "$(pkg-config --modversion ztkit)" = "$version" ] || { echo "FAIL: pkg-config version"; exit 1; }
flags=$(pkg-config --cflags --libs ztkit)
echo "$flags"
cc=("$cxx")
if command -v ccache >/dev/null; then cc=(ccache "$cxx"); fi
# shellcheck disable=SC2086  # the flags are words
"${cc[@]}" -std=c++20 -O1 -c "$src/tests/packaging/consumer/smoke.cc" -o "$work/smoke_pc.o" \
  $(pkg-config --cflags ztkit)
"$cxx" "$work/smoke_pc.o" -o "$work/smoke_pc" $(pkg-config --libs ztkit)
step "run ztkit_smoke (pkg-config)"
"$work/smoke_pc" "$work/state-pc"

rm -rf "$prefix"  # the binaries are large in sanitizer builds
step "ok"
