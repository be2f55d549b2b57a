// UDP echo over loopback, one process, every case in one run (issue 5, "Benchmarks"):
// io_uring backend (plain and SINGLE_ISSUER|DEFER_TASKRUN), epoll + recvmmsg/sendmmsg backend,
// and a naive blocking recvfrom/sendto loop as the baseline; 64- and 1400-byte datagrams.
// A client thread keeps `window` datagrams in flight to a server thread that echoes them; each
// datagram carries its send time, so every echo yields a round-trip sample.
//
// A "+gso" case runs the same backend with UDP GSO and GRO on both ends: the client builds its
// window as buffers of up to --batch equal datagrams, each sent as one UDP_SEGMENT send; both
// sockets receive with UDP_GRO (pools of 66 KiB slabs, since a coalesced buffer can reach
// 64 KiB); the server echoes each coalesced buffer back, without a copy, as one GSO send with
// the segment size it arrived with. Plain cases send and receive one datagram per buffer.
// The naive loop stays naive: one blocking recvfrom or sendto per datagram.
//
// --reps N runs every case N times, interleaved (rep 1 of every case, then rep 2, ...), and
// reports medians; ratios are medians of the per-rep ratios (same rep, so the same load).
//
//   ztkit_udp_echo [--seconds S] [--window W] [--batch B] [--reps N] [--sizes 64,1400]
//                  [--cases naive,epoll,epoll+gso,io_uring,io_uring+gso,io_uring+defer,...]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
#include "engine/io/epoll_backend.h"
#include "engine/io/uring_backend.h"

using namespace ztkit;
using io::inet_address;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct echo_result {
  std::string name;
  std::size_t size = 0;
  double seconds = 0;
  std::uint64_t echoes = 0;
  double p50_us = 0, p99_us = 0;
  std::uint64_t lost = 0;   // datagrams given up on after 20 ms without an echo
  std::uint64_t drops = 0;  // backend drop counters, both ends
  double dps() const { return echoes / seconds; }
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

struct header {
  std::int64_t sent_ns;
  std::uint64_t seq;
};

struct case_spec {
  std::string kind;   // io_uring, io_uring+defer or epoll
  bool gso = false;   // GSO sends and GRO receive on both ends
  unsigned ring = 0;  // io_uring provided-buffer ring entries ("@N" suffix); 0: --ring
};

case_spec parse_case(std::string name) {
  unsigned ring = 0;
  if (const std::size_t at = name.find('@'); at != std::string::npos) {
    ring = static_cast<unsigned>(std::strtoul(name.c_str() + at + 1, nullptr, 10));
    name.resize(at);
  }
  case_spec c{name, false, ring};
  const std::string suffix = "+gso";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
    c.kind = name.substr(0, name.size() - suffix.size());
    c.gso = true;
  }
  return c;
}

// io_uring: slabs lent to the kernel's provided-buffer ring (0: the backend's default).
unsigned ring_entries = 0;

std::unique_ptr<io::backend> make(const std::string& kind, buf::buffer_pool& pool, unsigned ring) {
  if (kind == "epoll") return std::make_unique<io::epoll_backend>(pool);
  io::uring_config c;
  c.defer_taskrun = kind == "io_uring+defer";
  if (ring == 0) ring = ring_entries;
  if (ring) c.buf_ring_entries = ring;
  return std::make_unique<io::uring_backend>(pool, c);
}

// Plain cases: one datagram per 2 KiB slab. GSO/GRO cases: a coalesced receive can reach
// 64 KiB, so fewer, larger slabs (the backends turn UDP_GRO on only when a slab holds 64 KiB).
buf::buffer_pool::config pool_config(bool gso) {
  if (gso) return {.slab_size = 66 * 1024, .count = 512, .headroom = 128};
  return {.slab_size = 2048, .count = 8192, .headroom = 128};
}

std::unique_ptr<io::backend> open_backend(const case_spec& c, buf::buffer_pool& pool, const char* who) {
  auto b = make(c.kind, pool, c.ring);
  io::socket_options o;
  o.bind = inet_address::v4({127, 0, 0, 1}, 0);
  o.gro = c.gso;
  o.gso = c.gso;
  if (status s = b->open(o); !s.ok()) {
    std::fprintf(stderr, "%s open: %s\n", who, s.message().c_str());
    std::exit(1);
  }
  if (c.gso) {
    bool gro = false;
    if (auto* u = dynamic_cast<io::uring_backend*>(b.get())) gro = u->gro();
    if (auto* e = dynamic_cast<io::epoll_backend*>(b.get())) gro = e->gro();
    if (!gro) std::fprintf(stderr, "%s: %s: UDP GRO is off\n", who, c.kind.c_str());
  }
  return b;
}

std::uint64_t drops_of(const io::backend_counters& c) {
  return c.rx_dropped_no_buffer + c.rx_truncated + c.tx_dropped_queue_full + c.tx_errors;
}

// Largest UDP payload over IPv4 (65535 - 20 - 8), and the kernel's segment cap per GSO send.
constexpr std::size_t max_udp_payload = 65507;
constexpr std::size_t max_gso_segments = 64;

echo_result run_backend(const std::string& name, std::size_t size, double seconds, std::size_t window,
                        std::size_t batch) {
  const case_spec c = parse_case(name);
  std::atomic<bool> stop{false};
  std::atomic<io::backend*> server_ptr{nullptr};
  std::atomic<std::uint16_t> server_port{0};
  std::uint64_t server_drops = 0;

  std::thread server([&] {
    buf::buffer_pool pool(pool_config(c.gso));
    auto b = open_backend(c, pool, "server");
    server_ptr = b.get();
    server_port = b->local_address().port;
    io::rx_datagram rx[64];
    while (!stop.load(std::memory_order_relaxed)) {
      const std::size_t n = b->poll(rx, 100'000'000);
      // A coalesced buffer goes back as it came: one GSO send with its segment size.
      for (std::size_t i = 0; i < n; ++i)
        b->send({std::move(rx[i].buffer), rx[i].from, rx[i].segment_size});
      if (n) b->flush();
    }
    server_drops = drops_of(b->counters());
    server_ptr = nullptr;
  });
  while (server_port.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  echo_result r{name, size};
  samples lat;
  lat.rtt.reserve(1 << 24);
  {
    buf::buffer_pool pool(pool_config(c.gso));
    auto b = open_backend(c, pool, "client");
    const inet_address to = inet_address::v4({127, 0, 0, 1}, server_port.load());
    // Datagrams per send: 1, or up to `batch` equal datagrams in one GSO buffer.
    const std::size_t per_send =
        c.gso ? std::max<std::size_t>(1, std::min({batch, max_gso_segments, max_udp_payload / size,
                                                   (pool.slab_size() - pool.default_headroom()) / size}))
              : 1;
    std::uint64_t seq = 0;
    // Sends k datagrams (k <= per_send) in one buffer; returns false when the pool is empty.
    auto send_k = [&](std::size_t k) {
      buf::packet_buffer p = pool.get();
      if (!p) return false;
      std::uint8_t* d = p.append(size * k);
      const std::int64_t t = now_ns();
      for (std::size_t i = 0; i < k; ++i) {
        std::memset(d + i * size, 0x5a, size);
        header h{t, seq++};
        std::memcpy(d + i * size, &h, sizeof(h));
      }
      return b->send({std::move(p), to, static_cast<std::uint16_t>(k > 1 ? size : 0)});
    };
    io::rx_datagram rx[64];
    std::size_t outstanding = 0;
    const std::int64_t t0 = now_ns();
    const std::int64_t warm = t0 + 200'000'000;  // 0.2 s of warm-up
    const std::int64_t end = warm + static_cast<std::int64_t>(seconds * 1e9);
    std::int64_t last_rx = t0;
    std::uint64_t echoes = 0;
    for (;;) {
      while (outstanding < window) {
        const std::size_t k = std::min(per_send, window - outstanding);
        if (!send_k(k)) break;
        outstanding += k;
      }
      b->flush();
      const std::size_t n = b->poll(rx, 10'000'000);
      const std::int64_t t = now_ns();
      if (t >= end) break;
      std::size_t got = 0;
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t len = rx[i].buffer.size();
        const std::size_t seg = rx[i].segment_size ? rx[i].segment_size : len;
        for (std::size_t off = 0; off + sizeof(header) <= len; off += seg) {
          header h;
          std::memcpy(&h, rx[i].buffer.data() + off, sizeof(h));
          ++got;
          if (t >= warm) {
            ++echoes;
            lat.add(t - h.sent_ns);
          }
        }
        rx[i].buffer = {};
      }
      outstanding -= std::min(outstanding, got);
      if (n) last_rx = t;
      else if (t - last_rx > 20'000'000) {  // lost: refill the window
        r.lost += outstanding;
        outstanding = 0;
        last_rx = t;
      }
    }
    r.seconds = seconds;
    r.echoes = echoes;
    r.drops = drops_of(b->counters());
  }
  stop = true;
  while (io::backend* s = server_ptr.load()) {
    s->wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server.join();
  r.drops += server_drops;
  r.p50_us = lat.pct(0.50);
  r.p99_us = lat.pct(0.99);
  return r;
}

int naive_socket(sockaddr_in& addr) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const int buf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
  timeval tv{0, 10000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return fd;
}

// The baseline: one blocking syscall per datagram, no batching.
echo_result run_naive(std::size_t size, double seconds, std::size_t window) {
  sockaddr_in saddr, caddr;
  const int sfd = naive_socket(saddr), cfd = naive_socket(caddr);
  std::atomic<bool> stop{false};
  std::thread server([&] {
    std::uint8_t buf[2048];
    while (!stop.load(std::memory_order_relaxed)) {
      sockaddr_in from;
      socklen_t fl = sizeof(from);
      const ssize_t n = ::recvfrom(sfd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n > 0) ::sendto(sfd, buf, n, 0, reinterpret_cast<sockaddr*>(&from), fl);
    }
  });
  echo_result r{"naive", size};
  samples lat;
  lat.rtt.reserve(1 << 24);
  std::uint8_t buf[2048];
  std::memset(buf, 0x5a, sizeof(buf));
  std::uint64_t seq = 0, echoes = 0;
  auto send_one = [&] {
    header h{now_ns(), seq++};
    std::memcpy(buf, &h, sizeof(h));
    ::sendto(cfd, buf, size, 0, reinterpret_cast<sockaddr*>(&saddr), sizeof(saddr));
  };
  const std::int64_t t0 = now_ns();
  const std::int64_t warm = t0 + 200'000'000;
  const std::int64_t end = warm + static_cast<std::int64_t>(seconds * 1e9);
  for (std::size_t i = 0; i < window; ++i) send_one();
  std::uint8_t in[2048];
  for (;;) {
    const ssize_t n = ::recvfrom(cfd, in, sizeof(in), 0, nullptr, nullptr);
    const std::int64_t t = now_ns();
    if (t >= end) break;
    if (n <= 0) {  // lost: refill the window
      r.lost += window;
      for (std::size_t i = 0; i < window; ++i) send_one();
      continue;
    }
    header h;
    std::memcpy(&h, in, sizeof(h));
    if (t >= warm) {
      ++echoes;
      lat.add(t - h.sent_ns);
    }
    send_one();
  }
  stop = true;
  server.join();
  ::close(sfd);
  ::close(cfd);
  r.seconds = seconds;
  r.echoes = echoes;
  r.p50_us = lat.pct(0.50);
  r.p99_us = lat.pct(0.99);
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
  double seconds = 2.0;
  std::size_t window = 64, batch = 64, reps = 1;
  std::vector<std::string> sizes = {"64", "1400"};
  std::vector<std::string> cases = {"naive",        "epoll",          "epoll+gso",         "io_uring",
                                    "io_uring+gso", "io_uring+defer", "io_uring+defer+gso"};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (a == "--window") window = std::strtoul(argv[i + 1], nullptr, 10);
    else if (a == "--ring") ring_entries = static_cast<unsigned>(std::strtoul(argv[i + 1], nullptr, 10));
    else if (a == "--batch") batch = std::strtoul(argv[i + 1], nullptr, 10);
    else if (a == "--reps") reps = std::max<std::size_t>(1, std::strtoul(argv[i + 1], nullptr, 10));
    else if (a == "--sizes") sizes = split(argv[i + 1]);
    else if (a == "--cases") cases = split(argv[i + 1]);
    else {
      std::fprintf(stderr,
                   "usage: %s [--seconds S] [--window W] [--batch B] [--reps N] [--sizes 64,1400] "
                   "[--cases %s]\n",
                   argv[0], "naive,epoll,epoll+gso,io_uring,io_uring+gso,io_uring+defer,io_uring+defer+gso");
      return 2;
    }
  }
  if ((argc - 1) % 2) {
    std::fprintf(stderr, "%s: option %s has no value\n", argv[0], argv[argc - 1]);
    return 2;
  }
  if (!io::uring_backend::probe().ok()) {
    std::fprintf(stderr, "io_uring unavailable: io_uring cases skipped\n");
    std::erase_if(cases, [](const std::string& c) { return c.rfind("io_uring", 0) == 0; });
  }
  std::printf("UDP echo over 127.0.0.1, window %zu, GSO batch <= %zu, %.1f s per case, %zu rep%s "
              "interleaved (medians)\n\n",
              window, batch, seconds, reps, reps > 1 ? "s" : "");
  std::printf("| size | backend | datagrams/s | MB/s | p50 RTT us | p99 RTT us | vs naive | vs epoll | vs epoll+gso |\n");
  std::printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const std::string& s : sizes) {
    const std::size_t size = std::max<std::size_t>(std::strtoul(s.c_str(), nullptr, 10), sizeof(header));
    // runs[case][rep]
    std::vector<std::vector<echo_result>> runs(cases.size());
    for (std::size_t rep = 0; rep < reps; ++rep) {
      for (std::size_t k = 0; k < cases.size(); ++k) {
        // Rotate the order each rep so that no case always runs first or last.
        const std::size_t ci = (k + rep) % cases.size();
        const std::string& c = cases[ci];
        echo_result r = c == "naive" ? run_naive(size, seconds, window)
                                     : run_backend(c, size, seconds, window, batch);
        std::fprintf(stderr,
                     "  rep %zu size %zu %-20s %10.0f dgram/s  p50 %7.1f us  p99 %7.1f us  lost %llu  drops %llu\n",
                     rep + 1, size, c.c_str(), r.dps(), r.p50_us, r.p99_us,
                     static_cast<unsigned long long>(r.lost), static_cast<unsigned long long>(r.drops));
        runs[ci].push_back(r);
      }
    }
    auto index_of = [&](const char* name) -> int {
      for (std::size_t k = 0; k < cases.size(); ++k)
        if (cases[k] == name) return static_cast<int>(k);
      return -1;
    };
    const int in = index_of("naive"), ie = index_of("epoll"), ig = index_of("epoll+gso");
    auto ratio = [&](std::size_t k, int base, char* out, std::size_t n) {
      std::snprintf(out, n, "-");
      if (base < 0) return;
      std::vector<double> v;
      for (std::size_t rep = 0; rep < reps; ++rep)
        if (runs[base][rep].dps() > 0) v.push_back(runs[k][rep].dps() / runs[base][rep].dps());
      if (!v.empty()) std::snprintf(out, n, "%.2fx", median(v));
    };
    for (std::size_t k = 0; k < cases.size(); ++k) {
      std::vector<double> dps, p50, p99;
      for (auto& r : runs[k]) {
        dps.push_back(r.dps());
        p50.push_back(r.p50_us);
        p99.push_back(r.p99_us);
      }
      char vn[32], ve[32], vg[32];
      ratio(k, in, vn, sizeof(vn));
      ratio(k, ie, ve, sizeof(ve));
      ratio(k, ig, vg, sizeof(vg));
      const double d = median(dps);
      std::printf("| %zu | %s | %.0f | %.1f | %.1f | %.1f | %s | %s | %s |\n", size, cases[k].c_str(), d,
                  d * size / 1e6, median(p50), median(p99), vn, ve, vg);
    }
    std::fflush(stdout);
  }
  return 0;
}
