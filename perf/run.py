#!/usr/bin/env python3
"""ztkit against its baselines, in one go on one machine, and a dated section for RESULTS.md.

    perf/run.py [--build build/release] [-t 3] [--reps 3] [--latency 3000] [--append]
    ZTKIT_ZEROTIER_ONE=/path/to/zerotier-one [ZTKIT_LIBZT=/path/to/libzt-dist] perf/run.py ...  # as root

Runs, interleaved rep by rep so that every ratio compares figures of the same minutes:
  * the crypto ceiling: one core's armor + dearmor of 2800-byte packets with the suite ztkit
    nodes use with each other (AES-GMAC-SIV, protocol 12+) and Salsa20/12-Poly1305
    (ztkit_bench BM_packet_armor / BM_packet_dearmor);
  * the kernel's TCP over loopback: `ztperf --local --kernel 127.0.0.1` (the ceiling);
  * ztkit <-> ztkit over loopback: `ztperf --local` (root + controller + two nodes in one
    process, UDP on 127.0.0.1, encrypted) with UDP offload (the default) and `--no-offload`;
  * the same three for 64-byte TCP request/response latency (`--latency N`), and a raw UDP
    ping-pong over loopback (perf/udp_pingpong/udp_pingpong.c, built with cc at run time), the
    baseline of issue 11's latency target;
  * with ZTKIT_ZEROTIER_ONE naming a hand-built zerotier-one 1.14 and run as root:
    zerotier-one <-> zerotier-one through their TAPs, in the ../shared/interop lab brought up
    in a temporary $LAB (two members in namespaces), measured with `ztperf --kernel` on the
    members' ZeroTier addresses; zerotier-one's own CPU time read from /proc;
  * with ZTKIT_LIBZT as well (a hand-built libzt, zerotier/libzt = ZeroTierOne's core + lwIP,
    never built here or in CI): libzt <-> libzt. ZTKIT_LIBZT is a folder holding
    include/ZeroTierSockets.h and lib/libzt.a (its static library); perf/libzt/ztperf_libzt.c,
    our own test program on libzt's public C API, is compiled against it into a temporary
    folder at run time. Two libzt nodes (lz-srv udp 29994 / 10.147.17.21, lz-cli udp 29995 /
    10.147.17.22, fresh identities pre-authorized by lab-start.sh) run in the lab's hub
    namespace, since libzt, like zerotier-one, never uses loopback paths; the server stays up,
    the client is a new process per test (its start and join are not timed). Same single-stream
    goodput (receiver's bytes from the first byte to the FIN) and 64 B request/response test;
    CPU is both libzt processes; libzt exposes no retransmit counter, so the longest blocked
    send() of each run is reported instead (lwIP's retransmission timeouts show up there).
    Without ZTKIT_ZEROTIER_ONE and root there is no lab, hence no libzt rows.
Shards: a ztkit node runs shard 0 (socket, data-packet crypto, ports, lane 0 of each IP stack)
and a control thread (protocol core); `--shards 2` adds shard 1 with the TCP flows hashed to
it (NodeOptions::shards). Rows: one stream with 1 and 2 shards, and two streams (-P 2) with 1
and 2 shards (a client's connections alternate over its shards; the server's land by hash).
Medians over the reps; `--append` adds the section to perf/RESULTS.md, else it is printed.
Never run in CI (it takes minutes and wants a quiet machine).
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def run_json(cmd, timeout):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def crypto_ceiling(bench):
    """Gbit/s of armor + dearmor on one core for 2800-byte packets, per suite."""
    out = run_json([bench, "--benchmark_filter=BM_packet_(armor|dearmor)/(aes|salsa)/2800$",
                    "--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true",
                    "--benchmark_format=json"], 300)
    rate = {}
    for b in out["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        fn, suite, _ = b["run_name"].split("/")  # BM_packet_armor/aes/2800
        op = fn.rsplit("_", 1)[1]
        rate[(op, suite)] = b["bytes_per_second"]
    res = {}
    for suite in ("aes", "salsa"):
        a, d = rate.get(("armor", suite)), rate.get(("dearmor", suite))
        if a and d:
            res[suite] = 8 / (1 / a + 1 / d) / 1e9  # one core doing both, Gbit/s of payload
    return res


def tcp_run(ztperf, extra, seconds):
    d = run_json([ztperf, "--local", "-t", str(seconds), "--json"] + extra, seconds + 120)
    t = d["tcp"]["client_to_server"]
    return {"mbps": t["mbps"], "retransmits": t["retransmits"],
            "cpu_per_gbit": d.get("cpu", {}).get("s_per_gbit")}


def build_udp_pingpong(out_dir):
    """perf/udp_pingpong/udp_pingpong.c (the raw UDP ping-pong baseline), or None without cc."""
    exe = os.path.join(out_dir, "udp_pingpong")
    src = os.path.join(HERE, "udp_pingpong", "udp_pingpong.c")
    try:
        subprocess.run(["cc", "-O2", "-std=c11", "-pthread", "-o", exe, src], check=True,
                       capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        print(f"no raw UDP ping-pong baseline (cc failed: {e})", file=sys.stderr)
        return None
    return exe


def udp_pingpong_run(exe, count):
    return run_json([exe, str(count)], 300)


def latency_run(ztperf, extra, count):
    d = run_json([ztperf, "--local", "--latency", str(count), "--json"] + extra, 300)
    lat = d["latency"]
    return {k: lat[k] for k in ("p50_us", "p90_us", "p99_us", "p999_us") if k in lat}


class Lab:
    """The ../shared/interop lab in a temporary $LAB, with members tap-a and tap-b."""

    def __init__(self, zerotier_one, libzt_nodes=False):
        self.interop = os.path.join(os.path.dirname(REPO), "shared", "interop")
        self.captures = os.path.join(os.path.dirname(REPO), "shared", "captures")
        self.dir = tempfile.mkdtemp(prefix="ztkit-perf-lab-")
        self.env = dict(os.environ, LAB=self.dir)
        os.makedirs(os.path.join(self.dir, "bin"))
        os.makedirs(os.path.join(self.dir, "run"))
        os.symlink(os.path.abspath(zerotier_one), os.path.join(self.dir, "bin", "zerotier-one"))
        for alias in ("zerotier-cli", "zerotier-idtool"):
            os.symlink("zerotier-one", os.path.join(self.dir, "bin", alias))
        idtool = os.path.join(self.dir, "bin", "zerotier-idtool")
        for n in ("root", "ctl", "tap-a", "tap-b"):
            st = os.path.join(self.dir, "state", n)
            os.makedirs(st)
            shutil.copy(os.path.join(self.captures, n + ".identity.secret"), st + "/identity.secret")
            os.chmod(st + "/identity.secret", 0o600)
            pub = subprocess.run([idtool, "getpublic", st + "/identity.secret"], capture_output=True,
                                 text=True, check=True)
            open(st + "/identity.public", "w").write(pub.stdout)
        if libzt_nodes:  # fresh identities: lab-start.sh pre-authorizes them as .21 and .22
            for n in ("lz-srv", "lz-cli"):
                st = os.path.join(self.dir, "state", n)
                os.makedirs(st)
                subprocess.run([idtool, "generate", st + "/identity.secret", st + "/identity.public"],
                               capture_output=True, check=True, timeout=60)
        shutil.copy(os.path.join(self.captures, "planet"), os.path.join(self.dir, "state", "planet"))
        self.nwid = open(os.path.join(self.dir, "state", "ctl", "identity.public")).read()[:10] + "c0ffee"
        try:
            self.sh("lab-start.sh", timeout=120)
            self.sh("lab-member.sh", "tap-a", timeout=90)
            self.sh("lab-member.sh", "tap-b", timeout=90)
        except BaseException:
            self.stop()
            raise

    def sh(self, script, *args, timeout):
        subprocess.run(["bash", os.path.join(self.interop, script), *args], env=self.env,
                       check=True, timeout=timeout, capture_output=True)

    def cpu_s(self, node):
        pid = open(os.path.join(self.dir, "run", node + ".pid")).read().strip()
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        subprocess.run(["bash", os.path.join(self.interop, "lab-stop.sh"), "--netns"],
                       env=self.env, timeout=60, capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def zerotier_run(lab, ztperf, seconds, latency=None):
    """One test between tap-a (server, 10.147.17.11) and tap-b (client) through their TAPs."""
    server = subprocess.Popen(["ip", "netns", "exec", "ztlab-a", ztperf, "-s", "-1", "--kernel",
                               "10.147.17.11"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)  # the server binds (a test harness wait, not in any data path)
        cpu0 = lab.cpu_s("tap-a") + lab.cpu_s("tap-b")
        cmd = ["ip", "netns", "exec", "ztlab-b", ztperf, "-c", "10.147.17.11", "--kernel",
               "10.147.17.12", "--json"]
        cmd += ["--latency", str(latency)] if latency else ["-t", str(seconds)]
        d = run_json(cmd, seconds + 120)
        zt_cpu = lab.cpu_s("tap-a") + lab.cpu_s("tap-b") - cpu0
    finally:
        server.wait(timeout=30)
    if latency:
        lat = d["latency"]
        return {k: lat[k] for k in ("p50_us", "p90_us", "p99_us", "p999_us") if k in lat}
    t = d["tcp"]["client_to_server"]
    gbit = t["bytes"] * 8 / 1e9
    app_cpu = d.get("cpu", {}).get("client_s", 0) + d.get("cpu", {}).get("server_s", 0)
    return {"mbps": t["mbps"], "retransmits": t["retransmits"],
            "cpu_per_gbit": (zt_cpu + app_cpu) / gbit if gbit else None}


def build_libzt_perf(libzt, out_dir):
    """Compiles perf/libzt/ztperf_libzt.c against the libzt build at ZTKIT_LIBZT
    ($ZTKIT_LIBZT/include/ZeroTierSockets.h, $ZTKIT_LIBZT/lib/libzt.a) into out_dir."""
    inc, lib = os.path.join(libzt, "include"), os.path.join(libzt, "lib", "libzt.a")
    if not os.path.exists(os.path.join(inc, "ZeroTierSockets.h")) or not os.path.exists(lib):
        sys.exit(f"perf/run.py: ZTKIT_LIBZT={libzt} needs include/ZeroTierSockets.h and lib/libzt.a")
    obj, exe = os.path.join(out_dir, "ztperf_libzt.o"), os.path.join(out_dir, "ztperf_libzt")
    for cmd in (["cc", "-O2", "-std=c11", "-D_GNU_SOURCE", "-I", inc, "-c",
                 os.path.join(HERE, "libzt", "ztperf_libzt.c"), "-o", obj],
                ["c++", "-o", exe, obj, lib, "-lpthread"]):
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"perf/run.py: {' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return exe


class Libzt:
    """Two libzt nodes (ztperf_libzt) in the lab's hub namespace, as the lab reserves them:
    lz-srv (udp 29994, 10.147.17.21) serves every test; lz-cli (udp 29995, 10.147.17.22) is a
    fresh process per test (start + join are not timed). libzt never uses loopback paths, so
    both use the bridge address 172.30.99.1 (their packets go over lo of ztlab, like root<->ctl)."""

    SERVER_IP = "10.147.17.21"

    def __init__(self, lab, exe):
        self.lab, self.exe = lab, exe
        st = os.path.join(lab.dir, "state")
        self.common = ["--planet", os.path.join(st, "planet"), "--network", lab.nwid]
        self.log = open(os.path.join(lab.dir, "run", "lz-srv.log"), "w")
        self.server = subprocess.Popen(
            ["ip", "netns", "exec", "ztlab", exe, "-s", "--state", os.path.join(st, "lz-srv"),
             "--zt-port", "29994"] + self.common, stdout=subprocess.PIPE, stderr=self.log, text=True)
        # lab-stop.sh stops it too (by this pid: `ip netns exec` execs the program)
        open(os.path.join(lab.dir, "run", "lz-srv.pid"), "w").write(f"{self.server.pid}\n")
        line = self.server.stdout.readline()  # "ready <ip>" once it listens (it exits on a 60 s timeout)
        if not line.startswith("ready"):
            raise RuntimeError(f"libzt server did not come up: {line!r}, see {self.log.name}")

    def run(self, seconds, latency=None):
        cmd = ["ip", "netns", "exec", "ztlab", self.exe, "-c", self.SERVER_IP, "--state",
               os.path.join(self.lab.dir, "state", "lz-cli"), "--zt-port", "29995"] + self.common
        cmd += ["--latency", str(latency)] if latency else ["-t", str(seconds)]
        d = run_json(cmd, seconds + 180)
        if latency:
            lat = d["latency"]
            return {k: lat[k] for k in ("p50_us", "p90_us", "p99_us", "p999_us") if k in lat}
        t = d["tcp"]["client_to_server"]
        return {"mbps": t["mbps"], "retransmits": None, "cpu_per_gbit": d["cpu"]["s_per_gbit"],
                "stall_ms": t["max_send_stall_ms"]}

    def stop(self):
        if self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.log.close()
        pidfile = os.path.join(self.lab.dir, "run", "lz-srv.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)


def med(rows, key):
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(REPO, "build", "release"))
    ap.add_argument("-t", type=int, default=3, help="seconds per goodput run")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--latency", type=int, default=3000, help="request/response exchanges per run")
    ap.add_argument("--append", action="store_true", help="append the section to perf/RESULTS.md")
    a = ap.parse_args()
    ztperf = os.path.join(a.build, "tools", "ztperf", "ztperf")
    bench = os.path.join(a.build, "bench", "ztkit_bench")
    for f in (ztperf, bench):
        if not os.access(f, os.X_OK):
            sys.exit(f"perf/run.py: {f} is missing (build first: scripts/build release)")
    zo = os.environ.get("ZTKIT_ZEROTIER_ONE")
    libzt_dir = os.environ.get("ZTKIT_LIBZT")
    lab = libzt = libzt_exe = libzt_tmp = None
    if libzt_dir and not (zo and os.geteuid() == 0):
        print("ZTKIT_LIBZT set, but the libzt nodes need the interop lab (ZTKIT_ZEROTIER_ONE, "
              "root): no libzt rows", file=sys.stderr)
    elif libzt_dir:
        libzt_tmp = tempfile.mkdtemp(prefix="ztkit-perf-libzt-")
        print(f"compiling perf/libzt/ztperf_libzt.c against {libzt_dir}", file=sys.stderr)
        try:
            libzt_exe = build_libzt_perf(libzt_dir, libzt_tmp)
        except BaseException:
            shutil.rmtree(libzt_tmp, ignore_errors=True)
            raise
    if zo and os.geteuid() == 0:
        print("bringing up the interop lab (zerotier-one root, controller, tap-a, tap-b"
              f"{', libzt lz-srv' if libzt_exe else ''})", file=sys.stderr)
        try:
            lab = Lab(zo, libzt_nodes=bool(libzt_exe))
            if libzt_exe:
                libzt = Libzt(lab, libzt_exe)
        except BaseException:
            if lab:
                lab.stop()  # also ends a libzt server that did not come up (its pid file)
            if libzt_tmp:
                shutil.rmtree(libzt_tmp, ignore_errors=True)
            raise
    elif zo:
        print("ZTKIT_ZEROTIER_ONE set but not root: no zerotier-one rows", file=sys.stderr)

    cases = {"kernel": ["--kernel", "127.0.0.1"], "ztkit": [], "ztkit-no-offload": ["--no-offload"],
             "ztkit-2-shards": ["--shards", "2"], "ztkit-P2": ["-P", "2"],
             "ztkit-P2-2-shards": ["-P", "2", "--shards", "2"]}
    no_latency = {"ztkit-P2", "ztkit-P2-2-shards"}  # -P excludes --latency; same as the 1-stream rows
    tput = {k: [] for k in cases}
    lat = {k: [] for k in cases}
    if lab:
        tput["zerotier-one"], lat["zerotier-one"] = [], []
    if libzt:
        tput["libzt"], lat["libzt"] = [], []
    pingpong_tmp = tempfile.mkdtemp(prefix="ztkit-perf-udp-")
    pingpong = build_udp_pingpong(pingpong_tmp)
    raw_udp = []
    load0 = os.getloadavg()[0]
    started = datetime.datetime.now(datetime.timezone.utc)
    try:
        ceiling = crypto_ceiling(bench)
        for rep in range(a.reps):
            for name, extra in cases.items():
                print(f"rep {rep + 1}/{a.reps}: {name}", file=sys.stderr)
                tput[name].append(tcp_run(ztperf, extra, a.t))
                if name not in no_latency:
                    lat[name].append(latency_run(ztperf, extra, a.latency))
            if pingpong:
                raw_udp.append(udp_pingpong_run(pingpong, a.latency))
            if lab:
                print(f"rep {rep + 1}/{a.reps}: zerotier-one", file=sys.stderr)
                tput["zerotier-one"].append(zerotier_run(lab, ztperf, a.t))
                lat["zerotier-one"].append(zerotier_run(lab, ztperf, a.t, latency=a.latency))
            if libzt:
                print(f"rep {rep + 1}/{a.reps}: libzt", file=sys.stderr)
                tput["libzt"].append(libzt.run(a.t))
                lat["libzt"].append(libzt.run(a.t, latency=a.latency))
        ceiling_after = crypto_ceiling(bench)
    finally:
        if libzt:
            libzt.stop()
        if lab:
            lab.stop()
        if libzt_tmp:
            shutil.rmtree(libzt_tmp, ignore_errors=True)
        shutil.rmtree(pingpong_tmp, ignore_errors=True)
    load1 = os.getloadavg()[0]

    cpu = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    ztkit_mbps = med(tput["ztkit"], "mbps")
    aes = statistics.mean([c for c in (ceiling.get("aes"), ceiling_after.get("aes")) if c])
    out = []
    out.append(f"## {started:%Y-%m-%d %H:%M} UTC — perf/run.py (ztkit {rev})\n")
    out.append(f"{cpu}, {os.cpu_count()} CPUs, {platform.release()}; load average {load0:.1f} at the "
               f"start, {load1:.1f} at the end. `perf/run.py -t {a.t} --reps {a.reps} --latency "
               f"{a.latency}`{' with ZTKIT_ZEROTIER_ONE (zerotier-one 1.14.1 in the interop lab)' if lab else ''}"
               f"{f' and ZTKIT_LIBZT={libzt_dir} (libzt nodes in the lab)' if libzt else ''}; "
               f"medians of {a.reps} interleaved reps.\n")
    out.append("| path | TCP goodput | vs ztkit | retransmits | CPU-s per Gbit | 64 B RR p50 | p99 | p99.9 |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    labels = {"kernel": "kernel TCP, loopback (ceiling)", "ztkit": "ztkit <-> ztkit (UDP offload)",
              "ztkit-no-offload": "ztkit <-> ztkit, --no-offload",
              "ztkit-2-shards": "ztkit <-> ztkit, 2 shards per node",
              "ztkit-P2": "ztkit <-> ztkit, 2 streams (-P 2), 1 shard",
              "ztkit-P2-2-shards": "ztkit <-> ztkit, 2 streams (-P 2), 2 shards per node",
              "zerotier-one": "zerotier-one <-> zerotier-one, TAP",
              "libzt": "libzt <-> libzt (lwIP), lab namespace"}

    def fmt(v, spec, unit=""):
        return "-" if v is None else f"{v:{spec}}{unit}"

    for name in tput:
        m = med(tput[name], "mbps")
        ratio = (f"{m / ztkit_mbps:.2f}x" if m / ztkit_mbps >= 0.1 else f"{m / ztkit_mbps:.3f}x") \
            if m and ztkit_mbps else "-"
        out.append(f"| {labels[name]} | {fmt(m, '.0f', ' Mbit/s')} | {ratio} | "
                   f"{fmt(med(tput[name], 'retransmits'), '.0f')} | {fmt(med(tput[name], 'cpu_per_gbit'), '.3f')} | "
                   f"{fmt(med(lat[name], 'p50_us'), '.1f', ' µs')} | {fmt(med(lat[name], 'p99_us'), '.1f', ' µs')} | "
                   f"{fmt(med(lat[name], 'p999_us'), '.1f', ' µs')} |")
    out.append("")
    p1, p2 = med(tput["ztkit-P2"], "mbps"), med(tput["ztkit-P2-2-shards"], "mbps")
    s1, s2 = ztkit_mbps, med(tput["ztkit-2-shards"], "mbps")
    if p1 and p2 and s1 and s2:
        out.append(f"Shards (same reps): 2 shards / 1 shard = {s2 / s1:.2f}x on one stream, {p2 / p1:.2f}x "
                   f"on two streams ({os.cpu_count()} CPUs for both nodes, both applications and the kernel).")
    if raw_udp:
        udp50, ztk50 = med(raw_udp, "p50_us"), med(lat["ztkit"], "p50_us")
        out.append(f"Raw UDP ping-pong over loopback, 64 B (perf/udp_pingpong, same reps): p50 {udp50:.1f} µs, "
                   f"p99 {med(raw_udp, 'p99_us'):.1f} µs, p99.9 {med(raw_udp, 'p999_us'):.1f} µs; ztkit's 64 B TCP "
                   f"request/response adds {ztk50 - udp50:.1f} µs at p50 (issue 11 target: <= 50 µs).")
    out.append(f"Crypto ceiling, one core, armor + dearmor of 2800-byte packets (mean of a run before "
               f"and after): AES-GMAC-SIV {aes:.2f} Gbit/s, Salsa20/12-Poly1305 "
               f"{statistics.mean([c for c in (ceiling.get('salsa'), ceiling_after.get('salsa')) if c]):.2f} Gbit/s. "
               f"ztkit's single stream is {ztkit_mbps / 1000 / aes:.0%} of the AES ceiling (both ends "
               f"share this machine's CPUs, so each packet is armored and dearmored here once).")
    if "zerotier-one" in tput and med(tput["zerotier-one"], "mbps"):
        out.append(f"ztkit / zerotier-one: {ztkit_mbps / med(tput['zerotier-one'], 'mbps'):.2f}x goodput "
                   f"(issue 11 target: >= 3x). zerotier-one's CPU includes both zerotier-one processes "
                   f"and the ztperf ends.")
    if "libzt" in tput and med(tput["libzt"], "mbps"):
        lz_runs = ", ".join(f"{r['mbps']:.0f}" for r in tput["libzt"])
        stalls = ", ".join(f"{r['stall_ms']:.0f}" for r in tput["libzt"])
        out.append(f"ztkit / libzt: {ztkit_mbps / med(tput['libzt'], 'mbps'):.1f}x goodput (issue 11 target: "
                   f">= 20x); 64 B RR p50 {med(lat['libzt'], 'p50_us'):.1f} µs libzt vs "
                   f"{med(lat['ztkit'], 'p50_us'):.1f} µs ztkit, p99 {med(lat['libzt'], 'p99_us'):.1f} vs "
                   f"{med(lat['ztkit'], 'p99_us'):.1f} µs. libzt runs: {lz_runs} Mbit/s; its sender's longest "
                   f"blocked send() per run: {stalls} ms. libzt's CPU is both libzt processes (node, lwIP "
                   f"and test threads); no retransmit counter through its API.")
    out.append("")
    text = "\n".join(out) + "\n"
    if a.append:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write("\n" + text)
        print(f"appended to {os.path.join(HERE, 'RESULTS.md')}", file=sys.stderr)
    print(text)


if __name__ == "__main__":
    main()
