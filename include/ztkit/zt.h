/* ztkit's C ABI: a node and BSD-like sockets on its joined networks, for bindings and C
 * programs. Close to libzt's zts_bsd_* family so that its users can move with little change.
 *
 *   ztk_node* n; ztk_node_options o; ztk_node_options_init(&o); o.state_dir = "/var/lib/app/zt";
 *   if (ztk_node_start(&o, &n) != 0) ...;                      (returns an errno value)
 *   ztk_node_join(n, 0x8056c2e21c000001ULL);
 *   ztk_node_wait_network(n, 0x8056c2e21c000001ULL, 30000, NULL, 0);
 *   int fd = ztk_socket(n, 0x8056c2e21c000001ULL, AF_INET, SOCK_STREAM, 0);
 *   ztk_connect(fd, (struct sockaddr*)&sin, sizeof sin);  ztk_send(fd, "hi", 2, 0);
 *
 * Sockets are small integers of ztkit's own table (not kernel descriptors): use ztk_poll, or
 * ztk_event_fd() to get a kernel descriptor that is readable when the socket is (for epoll /
 * libuv). Calls return -1 and set errno (EBADF, EINVAL, ENETUNREACH, ECONNREFUSED, ECONNRESET,
 * ETIMEDOUT, EADDRINUSE, EAGAIN, ENOTCONN, EPIPE, ENOTSOCK, EOPNOTSUPP, ENOBUFS, ENETDOWN ...).
 * Every function is thread-safe. Blocking calls honour SO_RCVTIMEO / SO_SNDTIMEO and
 * O_NONBLOCK (ztk_fcntl). */
#ifndef ZTKIT_ZT_H
#define ZTKIT_ZT_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ztk_node ztk_node;

typedef struct ztk_node_options {
  const char* state_dir;    /* required */
  const char* planet_file;  /* NULL: the state folder's planet, else the built-in Earth */
  const char* listen;       /* "ADDR:PORT"; NULL: "0.0.0.0:9993" */
  int allow_loopback;       /* demos and tests on one machine */
  int shards;               /* data shards, 1..64 (NodeOptions::shards); 0: 1 */
} ztk_node_options;

void ztk_node_options_init(ztk_node_options* o);
/* 0, or an errno value (EINVAL bad options, EIO state folder / socket failure). */
int ztk_node_start(const ztk_node_options* o, ztk_node** out);
/* Stops the node and frees it; its sockets then fail with ENETDOWN. */
void ztk_node_free(ztk_node* n);
uint64_t ztk_node_address(const ztk_node* n);
int ztk_node_join(ztk_node* n, uint64_t nwid);
int ztk_node_leave(ztk_node* n, uint64_t nwid);
/* Waits until the network is OK with an address; writes the first address ("10.1.2.3") into
 * buf when given. 0, or ETIMEDOUT / ENOENT (not joined) / ENETDOWN. */
int ztk_node_wait_network(ztk_node* n, uint64_t nwid, int timeout_ms, char* buf, size_t len);

/* BSD-like sockets. type: SOCK_STREAM (TCP) or SOCK_DGRAM (UDP); family AF_INET or AF_INET6. */
int ztk_socket(ztk_node* n, uint64_t nwid, int family, int type, int protocol);
int ztk_bind(int fd, const struct sockaddr* addr, socklen_t len);
int ztk_listen(int fd, int backlog);
int ztk_accept(int fd, struct sockaddr* addr, socklen_t* len);
int ztk_connect(int fd, const struct sockaddr* addr, socklen_t len);
ssize_t ztk_send(int fd, const void* buf, size_t len, int flags);
ssize_t ztk_recv(int fd, void* buf, size_t len, int flags);
ssize_t ztk_sendto(int fd, const void* buf, size_t len, int flags, const struct sockaddr* to,
                   socklen_t tolen);
ssize_t ztk_recvfrom(int fd, void* buf, size_t len, int flags, struct sockaddr* from,
                     socklen_t* fromlen);
int ztk_shutdown(int fd, int how); /* SHUT_WR (or SHUT_RDWR: write side) */
int ztk_close(int fd);
/* SOL_SOCKET: SO_RCVTIMEO, SO_SNDTIMEO (struct timeval), SO_KEEPALIVE (int), SO_LINGER
 * (struct linger: l_linger 0 = close resets with RST; N = close waits up to N s for the peer to
 * acknowledge what was sent), SO_SNDBUF / SO_RCVBUF (int: the buffers of connections made or
 * accepted afterwards); IPPROTO_TCP: TCP_NODELAY, TCP_KEEPIDLE / TCP_KEEPINTVL (s),
 * TCP_KEEPCNT (int; interval and count apply to connections made afterwards).
 * getsockopt also SO_ERROR, SO_TYPE. */
int ztk_setsockopt(int fd, int level, int name, const void* value, socklen_t len);
int ztk_getsockopt(int fd, int level, int name, void* value, socklen_t* len);
/* F_GETFL / F_SETFL with O_NONBLOCK. */
int ztk_fcntl(int fd, int cmd, int flags);
int ztk_getsockname(int fd, struct sockaddr* addr, socklen_t* len);
int ztk_getpeername(int fd, struct sockaddr* addr, socklen_t* len);
/* poll(2) over ztkit sockets: POLLIN (data, a connection to accept, EOF or an error), POLLOUT
 * (a send would not block), POLLERR (reset, timed out), POLLHUP (the peer finished sending),
 * POLLNVAL (not a socket). Sleeps on the sockets' readiness descriptors (ztkit::poll). */
int ztk_poll(struct pollfd* fds, nfds_t n, int timeout_ms);
/* A kernel descriptor readable when the socket has something for POLLIN (for epoll/libuv). */
int ztk_event_fd(int fd);

#ifdef __cplusplus
}
#endif

#endif /* ZTKIT_ZT_H */
