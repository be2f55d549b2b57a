/* The C ABI (include/ztkit/zt.h) exercised from C: a C program starts two ztkit nodes that join
 * a network served by a third (root + controller, made with the C++ API by the harness that
 * runs this program: it passes the planet file and the network ID), then TCP (socket, bind,
 * listen, accept, connect, send, recv, shutdown, close, getsockname/getpeername, setsockopt,
 * poll) and UDP (sendto/recvfrom), and the errno values of misuse. Exit status 0 = all passed;
 * each failed check prints a line. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "ztkit/zt.h"

static int failures = 0;
#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK(%s) failed (errno %d: %s)\n", __FILE__,    \
              __LINE__, #cond, errno, strerror(errno));                        \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static ztk_node* start(const char* dir, const char* planet, int shards) {
  ztk_node_options o;
  ztk_node_options_init(&o);
  o.state_dir = dir;
  o.planet_file = planet;
  o.listen = "127.0.0.1:0";
  o.allow_loopback = 1;
  o.shards = shards;
  ztk_node* n = NULL;
  int r = ztk_node_start(&o, &n);
  if (r != 0) {
    fprintf(stderr, "ztk_node_start(%s): %s\n", dir, strerror(r));
    exit(2);
  }
  return n;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PLANET NWID_HEX STATE_PREFIX\n", argv[0]);
    return 2;
  }
  const char* planet = argv[1];
  const uint64_t nwid = strtoull(argv[2], NULL, 16);
  char da[512], db[512];
  snprintf(da, sizeof da, "%s-a", argv[3]);
  snprintf(db, sizeof db, "%s-b", argv[3]);
  {
    ztk_node_options o;
    ztk_node_options_init(&o);
    o.state_dir = da;
    o.shards = 65;
    ztk_node* bad = NULL;
    CHECK(ztk_node_start(&o, &bad) == EINVAL && bad == NULL);
  }
  /* b runs two data shards: its TCP connections are spread over them (api.md). */
  ztk_node* a = start(da, planet, 0);
  ztk_node* b = start(db, planet, 2);
  /* The harness authorizes by address: print them and wait for the go (a line on stdin). */
  printf("%010llx %010llx\n", (unsigned long long)ztk_node_address(a),
         (unsigned long long)ztk_node_address(b));
  fflush(stdout);
  char go[16];
  if (!fgets(go, sizeof go, stdin)) return 2;

  CHECK(ztk_node_join(a, nwid) == 0);
  CHECK(ztk_node_join(b, nwid) == 0);
  char ip_b[64] = {0};
  CHECK(ztk_node_wait_network(a, nwid, 20000, NULL, 0) == 0);
  CHECK(ztk_node_wait_network(b, nwid, 20000, ip_b, sizeof ip_b) == 0);
  CHECK(ztk_node_wait_network(a, 0x1234, 100, NULL, 0) == ENOENT);

  /* TCP: b listens on 6000, a connects. */
  int l = ztk_socket(b, nwid, AF_INET, SOCK_STREAM, 0);
  CHECK(l >= 0);
  struct sockaddr_in any;
  memset(&any, 0, sizeof any);
  any.sin_family = AF_INET;
  any.sin_port = htons(6000);
  CHECK(ztk_bind(l, (struct sockaddr*)&any, sizeof any) == 0);
  CHECK(ztk_listen(l, 16) == 0);

  int c = ztk_socket(a, nwid, AF_INET, SOCK_STREAM, 0);
  CHECK(c >= 0);
  int one = 1;
  CHECK(ztk_setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons(6000);
  CHECK(inet_pton(AF_INET, ip_b, &to.sin_addr) == 1);
  CHECK(ztk_connect(c, (struct sockaddr*)&to, sizeof to) == 0);

  struct pollfd pl = {l, POLLIN, 0};
  CHECK(ztk_poll(&pl, 1, 5000) == 1 && (pl.revents & POLLIN));
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int s = ztk_accept(l, (struct sockaddr*)&peer, &plen);
  CHECK(s >= 0);
  CHECK(peer.sin_family == AF_INET);

  struct sockaddr_in name;
  socklen_t nlen = sizeof name;
  CHECK(ztk_getsockname(c, (struct sockaddr*)&name, &nlen) == 0 && ntohs(name.sin_port) != 0);
  nlen = sizeof name;
  CHECK(ztk_getpeername(c, (struct sockaddr*)&name, &nlen) == 0 && ntohs(name.sin_port) == 6000);

  CHECK(ztk_send(c, "hello from C", 12, 0) == 12);
  char buf[64];
  size_t got = 0;
  while (got < 12) {
    ssize_t n = ztk_recv(s, buf + got, sizeof buf - got, 0);
    CHECK(n > 0);
    if (n <= 0) break;
    got += (size_t)n;
  }
  CHECK(got == 12 && memcmp(buf, "hello from C", 12) == 0);

  /* A receive timeout, then non-blocking: EAGAIN either way. */
  struct timeval tv = {0, 50000};
  CHECK(ztk_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  CHECK(ztk_recv(s, buf, sizeof buf, 0) == -1 && errno == EAGAIN);
  CHECK(ztk_fcntl(s, F_SETFL, O_NONBLOCK) == 0);
  CHECK((ztk_fcntl(s, F_GETFL, 0) & O_NONBLOCK) != 0);
  CHECK(ztk_recv(s, buf, sizeof buf, 0) == -1 && errno == EAGAIN);
  CHECK(ztk_fcntl(s, F_SETFL, 0) == 0);

  /* ztk_poll: c can send; s has nothing to read yet. */
  struct pollfd pw[2] = {{c, POLLOUT | POLLIN, 0}, {s, POLLIN, 0}};
  CHECK(ztk_poll(pw, 2, 0) == 1 && pw[0].revents == POLLOUT && pw[1].revents == 0);
  /* Options read back. */
  int v = 0;
  socklen_t vlen = sizeof v;
  CHECK(ztk_setsockopt(c, IPPROTO_TCP, TCP_KEEPINTVL, &one, sizeof one) == 0);
  CHECK(ztk_getsockopt(c, IPPROTO_TCP, TCP_KEEPINTVL, &v, &vlen) == 0 && v == 1);
  int bufsize = 65536;
  CHECK(ztk_setsockopt(c, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize) == 0);
  vlen = sizeof v;
  CHECK(ztk_getsockopt(c, SOL_SOCKET, SO_SNDBUF, &v, &vlen) == 0 && v == 65536);

  /* Half-close: s reads EOF (0). */
  CHECK(ztk_shutdown(c, SHUT_WR) == 0);
  tv.tv_sec = 5;
  tv.tv_usec = 0;
  CHECK(ztk_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  CHECK(ztk_recv(s, buf, sizeof buf, 0) == 0);

  /* SO_LINGER {1, 0}: close resets the connection; the peer's recv says ECONNRESET. */
  int c2 = ztk_socket(a, nwid, AF_INET, SOCK_STREAM, 0);
  to.sin_port = htons(6000);
  CHECK(ztk_connect(c2, (struct sockaddr*)&to, sizeof to) == 0);
  int s2 = ztk_accept(l, NULL, NULL);
  CHECK(s2 >= 0);
  struct linger lg = {1, 0};
  CHECK(ztk_setsockopt(c2, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
  struct linger lg2 = {0, 7};
  socklen_t lglen = sizeof lg2;
  CHECK(ztk_getsockopt(c2, SOL_SOCKET, SO_LINGER, &lg2, &lglen) == 0 && lg2.l_onoff == 1 && lg2.l_linger == 0);
  CHECK(ztk_close(c2) == 0);
  CHECK(ztk_setsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  struct pollfd pe = {s2, POLLIN, 0};
  CHECK(ztk_poll(&pe, 1, 5000) == 1 && (pe.revents & POLLERR) && (pe.revents & POLLHUP));
  CHECK(ztk_recv(s2, buf, sizeof buf, 0) == -1 && errno == ECONNRESET);
  CHECK(ztk_close(s2) == 0);

  /* Refused: nobody on 6001. */
  int r = ztk_socket(a, nwid, AF_INET, SOCK_STREAM, 0);
  to.sin_port = htons(6001);
  CHECK(ztk_connect(r, (struct sockaddr*)&to, sizeof to) == -1 && errno == ECONNREFUSED);
  CHECK(ztk_close(r) == 0);

  /* UDP both ways. */
  int ub = ztk_socket(b, nwid, AF_INET, SOCK_DGRAM, 0);
  any.sin_port = htons(6002);
  CHECK(ztk_bind(ub, (struct sockaddr*)&any, sizeof any) == 0);
  int ua = ztk_socket(a, nwid, AF_INET, SOCK_DGRAM, 0);
  to.sin_port = htons(6002);
  CHECK(ztk_sendto(ua, "dgram", 5, 0, (struct sockaddr*)&to, sizeof to) == 5);
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  CHECK(ztk_setsockopt(ub, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  CHECK(ztk_recvfrom(ub, buf, sizeof buf, 0, (struct sockaddr*)&from, &flen) == 5);
  CHECK(memcmp(buf, "dgram", 5) == 0);
  CHECK(ztk_sendto(ub, "back", 4, 0, (struct sockaddr*)&from, flen) == 4);
  CHECK(ztk_setsockopt(ua, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  CHECK(ztk_recv(ua, buf, sizeof buf, 0) == 4 && memcmp(buf, "back", 4) == 0);

  /* Misuse. */
  CHECK(ztk_send(99999, "x", 1, 0) == -1 && errno == EBADF);
  CHECK(ztk_close(99999) == -1 && errno == EBADF);
  CHECK(ztk_socket(a, nwid, AF_UNIX, SOCK_STREAM, 0) == -1 && errno == EAFNOSUPPORT);
  CHECK(ztk_socket(a, nwid, AF_INET, SOCK_RAW, 0) == -1 && errno == EPROTONOSUPPORT);
  int fresh = ztk_socket(a, nwid, AF_INET, SOCK_STREAM, 0);
  CHECK(ztk_send(fresh, "x", 1, 0) == -1 && errno == ENOTCONN);
  CHECK(ztk_listen(fresh, 1) == -1 && errno == EDESTADDRREQ);
  CHECK(ztk_setsockopt(fresh, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) == -1 && errno == ENOPROTOOPT);
  CHECK(ztk_close(fresh) == 0);
  CHECK(ztk_close(fresh) == -1 && errno == EBADF);

  CHECK(ztk_close(c) == 0);
  CHECK(ztk_close(s) == 0);
  CHECK(ztk_close(l) == 0);
  CHECK(ztk_close(ua) == 0);
  CHECK(ztk_close(ub) == 0);
  ztk_node_free(a);
  ztk_node_free(b);
  printf("%s\n", failures == 0 ? "c-abi: all checks passed" : "c-abi: FAILED");
  return failures == 0 ? 0 : 1;
}
