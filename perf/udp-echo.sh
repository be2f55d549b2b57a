#!/usr/bin/env bash
# UDP echo over loopback (issue 5): io_uring backend, epoll + mmsg backend and a naive
# recvfrom/sendto loop, 64- and 1400-byte datagrams, in one run. Builds ztkit_udp_echo in
# Release and prints a Markdown table for perf/RESULTS.md.
#   perf/udp-echo.sh [build-dir] [-- ztkit_udp_echo options: --seconds S --window W --batch B
#                     --reps N --sizes 64,1400 --cases naive,epoll,epoll+gso,io_uring,io_uring+gso,...]
# "+gso" cases: UDP GSO sends and GRO receive on both ends; "@N" after a case: N io_uring ring entries.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-perf}"
shift || true
[[ "${1:-}" == "--" ]] && shift
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DZTKIT_BUILD_TESTS=OFF -DZTKIT_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" -j"${JOBS:-2}" ztkit_udp_echo >/dev/null
bin="$(find "$build" -name ztkit_udp_echo -type f -perm -u+x | head -1)"
echo "## UDP echo ($(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo
"$bin" "$@"
