/* ztperf_libzt: a baseline for perf/run.py, written by us against libzt's public C API
 * (ZeroTierSockets.h, zerotier/libzt: ZeroTierOne's core + lwIP in one process). Not part of
 * the ztkit build: perf/run.py compiles it only when ZTKIT_LIBZT names a libzt build
 * (ZTKIT_LIBZT/include/ZeroTierSockets.h and ZTKIT_LIBZT/lib/libzt.a), and runs it in the
 * ../shared/interop lab (libzt never uses loopback paths, so it needs private addresses).
 *
 *   ztperf_libzt -s --state DIR --planet FILE --network NWID --zt-port 29994 [-p 5201] [-1]
 *   ztperf_libzt -c HOST --state DIR --planet FILE --network NWID --zt-port 29995
 *                [-p 5201] (-t SECONDS | --latency COUNT) [-l BYTES]
 *
 * The server prints "ready <its ZeroTier IPv4>" once it listens. The client prints one JSON
 * object shaped like `ztperf --json` (tcp.client_to_server.{bytes,seconds,mbps}, latency.
 * {p50_us,...}, cpu.{client_s,server_s,s_per_gbit}) plus what libzt can tell us (no
 * retransmit counter: null). Goodput is the server's: bytes received between the first data
 * byte and the client's FIN. One test per connection; the server serves tests one at a time.
 */
#include "ZeroTierSockets.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { KIND_BULK = 0, KIND_LATENCY = 1 };
#define MAGIC 0x5a4c5031u /* "ZLP1" */
#define BULK_WRITE (128 * 1024)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void put32(unsigned char* p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (24 - 8 * i));
}
static uint32_t get32(const unsigned char* p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put64(unsigned char* p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}
static uint64_t get64(const unsigned char* p) { return (uint64_t)get32(p) << 32 | get32(p + 4); }

static int send_all(int fd, const void* buf, size_t len)
{
    const char* p = buf;
    while (len > 0) {
        ssize_t n = zts_bsd_send(fd, p, len, 0);
        if (n <= 0) {
            if (n < 0 && zts_errno == ZTS_EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int recv_all(int fd, void* buf, size_t len)
{
    char* p = buf;
    while (len > 0) {
        ssize_t n = zts_bsd_recv(fd, p, len, 0);
        if (n <= 0) {
            if (n < 0 && zts_errno == ZTS_EINTR) continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void die(const char* what)
{
    fprintf(stderr, "ztperf_libzt: %s (zts_errno %d)\n", what, zts_errno);
    exit(1);
}

static double join_ms;

/* Start the node from its state folder with the planet file as its roots, join, wait for IPv4. */
static void start_node(const char* state, const char* planet, uint64_t nwid, unsigned zt_port,
                       int timeout_s, char* ip, size_t iplen)
{
    static char roots[16384];
    FILE* f = fopen(planet, "rb");
    if (! f) die("cannot open the planet file");
    size_t rl = fread(roots, 1, sizeof(roots), f);
    fclose(f);
    if (rl == 0) die("empty planet file");
    if (zts_init_from_storage(state) != ZTS_ERR_OK) die("zts_init_from_storage");
    if (zts_init_set_roots(roots, (unsigned)rl) != ZTS_ERR_OK) die("zts_init_set_roots");
    if (zt_port && zts_init_set_port((unsigned short)zt_port) != ZTS_ERR_OK) die("zts_init_set_port");
    zts_init_allow_secondary_port(0); /* as the lab's local.conf for zerotier-one */
    zts_init_allow_port_mapping(0);
    zts_init_allow_tcp_relay(0);
    double t0 = now_s();
    if (zts_node_start() != ZTS_ERR_OK) die("zts_node_start");
    while (! zts_node_is_online()) {
        if (now_s() - t0 > timeout_s) die("node not online");
        zts_util_delay(20);
    }
    if (zts_net_join(nwid) != ZTS_ERR_OK) die("zts_net_join");
    while (! zts_net_transport_is_ready(nwid) || ! zts_addr_is_assigned(nwid, ZTS_AF_INET)) {
        if (now_s() - t0 > timeout_s) die("network not ready (authorized?)");
        zts_util_delay(20);
    }
    join_ms = (now_s() - t0) * 1e3;
    zts_addr_get_str(nwid, ZTS_AF_INET, ip, (unsigned)iplen);
    fprintf(stderr, "ztperf_libzt: node %010llx joined %016llx as %s in %.0f ms\n",
            (unsigned long long)zts_node_get_id(), (unsigned long long)nwid, ip, join_ms);
}

static int serve_one(int cfd)
{
    unsigned char hdr[16];
    if (recv_all(cfd, hdr, sizeof(hdr)) != 0 || get32(hdr) != MAGIC) return -1;
    uint32_t kind = get32(hdr + 4), len = get32(hdr + 8), count = get32(hdr + 12);
    if (kind == KIND_BULK) {
        static char buf[BULK_WRITE];
        uint64_t bytes = 0;
        double t0 = 0, c0 = cpu_s();
        for (;;) {
            ssize_t n = zts_bsd_recv(cfd, buf, sizeof(buf), 0);
            if (n < 0 && zts_errno == ZTS_EINTR) continue;
            if (n < 0) return -1;
            if (n == 0) break;
            if (bytes == 0) t0 = now_s();
            bytes += (uint64_t)n;
        }
        double secs = bytes ? now_s() - t0 : 0, cpu = cpu_s() - c0;
        unsigned char res[24];
        put64(res, bytes);
        put64(res + 8, (uint64_t)(secs * 1e9));
        put64(res + 16, (uint64_t)(cpu * 1e6));
        return send_all(cfd, res, sizeof(res));
    }
    if (kind == KIND_LATENCY && len > 0 && len <= 65536) {
        int one = 1;
        zts_bsd_setsockopt(cfd, ZTS_IPPROTO_TCP, ZTS_TCP_NODELAY, &one, sizeof(one));
        char* buf = malloc(len);
        double c0 = cpu_s();
        for (uint32_t i = 0; i < count; i++) {
            if (recv_all(cfd, buf, len) != 0 || send_all(cfd, buf, len) != 0) {
                free(buf);
                return -1;
            }
        }
        free(buf);
        unsigned char res[8];
        put64(res, (uint64_t)((cpu_s() - c0) * 1e6));
        return send_all(cfd, res, sizeof(res));
    }
    return -1;
}

static int run_server(unsigned port, int one_off, const char* ip)
{
    int fd = zts_bsd_socket(ZTS_AF_INET, ZTS_SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (zts_bind(fd, "0.0.0.0", (unsigned short)port) != ZTS_ERR_OK) die("bind");
    if (zts_bsd_listen(fd, 8) != ZTS_ERR_OK) die("listen");
    printf("ready %s\n", ip);
    fflush(stdout);
    for (;;) {
        int cfd = zts_bsd_accept(fd, NULL, NULL);
        if (cfd < 0) {
            if (zts_errno == ZTS_EINTR) continue;
            die("accept");
        }
        if (serve_one(cfd) != 0) fprintf(stderr, "ztperf_libzt: a test failed (zts_errno %d)\n", zts_errno);
        zts_bsd_close(cfd);
        if (one_off) return 0;
    }
}

static int connect_retry(const char* host, unsigned port, int timeout_s)
{
    double t0 = now_s();
    for (;;) {
        int fd = zts_bsd_socket(ZTS_AF_INET, ZTS_SOCK_STREAM, 0);
        if (fd < 0) die("socket");
        /* the first SYN of a fresh member may wait for ARP / the peer's path: retry */
        if (zts_connect(fd, host, (unsigned short)port, 3000) == ZTS_ERR_OK) return fd;
        zts_bsd_close(fd);
        if (now_s() - t0 > timeout_s) die("connect");
        zts_util_delay(200);
    }
}

static int cmp_double(const void* a, const void* b)
{
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

static double pct(const double* v, size_t n, double q)
{
    size_t k = (size_t)(q * n + 0.999999);
    if (k < 1) k = 1;
    if (k > n) k = n;
    return v[k - 1];
}

static int run_client(const char* host, unsigned port, int seconds, uint32_t latency, uint32_t len,
                      int timeout_s, const char* ip)
{
    int fd = connect_retry(host, port, timeout_s);
    unsigned char hdr[16];
    put32(hdr, MAGIC);
    put32(hdr + 4, latency ? KIND_LATENCY : KIND_BULK);
    put32(hdr + 8, len);
    put32(hdr + 12, latency);
    if (send_all(fd, hdr, sizeof(hdr)) != 0) die("send header");
    printf("{\n  \"version\": 1,\n  \"transport\": \"libzt\",\n  \"server\": \"%s:%u\",\n", host, port);
    printf("  \"libzt\": {\"join_ms\": %.3f, \"node\": \"%010llx\", \"address\": \"%s\"},\n", join_ms,
           (unsigned long long)zts_node_get_id(), ip);
    if (latency) {
        int one = 1;
        zts_bsd_setsockopt(fd, ZTS_IPPROTO_TCP, ZTS_TCP_NODELAY, &one, sizeof(one));
        char* buf = calloc(1, len);
        double* us = malloc(sizeof(double) * latency);
        double c0 = cpu_s(), sum = 0;
        for (uint32_t i = 0; i < latency; i++) {
            double t0 = now_s();
            if (send_all(fd, buf, len) != 0 || recv_all(fd, buf, len) != 0) die("exchange");
            us[i] = (now_s() - t0) * 1e6;
            sum += us[i];
        }
        double ccpu = cpu_s() - c0;
        unsigned char res[8];
        if (recv_all(fd, res, sizeof(res)) != 0) die("server result");
        qsort(us, latency, sizeof(double), cmp_double);
        printf("  \"test\": {\"kind\": \"latency\", \"count\": %u, \"length\": %u},\n", latency, len);
        printf("  \"latency\": {\"count\": %u, \"length\": %u, \"min_us\": %.3f, \"mean_us\": %.3f, "
               "\"p50_us\": %.3f, \"p90_us\": %.3f, \"p99_us\": %.3f, \"p999_us\": %.3f, \"max_us\": %.3f},\n",
               latency, len, us[0], sum / latency, pct(us, latency, 0.5), pct(us, latency, 0.9),
               pct(us, latency, 0.99), pct(us, latency, 0.999), us[latency - 1]);
        printf("  \"cpu\": {\"client_s\": %.6f, \"server_s\": %.6f, \"same_process\": false}\n}\n", ccpu,
               get64(res) / 1e6);
        free(us);
        free(buf);
    }
    else {
        static char buf[BULK_WRITE];
        memset(buf, 0x5a, sizeof(buf));
        double c0 = cpu_s(), t0 = now_s(), end = t0 + seconds, last = t0, max_gap = 0;
        double istart = t0;
        uint64_t sent = 0, isent = 0;
        char intervals[16384];
        size_t il = 0;
        intervals[0] = 0;
        for (;;) {
            double t = now_s();
            if (t >= end) break;
            ssize_t n = zts_bsd_send(fd, buf, sizeof(buf), 0);
            if (n < 0 && zts_errno == ZTS_EINTR) continue;
            if (n <= 0) die("send");
            double t2 = now_s();
            if (t2 - last > max_gap) max_gap = t2 - last;
            last = t2;
            sent += (uint64_t)n;
            isent += (uint64_t)n;
            if (t2 - istart >= 1.0 || t2 >= end) {
                if (il + 200 < sizeof(intervals))
                    il += (size_t)snprintf(intervals + il, sizeof(intervals) - il,
                                           "%s\n    {\"start\": %.3f, \"end\": %.3f, \"sent_bytes\": %llu, \"sent_mbps\": %.3f}",
                                           il ? "," : "", istart - t0, t2 - t0, (unsigned long long)isent,
                                           isent * 8 / (t2 - istart) / 1e6);
                istart = t2;
                isent = 0;
            }
        }
        if (zts_bsd_shutdown(fd, ZTS_SHUT_WR) != ZTS_ERR_OK) die("shutdown");
        unsigned char res[24];
        if (recv_all(fd, res, sizeof(res)) != 0) die("server result");
        double ccpu = cpu_s() - c0, wall = now_s() - t0;
        uint64_t bytes = get64(res);
        double secs = get64(res + 8) / 1e9, scpu = get64(res + 16) / 1e6;
        double mbps = secs > 0 ? bytes * 8 / secs / 1e6 : 0, gbit = bytes * 8 / 1e9;
        printf("  \"test\": {\"kind\": \"tcp\", \"seconds\": %d, \"length\": %d},\n", seconds, BULK_WRITE);
        printf("  \"intervals\": [%s\n  ],\n", intervals);
        printf("  \"tcp\": {\"client_to_server\": {\"bytes\": %llu, \"seconds\": %.6f, \"mbps\": %.3f, "
               "\"retransmits\": null, \"sent_bytes\": %llu, \"wall_seconds\": %.6f, \"max_send_stall_ms\": %.3f}},\n",
               (unsigned long long)bytes, secs, mbps, (unsigned long long)sent, wall, max_gap * 1e3);
        printf("  \"cpu\": {\"client_s\": %.6f, \"server_s\": %.6f, \"same_process\": false, \"s_per_gbit\": %.6f}\n}\n",
               ccpu, scpu, gbit > 0 ? (ccpu + scpu) / gbit : 0);
    }
    fflush(stdout);
    zts_bsd_close(fd);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: ztperf_libzt (-s [-1] | -c HOST (-t SECONDS | --latency COUNT) [-l BYTES])\n"
            "       --state DIR --planet FILE --network NWID [--zt-port PORT] [-p PORT] [--join-timeout S]\n");
    exit(2);
}

int main(int argc, char** argv)
{
    const char *host = NULL, *state = NULL, *planet = NULL;
    int server = 0, one_off = 0, seconds = 3, timeout_s = 60;
    unsigned port = 5201, zt_port = 0;
    uint32_t latency = 0, len = 64;
    uint64_t nwid = 0;
    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : NULL;
        if (! strcmp(a, "-s")) server = 1;
        else if (! strcmp(a, "-1")) one_off = 1;
        else if (! strcmp(a, "--json")) continue; /* always JSON; accepted as ztperf's flag */
        else if (! v) usage();
        else if (! strcmp(a, "-c")) host = argv[++i];
        else if (! strcmp(a, "--state")) state = argv[++i];
        else if (! strcmp(a, "--planet")) planet = argv[++i];
        else if (! strcmp(a, "--network")) nwid = strtoull(argv[++i], NULL, 16);
        else if (! strcmp(a, "--zt-port")) zt_port = (unsigned)atoi(argv[++i]);
        else if (! strcmp(a, "-p")) port = (unsigned)atoi(argv[++i]);
        else if (! strcmp(a, "-t")) seconds = atoi(argv[++i]);
        else if (! strcmp(a, "--latency")) latency = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (! strcmp(a, "-l")) len = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (! strcmp(a, "--join-timeout")) timeout_s = atoi(argv[++i]);
        else usage();
    }
    if (server == (host != NULL) || ! state || ! planet || ! nwid || seconds < 1 || len < 1 || len > 65536) usage();
    char ip[ZTS_IP_MAX_STR_LEN] = { 0 };
    start_node(state, planet, nwid, zt_port, timeout_s, ip, sizeof(ip));
    int rc = server ? run_server(port, one_off, ip) : run_client(host, port, seconds, latency, len, timeout_s, ip);
    /* zts_node_stop() can take seconds to wind down the service thread; the OS cleans up */
    _exit(rc);
}
