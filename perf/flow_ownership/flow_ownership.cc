// Flow ownership with 2 shards over loopback (issue 5; engine/shard/README.md): one
// SO_REUSEPORT socket per shard vs one socket whose shard hands datagrams to the owner.
//
// Two shard::shard threads (engine/shard/shard.h) serve one UDP port on 127.0.0.1. A client
// thread keeps --window datagrams in flight from --sockets source ports (distinct 4-tuples, so
// the kernel's REUSEPORT hash spreads them). Each datagram carries its send time and an inner
// "flow id" (cycled over --flows ids independently of the source port: many inner flows share
// one outer path, as in ZeroTier). Work per datagram: Salsa20/12 over the payload after the
// header (in place), --rx-work passes on the receiving shard (dearmor: the flow id counts as
// known only after it) and --owner-work passes on the flow's owner (the inner flow's share),
// then the reply goes back to the sender.
//
// Cases (all in one run, reps interleaved, order rotated per rep; medians):
//   reuseport          (A)  2 REUSEPORT sockets, one per shard; each shard processes what the
//                           kernel gave it (ownership by the outer 4-tuple).
//   reuseport+handoff  (A+) the same, plus the hand-off to the inner flow's owner
//                           (hash(flow) % 2) when it is not the receiving shard: what ZeroTier
//                           needs, since the inner flow is only known after dearmor.
//   reuseport+handoff+ownsend (A+o) as A+, but the owner replies from its own socket (same
//                           port) with a copy in its own slab; the received slab goes home only
//                           to be freed (the return ring is still needed, the send is not).
//   one+handoff        (B)  one socket on shard 0 (shard 1's socket gets nothing); shard 0
//                           hands each datagram whose flow it does not own to shard 1.
//   one,local          (B') as B, but the client only uses flow ids owned by shard 0: the
//                           hand-off is never taken (one core does everything; reference).
// Hand-off: the rx packet_buffer itself moves (no copy) through an spsc_ring<rx_datagram>
// [from][to]; the owner processes it and moves it back, as the reply, through a return ring
// spsc_ring<tx_datagram>[owner][home]; the home shard sends it on its own socket, so every
// slab goes back to its own pool on its own thread. After pushing in an iteration a shard
// calls the peer's backend wake() once (an eventfd write; buf::wakeup would skip it when the
// peer is busy). GRO/GSO are off: plain 1400-byte datagrams, one per buffer.
//
//   ztkit_flow_ownership [--seconds S] [--window W] [--sockets K] [--flows F] [--size B]
//                        [--reps N] [--rx-work P] [--owner-work P]
//                        [--backend epoll|io_uring] [--pin 0|1]
//                        [--cases reuseport,reuseport+handoff,reuseport+handoff+ownsend,
//                                 one+handoff,one-local]
//   (--cases takes a comma list; "one,local" is written "one-local" there)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/buf/packet_buffer.h"
#include "engine/buf/spsc_ring.h"
#include "engine/crypto/salsa20.h"
#include "engine/io/backend.h"
#include "engine/shard/shard.h"

using namespace ztkit;
using io::inet_address;

namespace {

constexpr int n_shards = 2;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct header {
  std::int64_t sent_ns;
  std::uint64_t seq;
  std::uint32_t flow;
  std::uint32_t pad;
};

// murmur3's finalizer: the inner flow's hash (stands in for the inner 4-tuple's).
std::uint32_t mix(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}
int owner_of(std::uint32_t flow) { return static_cast<int>(mix(flow) % n_shards); }

struct case_spec {
  std::string name;
  bool reuseport = false;    // one REUSEPORT socket per shard (else: one socket, on shard 0)
  bool handoff = false;      // hand to hash(flow) % n when that is not the receiving shard
  bool local_flows = false;  // the client uses only flows owned by shard 0
  bool owner_sends = false;  // the owner replies from its own socket (a copy in its own slab)
};

bool parse_case(const std::string& n, case_spec& c) {
  if (n == "reuseport") c = {n, true, false, false};
  else if (n == "reuseport+handoff") c = {n, true, true, false};
  else if (n == "reuseport+handoff+ownsend") c = {n, true, true, false, true};
  else if (n == "one+handoff") c = {n, false, true, false};
  else if (n == "one-local" || n == "one,local") c = {"one,local", false, true, true};
  else return false;
  return true;
}

// Cross-shard rings: hand-off [from][to] and buffer return [owner][home].
struct fabric {
  std::unique_ptr<buf::spsc_ring<io::rx_datagram>> handoff[n_shards][n_shards];
  std::unique_ptr<buf::spsc_ring<io::tx_datagram>> back[n_shards][n_shards];
  fabric(std::size_t handoff_cap, std::size_t back_cap) {
    for (int i = 0; i < n_shards; ++i)
      for (int j = 0; j < n_shards; ++j)
        if (i != j) {
          handoff[i][j] = std::make_unique<buf::spsc_ring<io::rx_datagram>>(handoff_cap);
          back[i][j] = std::make_unique<buf::spsc_ring<io::tx_datagram>>(back_cap);
        }
  }
  // After the shard threads are joined, before the pools go: drop what is left.
  void drain() {
    for (int i = 0; i < n_shards; ++i)
      for (int j = 0; j < n_shards; ++j)
        if (i != j) {
          handoff[i][j]->consume([](io::rx_datagram&&) {});
          back[i][j]->consume([](io::tx_datagram&&) {});
        }
  }
};

const std::uint8_t salsa_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
const std::uint8_t salsa_nonce[8] = {8, 7, 6, 5, 4, 3, 2, 1};
// Salsa20/12 passes over the payload per datagram. --rx-work on the shard whose socket received
// it (dearmor: the inner flow is known only after it), --owner-work on the inner flow's owner
// (the netstack's share); more passes model costlier crypto or a slower CPU.
int rx_passes = 1;
int owner_passes = 1;

class flow_handler final : public shard::shard_handler {
 public:
  flow_handler(int self, bool handoff, bool owner_sends, fabric& f)
      : self_(self), handoff_(handoff), owner_sends_(owner_sends), f_(f) {}
  void set_peer(int i, shard::shard* s) { peers_[i] = s; }

  std::uint64_t processed = 0, handed = 0, ring_full = 0;

  void on_datagrams(shard::shard& s, std::span<io::rx_datagram> batch, std::int64_t) override {
    for (io::rx_datagram& d : batch) {
      int o = self_;
      work(d.buffer, rx_passes);  // dearmor where it arrived: only then is the inner flow known
      if (handoff_ && d.buffer.size() >= sizeof(header)) {
        header h;
        std::memcpy(&h, d.buffer.data(), sizeof(h));
        o = owner_of(h.flow);
      }
      if (o == self_) {
        work(d.buffer, owner_passes);
        ++processed;
        s.send(std::move(d.buffer), d.from);
      } else if (f_.handoff[self_][o]->try_push(std::move(d))) {
        ++handed;
        pushed_[o] = true;
      } else {
        ++ring_full;  // d stays in the batch: the shard returns it to our pool
      }
    }
  }

  void on_iteration(shard::shard& s, std::int64_t) override {
    for (int o = 0; o < n_shards; ++o) {
      if (o == self_) continue;
      // Datagrams of flows we own, received by shard o: process, reply via o's socket (the
      // buffer is o's slab and goes home through the return ring).
      f_.handoff[o][self_]->consume([&](io::rx_datagram&& d) {
        work(d.buffer, owner_passes);
        ++processed;
        io::tx_datagram t{std::move(d.buffer), d.from, 0};
        if (owner_sends_) {
          // Reply from our own socket (same port under REUSEPORT) in a slab of our own pool;
          // o's slab goes home with no destination, only to be freed there.
          buf::packet_buffer c = s.pool().get();
          if (c && c.append(t.buffer.size())) {
            std::memcpy(c.data(), t.buffer.data(), t.buffer.size());
            s.send(std::move(c), t.to);
          }
          t.to = inet_address{};
        }
        if (!f_.back[self_][o]->try_push(std::move(t))) {
          // Cannot happen: the return ring holds as many entries as o's pool has slabs.
          std::fprintf(stderr, "return ring full\n");
          std::abort();
        }
        pushed_[o] = true;
      });
      // Our slabs back from o, carrying the replies: send them from our socket.
      f_.back[o][self_]->consume([&](io::tx_datagram&& t) {
        if (t.to.port != 0) s.send(std::move(t));  // else: only freed, here, into our pool
      });
    }
    for (int o = 0; o < n_shards; ++o)
      if (pushed_[o]) {
        pushed_[o] = false;
        peers_[o]->backend().wake();
      }
  }

 private:
  static void work(buf::packet_buffer& b, int passes) {
    if (b.size() > sizeof(header))
      for (int i = 0; i < passes; ++i)
        crypto::salsa2012_xor(b.data() + sizeof(header), b.data() + sizeof(header),
                              b.size() - sizeof(header), salsa_key, salsa_nonce);
  }

  int self_;
  bool handoff_;
  bool owner_sends_;
  fabric& f_;
  shard::shard* peers_[n_shards] = {};
  bool pushed_[n_shards] = {};
};

struct samples {
  std::vector<std::int64_t> rtt;
  void add(std::int64_t v) {
    if (rtt.size() < rtt.capacity()) rtt.push_back(v);
  }
  double pct(double q) {
    if (rtt.empty()) return 0;
    const std::size_t k = std::min(rtt.size() - 1, static_cast<std::size_t>(q * rtt.size()));
    std::nth_element(rtt.begin(), rtt.begin() + k, rtt.end());
    return rtt[k] / 1000.0;
  }
};

struct run_result {
  double seconds = 0;
  std::uint64_t echoes = 0, lost = 0;
  double p50_us = 0, p99_us = 0;
  std::uint64_t in[n_shards] = {};         // datagrams each shard's socket received
  std::uint64_t processed[n_shards] = {};  // datagrams each shard did the owner work for
  std::uint64_t handed = 0, ring_full = 0, drops = 0;
  double dps() const { return seconds > 0 ? echoes / seconds : 0; }
};

struct options {
  double seconds = 2.0;
  std::size_t window = 128, sockets = 16, flows = 64, size = 1400;
  io::backend_kind backend = io::backend_kind::epoll;
  bool pin = false;
};

// The load generator: `sockets` non-blocking UDP sockets (distinct source ports), window/sockets
// datagrams in flight on each, recvmmsg/sendmmsg, one epoll.
void run_client(const options& opt, const case_spec& c, std::uint16_t port, run_result& r) {
  const std::size_t k_socks = std::max<std::size_t>(1, opt.sockets);
  const std::size_t per = std::max<std::size_t>(1, opt.window / k_socks);
  constexpr std::size_t max_batch = 64;
  std::vector<std::uint32_t> flows;
  for (std::uint32_t f = 0; flows.size() < opt.flows; ++f)
    if (!c.local_flows || owner_of(f) == 0) flows.push_back(f);

  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<int> fds(k_socks);
  for (std::size_t k = 0; k < k_socks; ++k) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int b = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &b, sizeof(b));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &b, sizeof(b));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
      std::perror("client bind");
      std::exit(1);
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = k;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fds[k] = fd;
  }
  std::vector<std::uint8_t> txbuf(max_batch * opt.size, 0x5a), rxbuf(max_batch * 2048);
  std::array<mmsghdr, max_batch> msgs;
  std::array<iovec, max_batch> iovs;
  std::vector<std::size_t> outstanding(k_socks, 0);
  std::uint64_t seq = 0;

  auto refill = [&](std::size_t k) {
    while (outstanding[k] < per) {
      const std::size_t n = std::min(max_batch, per - outstanding[k]);
      const std::int64_t t = now_ns();
      for (std::size_t i = 0; i < n; ++i) {
        header h{t, seq, flows[seq % flows.size()], 0};
        ++seq;
        std::memcpy(txbuf.data() + i * opt.size, &h, sizeof(h));
        iovs[i] = {txbuf.data() + i * opt.size, opt.size};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_name = &to;
        msgs[i].msg_hdr.msg_namelen = sizeof(to);
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int s = ::sendmmsg(fds[k], msgs.data(), static_cast<unsigned>(n), 0);
      if (s <= 0) return;
      outstanding[k] += static_cast<std::size_t>(s);
    }
  };

  samples lat;
  lat.rtt.reserve(1 << 24);
  for (std::size_t k = 0; k < k_socks; ++k) refill(k);
  const std::int64_t t0 = now_ns();
  const std::int64_t warm = t0 + 200'000'000;
  const std::int64_t end = warm + static_cast<std::int64_t>(opt.seconds * 1e9);
  std::int64_t last_rx = t0;
  std::vector<epoll_event> evs(k_socks);
  for (;;) {
    const int ne = ::epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 10);
    const std::int64_t t = now_ns();
    if (t >= end) break;
    bool any = false;
    for (int e = 0; e < ne; ++e) {
      const std::size_t k = evs[e].data.u64;
      for (;;) {
        for (std::size_t i = 0; i < max_batch; ++i) {
          iovs[i] = {rxbuf.data() + i * 2048, 2048};
          msgs[i] = {};
          msgs[i].msg_hdr.msg_iov = &iovs[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
        }
        const int n = ::recvmmsg(fds[k], msgs.data(), max_batch, MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        any = true;
        const std::int64_t tr = now_ns();
        for (int i = 0; i < n; ++i) {
          header h;
          std::memcpy(&h, rxbuf.data() + i * 2048, sizeof(h));
          if (tr >= warm) {
            ++r.echoes;
            lat.add(tr - h.sent_ns);
          }
        }
        outstanding[k] -= std::min(outstanding[k], static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < max_batch) break;
      }
      refill(k);
    }
    if (any) {
      last_rx = t;
    } else if (t - last_rx > 20'000'000) {  // lost: refill every window
      for (std::size_t k = 0; k < k_socks; ++k) {
        r.lost += outstanding[k];
        outstanding[k] = 0;
        refill(k);
      }
      last_rx = t;
    }
  }
  for (int fd : fds) ::close(fd);
  ::close(ep);
  r.seconds = opt.seconds;
  r.p50_us = lat.pct(0.50);
  r.p99_us = lat.pct(0.99);
}

run_result run_case(const options& opt, const case_spec& c) {
  run_result r;
  fabric f(4096, 8192);
  const buf::buffer_pool::config pool{.slab_size = 2048, .count = 8192, .headroom = 128};
  const io::backend_kind kind = opt.backend;
  const shard::shard::backend_factory factory = [kind](buf::buffer_pool& p) {
    return io::make_backend(kind, p);
  };
  std::vector<std::unique_ptr<flow_handler>> handlers;
  std::vector<std::unique_ptr<shard::shard>> shards;
  std::uint16_t port = 0;
  for (int i = 0; i < n_shards; ++i) {
    handlers.push_back(std::make_unique<flow_handler>(i, c.handoff, c.owner_sends, f));
    shard::shard_config cfg;
    cfg.id = i;
    cfg.cpu = opt.pin ? i : -1;
    cfg.pool = pool;
    cfg.rx_batch = 64;
    cfg.socket.bind = inet_address::v4({127, 0, 0, 1}, c.reuseport ? port : 0);
    cfg.socket.reuse_port = c.reuseport;
    cfg.socket.gro = false;
    cfg.socket.gso = false;
    shards.push_back(std::make_unique<shard::shard>(cfg, factory, *handlers[i]));
    if (status s = shards[i]->open(); !s.ok()) {
      std::fprintf(stderr, "shard %d open: %s\n", i, s.message().c_str());
      std::exit(1);
    }
    if (i == 0) port = shards[0]->local_address().port;
  }
  for (int i = 0; i < n_shards; ++i)
    for (int j = 0; j < n_shards; ++j)
      if (i != j) handlers[i]->set_peer(j, shards[j].get());
  for (auto& s : shards) (void)s->start();

  run_client(opt, c, port, r);

  for (auto& s : shards) s->stop();
  for (auto& s : shards) s->join();
  f.drain();
  for (int i = 0; i < n_shards; ++i) {
    r.in[i] = shards[i]->counters().datagrams_in;
    r.processed[i] = handlers[i]->processed;
    r.handed += handlers[i]->handed;
    r.ring_full += handlers[i]->ring_full;
    const io::backend_counters& bc = shards[i]->backend().counters();
    r.drops += bc.rx_dropped_no_buffer + bc.rx_truncated + bc.tx_dropped_queue_full + bc.tx_errors +
               shards[i]->counters().send_dropped;
  }
  return r;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p <= s.size()) {
    const std::size_t q = std::min(s.find(',', p), s.size());
    if (q > p) out.push_back(s.substr(p, q - p));
    p = q + 1;
  }
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  std::size_t reps = 1;
  std::vector<std::string> names = {"reuseport", "reuseport+handoff", "reuseport+handoff+ownsend",
                                    "one+handoff", "one-local"};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const char* v = argv[i + 1];
    if (a == "--seconds") opt.seconds = std::atof(v);
    else if (a == "--window") opt.window = std::strtoul(v, nullptr, 10);
    else if (a == "--sockets") opt.sockets = std::strtoul(v, nullptr, 10);
    else if (a == "--flows") opt.flows = std::max<std::size_t>(1, std::strtoul(v, nullptr, 10));
    else if (a == "--size") opt.size = std::clamp<std::size_t>(std::strtoul(v, nullptr, 10), sizeof(header), 1472);
    else if (a == "--reps") reps = std::max<std::size_t>(1, std::strtoul(v, nullptr, 10));
    else if (a == "--rx-work") rx_passes = std::max(0, std::atoi(v));
    else if (a == "--owner-work") owner_passes = std::max(0, std::atoi(v));
    else if (a == "--pin") opt.pin = std::atoi(v) != 0;
    else if (a == "--backend") {
      const std::string b = v;
      if (b == "epoll") opt.backend = io::backend_kind::epoll;
      else if (b == "io_uring") opt.backend = io::backend_kind::io_uring;
      else { std::fprintf(stderr, "--backend epoll|io_uring\n"); return 2; }
    } else if (a == "--cases") names = split(v);
    else {
      std::fprintf(stderr,
                   "usage: %s [--seconds S] [--window W] [--sockets K] [--flows F] [--size B] [--reps N]\n"
                   "          [--rx-work P] [--owner-work P] [--backend epoll|io_uring] [--pin 0|1]\n"
                   "          [--cases reuseport,reuseport+handoff,reuseport+handoff+ownsend,"
                   "one+handoff,one-local]\n",
                   argv[0]);
      return 2;
    }
  }
  if ((argc - 1) % 2) {
    std::fprintf(stderr, "%s: option %s has no value\n", argv[0], argv[argc - 1]);
    return 2;
  }
  std::vector<case_spec> cases;
  for (const std::string& n : names) {
    case_spec c;
    if (!parse_case(n, c)) {
      std::fprintf(stderr, "unknown case %s\n", n.c_str());
      return 2;
    }
    cases.push_back(c);
  }
  std::printf("flow ownership, %d shards (%s backend%s), 127.0.0.1, %zu-byte datagrams, Salsa20/12 (%s) x%d on the receiver + x%d on "
              "the owner per datagram, window %zu over %zu client ports, %zu inner flows, %.1f s per case, "
              "%zu rep%s interleaved (medians)\n\n",
              n_shards, opt.backend == io::backend_kind::epoll ? "epoll" : "io_uring",
              opt.pin ? ", pinned" : "", opt.size,
              std::string(crypto::to_string(crypto::active_salsa_variant())).c_str(), rx_passes, owner_passes, opt.window,
              opt.sockets, opt.flows, opt.seconds, reps, reps > 1 ? "s" : "");
  std::vector<std::vector<run_result>> runs(cases.size());
  for (std::size_t rep = 0; rep < reps; ++rep) {
    for (std::size_t k = 0; k < cases.size(); ++k) {
      const std::size_t ci = (k + rep) % cases.size();
      run_result r = run_case(opt, cases[ci]);
      std::fprintf(stderr,
                   "  rep %zu %-18s %9.0f dgram/s  p50 %7.1f us  p99 %7.1f us  in %llu/%llu  "
                   "processed %llu/%llu  handed %llu  lost %llu  drops %llu  ring_full %llu\n",
                   rep + 1, cases[ci].name.c_str(), r.dps(), r.p50_us, r.p99_us,
                   (unsigned long long)r.in[0], (unsigned long long)r.in[1],
                   (unsigned long long)r.processed[0], (unsigned long long)r.processed[1],
                   (unsigned long long)r.handed, (unsigned long long)r.lost,
                   (unsigned long long)r.drops, (unsigned long long)r.ring_full);
      runs[ci].push_back(r);
    }
  }
  auto index_of = [&](const char* name) -> int {
    for (std::size_t k = 0; k < cases.size(); ++k)
      if (cases[k].name == name) return static_cast<int>(k);
    return -1;
  };
  const int ia = index_of("reuseport"), ib = index_of("one+handoff");
  auto ratio = [&](std::size_t k, int base) {
    std::string out = "-";
    if (base < 0) return out;
    std::vector<double> v;
    for (std::size_t rep = 0; rep < reps; ++rep)
      if (runs[base][rep].dps() > 0) v.push_back(runs[k][rep].dps() / runs[base][rep].dps());
    char b[32];
    if (!v.empty()) std::snprintf(b, sizeof(b), "%.2fx", median(v)), out = b;
    return out;
  };
  std::printf("| case | datagrams/s | p50 RTT us | p99 RTT us | handed off | owner work on shard 0/1 | vs reuseport | vs one+handoff |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (std::size_t k = 0; k < cases.size(); ++k) {
    std::vector<double> dps, p50, p99, hand, share0;
    for (const run_result& r : runs[k]) {
      dps.push_back(r.dps());
      p50.push_back(r.p50_us);
      p99.push_back(r.p99_us);
      const double tot = static_cast<double>(r.processed[0] + r.processed[1]);
      hand.push_back(tot > 0 ? r.handed / tot : 0);
      share0.push_back(tot > 0 ? r.processed[0] / tot : 0);
    }
    const double s0 = median(share0);
    std::printf("| %s | %.0f | %.1f | %.1f | %.0f%% | %.0f/%.0f%% | %s | %s |\n", cases[k].name.c_str(),
                median(dps), median(p50), median(p99), 100 * median(hand), 100 * s0, 100 * (1 - s0),
                ratio(k, ia).c_str(), ratio(k, ib).c_str());
  }
  return 0;
}
