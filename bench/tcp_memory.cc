// ztkit_tcp_memory: resident memory per idle TCP connection in ztkit's TCP (issue 11's target:
// 10,000 idle connections per node at <= 4 KiB each beyond the socket buffers in use).
//
//   build/release/bench/ztkit_tcp_memory [--connections N] [--rx BYTES] [--tx BYTES]
//
// Two tcp_socket_sets in this process (a client and a server node's TCP), a listener, and N
// connections opened through a lossless in-memory wire that serializes every segment; then
// the growth of the process's resident set (/proc/self/statm) per connection, for both ends
// together and per end. Idle: established, nothing sent. The socket buffers (default 256 KiB
// each way) are allocated at full size but not written, so they are virtual until used; what
// is resident is the socket state itself plus what the allocator touches.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "netstack/tcp/tcp_socket_set.h"

namespace {

using namespace ztkit::netstack;

long resident_bytes() {
  std::ifstream f("/proc/self/statm");
  long size = 0, resident = 0;
  f >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

inet_address with_port(inet_address a, std::uint16_t p) {
  a.port = p;
  return a;
}

struct wire_seg {
  std::vector<std::uint8_t> bytes;
  inet_address src, dst;
};

std::size_t exchange(tcp_socket_set& from, tcp_socket_set& to, std::uint64_t now) {
  std::vector<wire_seg> out;
  tcp_segment seg;
  while (from.poll(now, seg)) {
    wire_seg w{std::vector<std::uint8_t>(seg.len()), with_port(seg.local, seg.repr.src_port),
               with_port(seg.remote, seg.repr.dst_port)};
    seg.emit(w.bytes);
    out.push_back(std::move(w));
  }
  for (const wire_seg& w : out) {
    auto p = wire::tcp_packet::new_checked(w.bytes);
    wire::tcp_repr r;
    if (!p || wire::tcp_repr::parse(*p, wire::ipv4_address::from_inet(w.src),
                                    wire::ipv4_address::from_inet(w.dst), r) != wire::tcp_error::ok) {
      std::fprintf(stderr, "ztkit_tcp_memory: a segment did not parse\n");
      std::exit(1);
    }
    to.process(now, w.src, w.dst, r, p->payload());
  }
  return out.size();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 10000, rx = 256 * 1024, tx = 256 * 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (k == "--connections") n = v;
    else if (k == "--rx") rx = v;
    else if (k == "--tx") tx = v;
    else {
      std::fprintf(stderr, "usage: %s [--connections N] [--rx BYTES] [--tx BYTES]\n", argv[0]);
      return 2;
    }
  }
  if (n == 0 || n > 16000) {
    std::fprintf(stderr, "ztkit_tcp_memory: --connections must be 1..16000 (one client address, ephemeral ports)\n");
    return 2;
  }
  const inet_address client_ip = inet_address::v4({10, 0, 0, 1}, 0);
  const inet_address server_ip = inet_address::v4({10, 0, 0, 2}, 80);
  tcp_socket_set::config cc;
  cc.max_sockets = n + 16;
  cc.socket.rx_buffer = rx;
  cc.socket.tx_buffer = tx;
  cc.secret[0] = 1;
  tcp_socket_set::config sc = cc;
  sc.secret[0] = 2;
  tcp_socket_set client(cc), server(sc);
  tcp_listener_config lc;
  lc.backlog = 1024;
  lc.accept_queue = 1024;
  auto l = server.listen(server_ip, lc);
  if (!l) return 1;

  const long before = resident_bytes();
  std::uint64_t now = 1000;
  std::vector<tcp_handle> mine, theirs;
  mine.reserve(n);
  theirs.reserve(n);
  while (mine.size() < n) {
    const std::size_t batch = std::min<std::size_t>(256, n - mine.size());
    for (std::size_t i = 0; i < batch; ++i) {
      auto h = client.connect(now, client_ip, server_ip);
      if (!h) {
        std::fprintf(stderr, "ztkit_tcp_memory: connect %zu failed\n", mine.size());
        return 1;
      }
      mine.push_back(*h);
    }
    for (int round = 0; round < 8; ++round) {
      const std::size_t moved = exchange(client, server, now) + exchange(server, client, now);
      while (auto a = server.accept(*l)) theirs.push_back(*a);
      if (moved == 0) break;
    }
    now += 1;
  }
  const long after = resident_bytes();
  std::size_t established = 0;
  for (tcp_handle h : mine) established += client.get(h).is_established() ? 1 : 0;
  const double per_conn = static_cast<double>(after - before) / static_cast<double>(n);
  std::printf("connections: %zu (client established %zu, server accepted %zu), buffers %zu/%zu B\n",
              n, established, theirs.size(), rx, tx);
  std::printf("resident growth: %.1f MiB in all, %.0f B per connection (both ends), %.0f B per end\n",
              (after - before) / 1048576.0, per_conn, per_conn / 2);
  std::printf("socket object: %zu B\n", sizeof(tcp_socket));
  return established == n && theirs.size() == n ? 0 : 1;
}
