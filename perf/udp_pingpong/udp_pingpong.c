/* udp_pingpong: the raw kernel baseline for ztkit's latency target (issue 11: a 64-byte TCP
 * request/response between two ztkit nodes adds at most 50 us at p50 over a raw UDP
 * ping-pong over loopback). An echo thread and a client on two UDP sockets on 127.0.0.1;
 * the client sends N 64-byte datagrams one at a time, each after the previous echo came
 * back, and prints the round-trip percentiles as JSON (microseconds):
 *
 *     udp_pingpong [COUNT]        -> {"count":N,"p50_us":..,"p90_us":..,"p99_us":..,"p999_us":..}
 *
 * Blocking sockets, no busy polling: the same wake-ups a request/response pays through
 * ztkit. Built and run only by perf/run.py. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int echo_fd;
static volatile int stop;

static void* echo_main(void* arg) {
  (void)arg;
  unsigned char buf[2048];
  struct sockaddr_in from;
  while (!stop) {
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(echo_fd, buf, sizeof buf, 0, (struct sockaddr*)&from, &len);
    if (n <= 0) continue;
    if (n == 1 && buf[0] == 0xff) break; /* the client's goodbye */
    (void)sendto(echo_fd, buf, (size_t)n, 0, (struct sockaddr*)&from, len);
  }
  return NULL;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double pct(const double* v, long n, double p) {
  long i = (long)(p * (double)(n - 1) + 0.5);
  return v[i < 0 ? 0 : (i >= n ? n - 1 : i)];
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  long count = argc > 1 ? atol(argv[1]) : 10000;
  if (count < 1 || count > 10000000) {
    fprintf(stderr, "udp_pingpong: COUNT must be 1..10000000\n");
    return 2;
  }
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  echo_fd = socket(AF_INET, SOCK_DGRAM, 0);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (echo_fd < 0 || fd < 0 || bind(echo_fd, (struct sockaddr*)&a, sizeof a) != 0 ||
      getsockname(echo_fd, (struct sockaddr*)&a, &alen) != 0 ||
      connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("udp_pingpong: socket");
    return 1;
  }
  struct timeval tv = {2, 0}; /* a lost datagram on loopback is a failure, not a hang */
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  pthread_t t;
  if (pthread_create(&t, NULL, echo_main, NULL) != 0) return 1;
  double* rtt = malloc(sizeof(double) * (size_t)count);
  if (!rtt) return 1;
  unsigned char msg[64], back[2048];
  memset(msg, 0x5a, sizeof msg);
  const long warmup = count / 10 < 100 ? 100 : count / 10;
  int rc = 0;
  for (long i = -warmup; i < count; ++i) {
    const double t0 = now_us();
    if (send(fd, msg, sizeof msg, 0) != (ssize_t)sizeof msg || recv(fd, back, sizeof back, 0) != (ssize_t)sizeof msg) {
      fprintf(stderr, "udp_pingpong: exchange %ld failed\n", i);
      rc = 1;
      break;
    }
    if (i >= 0) rtt[i] = now_us() - t0;
  }
  stop = 1;
  const unsigned char bye = 0xff;
  (void)send(fd, &bye, 1, 0);
  pthread_join(t, NULL);
  if (rc == 0) {
    qsort(rtt, (size_t)count, sizeof(double), cmp);
    printf("{\"count\":%ld,\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f}\n", count,
           pct(rtt, count, 0.50), pct(rtt, count, 0.90), pct(rtt, count, 0.99), pct(rtt, count, 0.999));
  }
  free(rtt);
  close(fd);
  close(echo_fd);
  return rc;
}
