// UDP echo over loopback, one process, every case in one run (issue 5, "Benchmarks"):
// io_uring backend (plain and SINGLE_ISSUER|DEFER_TASKRUN), epoll + recvmmsg/sendmmsg backend,
// and a naive blocking recvfrom/sendto loop as the baseline; 64- and 1400-byte datagrams.
// A client thread keeps `window` datagrams in flight to a server thread that echoes them; each
// datagram carries its send time, so every echo yields a round-trip sample.
//
//   ztkit_udp_echo [--seconds S] [--window W] [--sizes 64,1400] [--cases io_uring,epoll,naive]
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

std::unique_ptr<io::backend> make(const std::string& kind, buf::buffer_pool& pool) {
  if (kind == "epoll") return std::make_unique<io::epoll_backend>(pool);
  io::uring_config c;
  c.defer_taskrun = kind == "io_uring+defer";
  return std::make_unique<io::uring_backend>(pool, c);
}

echo_result run_backend(const std::string& kind, std::size_t size, double seconds, std::size_t window) {
  std::atomic<bool> stop{false};
  std::atomic<io::backend*> server_ptr{nullptr};
  std::atomic<std::uint16_t> server_port{0};

  std::thread server([&] {
    buf::buffer_pool pool({.slab_size = 2048, .count = 8192, .headroom = 128});
    auto b = make(kind, pool);
    io::socket_options o;
    o.bind = inet_address::v4({127, 0, 0, 1}, 0);
    if (status s = b->open(o); !s.ok()) {
      std::fprintf(stderr, "server open: %s\n", s.message().c_str());
      std::exit(1);
    }
    server_ptr = b.get();
    server_port = b->local_address().port;
    io::rx_datagram rx[64];
    while (!stop.load(std::memory_order_relaxed)) {
      const std::size_t n = b->poll(rx, 100'000'000);
      for (std::size_t i = 0; i < n; ++i) b->send({std::move(rx[i].buffer), rx[i].from, 0});
      if (n) b->flush();
    }
    server_ptr = nullptr;
  });
  while (server_port.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  echo_result r{kind, size};
  samples lat;
  lat.rtt.reserve(1 << 24);
  {
    buf::buffer_pool pool({.slab_size = 2048, .count = 8192, .headroom = 128});
    auto b = make(kind, pool);
    io::socket_options o;
    o.bind = inet_address::v4({127, 0, 0, 1}, 0);
    if (status s = b->open(o); !s.ok()) {
      std::fprintf(stderr, "client open: %s\n", s.message().c_str());
      std::exit(1);
    }
    const inet_address to = inet_address::v4({127, 0, 0, 1}, server_port.load());
    std::uint64_t seq = 0;
    auto send_one = [&] {
      buf::packet_buffer p = pool.get();
      if (!p) return false;
      std::uint8_t* d = p.append(size);
      std::memset(d, 0x5a, size);
      header h{now_ns(), seq++};
      std::memcpy(d, &h, sizeof(h));
      return b->send({std::move(p), to, 0});
    };
    io::rx_datagram rx[64];
    std::size_t outstanding = 0;
    const std::int64_t t0 = now_ns();
    const std::int64_t warm = t0 + 200'000'000;  // 0.2 s of warm-up
    const std::int64_t end = warm + static_cast<std::int64_t>(seconds * 1e9);
    std::int64_t last_rx = t0;
    std::uint64_t echoes = 0;
    for (;;) {
      while (outstanding < window && send_one()) ++outstanding;
      b->flush();
      const std::size_t n = b->poll(rx, 10'000'000);
      const std::int64_t t = now_ns();
      if (t >= end) break;
      for (std::size_t i = 0; i < n; ++i) {
        header h;
        std::memcpy(&h, rx[i].buffer.data(), sizeof(h));
        rx[i].buffer = {};
        if (t >= warm) {
          ++echoes;
          lat.add(t - h.sent_ns);
        }
      }
      outstanding -= std::min(outstanding, n);
      if (n) last_rx = t;
      else if (t - last_rx > 20'000'000) outstanding = 0, last_rx = t;  // lost: refill the window
    }
    r.seconds = seconds;
    r.echoes = echoes;
  }
  stop = true;
  while (io::backend* s = server_ptr.load()) {
    s->wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server.join();
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

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2.0;
  std::size_t window = 64;
  std::vector<std::string> sizes = {"64", "1400"};
  std::vector<std::string> cases = {"naive", "epoll", "io_uring", "io_uring+defer"};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (a == "--window") window = std::strtoul(argv[i + 1], nullptr, 10);
    else if (a == "--sizes") sizes = split(argv[i + 1]);
    else if (a == "--cases") cases = split(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--window W] [--sizes 64,1400] [--cases %s]\n",
                   argv[0], "naive,epoll,io_uring,io_uring+defer");
      return 2;
    }
  }
  if (!io::uring_backend::probe().ok()) {
    std::fprintf(stderr, "io_uring unavailable: io_uring cases skipped\n");
    std::erase_if(cases, [](const std::string& c) { return c.rfind("io_uring", 0) == 0; });
  }
  std::printf("UDP echo over 127.0.0.1, window %zu, %.1f s per case\n\n", window, seconds);
  std::printf("| size | backend | datagrams/s | MB/s | p50 RTT us | p99 RTT us | vs naive | vs epoll |\n");
  std::printf("|---:|---|---:|---:|---:|---:|---:|---:|\n");
  for (const std::string& s : sizes) {
    const std::size_t size = std::max<std::size_t>(std::strtoul(s.c_str(), nullptr, 10), sizeof(header));
    std::vector<echo_result> rs;
    for (const std::string& c : cases)
      rs.push_back(c == "naive" ? run_naive(size, seconds, window) : run_backend(c, size, seconds, window));
    double naive = 0, epoll = 0;
    for (auto& r : rs) {
      if (r.name == "naive") naive = r.dps();
      if (r.name == "epoll") epoll = r.dps();
    }
    for (auto& r : rs) {
      char vn[32] = "-", ve[32] = "-";
      if (naive > 0) std::snprintf(vn, sizeof(vn), "%.2fx", r.dps() / naive);
      if (epoll > 0) std::snprintf(ve, sizeof(ve), "%.2fx", r.dps() / epoll);
      std::printf("| %zu | %s | %.0f | %.1f | %.1f | %.1f | %s | %s |\n", size, r.name.c_str(),
                  r.dps(), r.dps() * size / 1e6, r.p50_us, r.p99_us, vn, ve);
    }
    std::fflush(stdout);
  }
  return 0;
}
