// Our TCP against the Linux kernel's, through the TAP device in a namespace that
// tap_harness.h sets up: the kernel connects to us and we echo 1 MiB back; we connect to the
// kernel and send it 1 MiB. Linux negotiates MSS, window scaling, SACK and timestamps, so this
// checks the options and checksums on the wire as well as the state machine both ways.
// The Bulk* tests move 100 MB each way (kernel -> us, us -> kernel; ZTKIT_TCP_KERNEL_BYTES
// overrides the size, 16 MB by default under ASan), compare a 64-bit hash taken by the sender
// over what it sent with one taken by the receiver over what it got, and print the goodput
// (which includes the TAP/kernel path and this single-threaded test loop; nothing is asserted
// about it).
// ARP and ICMP go through our interface; TCP frames are handled here with tcp_socket_set (the
// interface does not route TCP yet). Skips, saying why, without root/TAP/netns.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <optional>
#include <thread>
#include <vector>

#include "netstack/iface/interface.h"
#include "netstack/tcp/tcp_socket_set.h"
#include "netstack/wire/ethernet.h"
#include "netstack/wire/ipv4.h"
#include "netstack/wire/ipv6.h"
#include "tests/netstack/tap_harness.h"

namespace ztkit::netstack {
namespace {

using namespace std::chrono_literals;
using testing::kernel_peer;

std::vector<std::uint8_t> pattern(std::size_t n, std::uint32_t seed) {
  std::vector<std::uint8_t> v(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return v;
}

// An endless byte stream from a 64-bit LCG (4 bytes a step), so that 100 MB need not be held.
class pattern_stream {
 public:
  explicit pattern_stream(std::uint64_t seed) : x_(seed * 0x9e3779b97f4a7c15ull + 1) {}
  void fill(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (left_ == 0) {
        x_ = x_ * 6364136223846793005ull + 1442695040888963407ull;
        word_ = static_cast<std::uint32_t>(x_ >> 32);
        left_ = 4;
      }
      out[i] = static_cast<std::uint8_t>(word_);
      word_ >>= 8;
      --left_;
    }
  }

 private:
  std::uint64_t x_;
  std::uint32_t word_ = 0;
  unsigned left_ = 0;
};

// A 64-bit hash fed in pieces of any size (8 bytes at a time, a tail kept across calls): each
// word step is a bijection of the state, so lost, duplicated, changed or reordered bytes show.
// Not cryptographic; it checks a transfer, not an adversary.
class stream_hash {
 public:
  void update(const std::uint8_t* d, std::size_t n) {
    bytes_ += n;
    std::size_t i = 0;
    while (tail_len_ && i < n) {
      tail_[tail_len_++] = d[i++];
      if (tail_len_ == 8) {
        mix(load(tail_.data()));
        tail_len_ = 0;
      }
    }
    for (; i + 8 <= n; i += 8) mix(load(d + i));
    for (; i < n; ++i) tail_[tail_len_++] = d[i];
  }
  std::uint64_t digest() const {
    std::uint64_t h = h_;
    for (std::size_t i = 0; i < tail_len_; ++i) h = (h ^ tail_[i]) * 0x100000001b3ull;
    h ^= bytes_;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
  }
  std::uint64_t bytes() const { return bytes_; }

 private:
  static std::uint64_t load(const std::uint8_t* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  void mix(std::uint64_t w) {
    h_ ^= w * 0x9e3779b97f4a7c15ull;
    h_ = ((h_ << 29) | (h_ >> 35)) * 0xbf58476d1ce4e5b9ull;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ull, bytes_ = 0;
  std::array<std::uint8_t, 8> tail_{};
  std::size_t tail_len_ = 0;
};

#if defined(__SANITIZE_ADDRESS__)
constexpr bool under_asan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool under_asan = true;
#else
constexpr bool under_asan = false;
#endif
#else
constexpr bool under_asan = false;
#endif

// Bytes for the Bulk* tests: ZTKIT_TCP_KERNEL_BYTES, else 100 MB (16 MB under ASan).
std::size_t bulk_bytes() {
  if (const char* e = std::getenv("ZTKIT_TCP_KERNEL_BYTES")) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(e, &end, 10);
    if (end != e && v > 0) return static_cast<std::size_t>(v);
  }
  return under_asan ? 16'000'000 : 100'000'000;
}

// Generous: 30 s plus 1 s per 2 MB (the transfers run at tens of MB/s or more).
std::chrono::milliseconds bulk_limit(std::size_t bytes) {
  return std::chrono::milliseconds(30'000 + bytes / 2'000);
}

void report_goodput(const char* what, std::size_t bytes, std::chrono::steady_clock::duration d) {
  double s = std::chrono::duration<double>(d).count();
  double mbit = s > 0 ? static_cast<double>(bytes) * 8 / s / 1e6 : 0;
  std::printf("[ %s ] %zu bytes in %.3f s: %.0f Mbit/s goodput (%s build), hashes match\n", what,
              bytes, s, mbit, under_asan ? "ASan" : "non-ASan");
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", mbit);
  ::testing::Test::RecordProperty("bytes", std::to_string(bytes));
  ::testing::Test::RecordProperty("goodput_mbit_s", buf);
}

sockaddr_storage sockaddr_of(bool v6, const char* ip, std::uint16_t port, socklen_t* len) {
  sockaddr_storage ss{};
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a->sin6_addr);
    *len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip, &a->sin_addr);
    *len = sizeof(sockaddr_in);
  }
  return ss;
}

// Our and the kernel's addresses in the harness's subnets.
inet_address ours(bool v6, std::uint16_t port) {
  if (!v6) return inet_address::v4({10, 99, 0, 2}, port);
  std::array<std::uint8_t, 16> a{0xfd, 0x99};
  a[15] = 2;
  return inet_address::v6(a, port);
}
inet_address kernels(bool v6, std::uint16_t port) {
  inet_address a = ours(v6, port);
  a.ip[v6 ? 15 : 3] = 1;
  return a;
}

class TcpKernelPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    peer_ = kernel_peer::create(&why);
    if (!peer_) GTEST_SKIP() << "kernel peer unavailable: " << why;
    pool_ = std::make_unique<buf::buffer_pool>(buf::buffer_pool::config{2048, 1024, 128});
    ifc_ = std::make_unique<interface>(kernel_peer::our_config(), *pool_);
    tcp_socket_set::config c;
    c.max_sockets = 8;
    c.socket.mtu = kernel_peer::mtu;
    c.socket.rx_buffer = c.socket.tx_buffer = 256 * 1024;
    c.socket.time_wait_ms = 500;
    for (std::size_t i = 0; i < c.secret.size(); ++i) c.secret[i] = static_cast<std::uint8_t>(i * 7 + 3);
    tcp_ = std::make_unique<tcp_socket_set>(c);
  }
  void TearDown() override {
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    for (int fd : fds_) close(fd);
    tcp_.reset();
    ifc_.reset();
    pool_.reset();
    peer_.reset();
  }

  // A blocking socket opened inside the namespace, with 20 s timeouts so a failure cannot hang.
  int ns_socket(bool v6) {
    int fd = -1;
    peer_->in_namespace([&] { fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); });
    if (fd < 0) return fd;
    timeval tv{20, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    fds_.push_back(fd);
    return fd;
  }

  // One TCP segment from the set, framed (Ethernet + IPv4) and written to the TAP.
  void send_segment(const tcp_segment& seg) {
    std::array<std::uint8_t, 1600> f{};
    bool v6 = seg.local.fam == inet_address::family::ipv6;
    wire::ethernet_repr{kernel_peer::our_config().mac, kernel_mac_,
                        static_cast<std::uint16_t>(v6 ? 0x86dd : 0x0800)}
        .emit(f);
    std::size_t hl = 14;
    if (v6) {
      wire::ipv6_repr ip;
      ip.src = wire::ipv6_address::from_inet(seg.local);
      ip.dst = wire::ipv6_address::from_inet(seg.remote);
      ip.next_header = wire::ip_protocol::tcp;
      ip.payload_len = static_cast<std::uint16_t>(seg.len());
      ip.emit(std::span(f).subspan(14));
      hl += wire::ipv6_repr::buffer_len();
    } else {
      wire::ipv4_repr ip;
      ip.src = wire::ipv4_address::from_inet(seg.local);
      ip.dst = wire::ipv4_address::from_inet(seg.remote);
      ip.protocol = wire::ip_protocol::tcp;
      ip.payload_len = static_cast<std::uint16_t>(seg.len());
      ip.ident = ident_++;
      ip.dont_fragment = true;
      ip.emit(std::span(f).subspan(14));
      hl += wire::ipv4_repr::buffer_len();
    }
    std::size_t n = seg.emit(std::span(f).subspan(hl));
    if (drop()) return;
    if (write(peer_->tap_fd(), f.data(), hl + n) == static_cast<ssize_t>(hl + n)) ++segments_out_;
  }

  // Runs everything until done() or the limit: frames from the TAP (TCP to the set, the rest
  // to the interface), the interface's and the set's output, their timers.
  bool run(std::chrono::milliseconds limit, const std::function<bool()>& done) {
    const std::uint64_t deadline = kernel_peer::now_ms() + static_cast<std::uint64_t>(limit.count());
    std::array<std::uint8_t, 2048> buf;
    while (true) {
      std::uint64_t now = kernel_peer::now_ms();
      tcp_segment seg;
      while (have_mac_ && tcp_->poll(now, seg)) send_segment(seg);
      peer_->write_frames(ifc_->poll(now));
      if (done()) return true;
      if (now >= deadline) return false;
      pollfd pfd{peer_->tap_fd(), POLLIN, 0};
      std::uint64_t t = tcp_->poll_at();
      int wait = t <= now ? 0 : static_cast<int>(std::min<std::uint64_t>(t - now, 2));
      ::poll(&pfd, 1, wait);
      for (int i = 0; i < 256; ++i) {
        ssize_t n = read(peer_->tap_fd(), buf.data(), buf.size());
        if (n <= 0) break;
        std::span<const std::uint8_t> frame(buf.data(), static_cast<std::size_t>(n));
        now = kernel_peer::now_ms();
        if (handle_tcp(now, frame)) continue;
        peer_->write_frames(ifc_->process(now, frame));
      }
    }
  }

  bool handle_tcp(std::uint64_t now, std::span<const std::uint8_t> frame) {
    auto e = wire::ethernet_frame::new_checked(frame);
    if (!e) return false;
    if (e->ethertype() == 0x86dd) return handle_tcp6(now, *e);
    if (e->ethertype() != 0x0800) return false;
    auto ip = wire::ipv4_packet::new_checked(e->payload());
    if (!ip || !ip->verify_checksum()) return false;
    // Every IPv4 frame on this TAP comes from the kernel: learn its MAC.
    kernel_mac_ = e->src();
    have_mac_ = true;
    if (ip->protocol() != wire::ip_protocol::tcp || ip->is_fragment()) return false;
    if (!ifc_->is_our_ipv4(ip->dst())) return false;
    auto p = wire::tcp_packet::new_checked(ip->payload());
    wire::tcp_repr r;
    if (!p || wire::tcp_repr::parse(*p, ip->src(), ip->dst(), r) != wire::tcp_error::ok) {
      ++bad_segments_;
      return true;
    }
    if (drop()) return true;
    ++segments_in_;
    if (r.has(wire::tcp_flags::syn)) last_syn_ = r;
    tcp_->process(now, ip->src().to_inet(r.src_port), ip->dst().to_inet(r.dst_port), r,
                  p->payload());
    return true;
  }

  bool handle_tcp6(std::uint64_t now, const wire::ethernet_frame& e) {
    auto ip = wire::ipv6_packet::new_checked(e.payload());
    if (!ip) return false;
    kernel_mac_ = e.src();
    have_mac_ = true;
    // Linux sends TCP without extension headers.
    if (ip->next_header() != wire::ip_protocol::tcp || !ifc_->is_our_ipv6(ip->dst())) return false;
    auto p = wire::tcp_packet::new_checked(ip->payload());
    wire::tcp_repr r;
    if (!p || wire::tcp_repr::parse(*p, ip->src(), ip->dst(), r) != wire::tcp_error::ok) {
      ++bad_segments_;
      return true;
    }
    if (drop()) return true;
    ++segments_in_;
    if (r.has(wire::tcp_flags::syn)) last_syn_ = r;
    tcp_->process(now, ip->src().to_inet(r.src_port), ip->dst().to_inet(r.dst_port), r,
                  p->payload());
    return true;
  }

  void kernel_echo(bool v6);
  void we_connect(bool v6);
  void bulk_kernel_to_us(bool v6);
  void bulk_us_to_kernel(bool v6);
  bool drop() {
    if (!drop_per_mille_) return false;
    rng_ = rng_ * 6364136223846793005ull + 1442695040888963407ull;
    if ((rng_ >> 33) % 1000 >= drop_per_mille_) return false;
    ++dropped_;
    return true;
  }

  unsigned drop_per_mille_ = 0;
  std::uint64_t rng_ = 42, dropped_ = 0, retransmits_ = 0, fast_ = 0, rtos_ = 0;
  std::unique_ptr<kernel_peer> peer_;
  std::unique_ptr<buf::buffer_pool> pool_;
  std::unique_ptr<interface> ifc_;
  std::unique_ptr<tcp_socket_set> tcp_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  wire::mac_address kernel_mac_;
  bool have_mac_ = false;
  std::uint16_t ident_ = 1;
  std::uint64_t segments_in_ = 0, segments_out_ = 0, bad_segments_ = 0;
  wire::tcp_repr last_syn_;
};

void TcpKernelPeer::kernel_echo(bool v6) {
  auto l = tcp_->listen(ours(v6, 7000));
  ASSERT_TRUE(l);
  const std::size_t total = 1 << 20;
  auto data = pattern(total, 1);
  std::vector<std::uint8_t> echoed;
  std::atomic<bool> sent_ok{false}, recv_done{false};
  int fd = ns_socket(v6);
  ASSERT_GE(fd, 0);
  // The kernel side: connect, then one thread writes 1 MiB and half-closes while another
  // reads the echo until EOF.
  threads_.emplace_back([&, fd, v6] {
    socklen_t len;
    auto to = sockaddr_of(v6, v6 ? kernel_peer::our_ipv6 : kernel_peer::our_ipv4, 7000, &len);
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), len) != 0) {
      recv_done = true;
      return;
    }
    std::thread reader([&, fd] {
      std::vector<std::uint8_t> b(65536);
      while (true) {
        ssize_t n = recv(fd, b.data(), b.size(), 0);
        if (n <= 0) break;
        echoed.insert(echoed.end(), b.begin(), b.begin() + n);
      }
      recv_done = true;
    });
    std::size_t off = 0;
    while (off < total) {
      ssize_t n = send(fd, data.data() + off, total - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    sent_ok = off == total;
    shutdown(fd, SHUT_WR);
    reader.join();
  });
  // Our side: accept, echo everything, close after the kernel's FIN.
  std::optional<tcp_handle> h;
  std::vector<std::uint8_t> pending;
  std::array<std::uint8_t, 65536> b;
  bool closed = false;
  bool ok = run(30s, [&] {
    if (!h) h = tcp_->accept(*l);
    if (h) {
      tcp_socket& s = tcp_->get(*h);
      while (pending.size() < 512 * 1024) {
        std::size_t n = s.recv(b);
        if (!n) break;
        pending.insert(pending.end(), b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
      }
      if (!pending.empty()) {
        std::size_t n = s.send(pending);
        pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
      }
      if (!closed && s.peer_closed() && s.recv_queued() == 0 && pending.empty()) {
        s.close();
        closed = true;
      }
    }
    return recv_done.load();
  });
  for (auto& t : threads_) t.join();
  threads_.clear();
  ASSERT_TRUE(ok) << "timed out; segments in " << segments_in_ << " out " << segments_out_;
  EXPECT_TRUE(sent_ok);
  EXPECT_EQ(echoed.size(), total);
  EXPECT_TRUE(echoed == data);
  EXPECT_EQ(bad_segments_, 0u);
  // Linux's SYN offers every option; we took them.
  ASSERT_TRUE(h);
  tcp_socket& s = tcp_->get(*h);
  retransmits_ = s.counters().retransmits;
  fast_ = s.counters().fast_retransmits;
  rtos_ = s.counters().rto_expired;
  EXPECT_TRUE(last_syn_.mss && last_syn_.window_scale && last_syn_.sack_permitted && last_syn_.ts);
  EXPECT_TRUE(s.timestamps_enabled());
  EXPECT_TRUE(s.sack_enabled());
  EXPECT_EQ(s.mss(), (v6 ? 1440u : 1460u) - 12);
  // The kernel's close: LAST-ACK then CLOSED on our side once its ACK of our FIN arrives.
  run(5s, [&] { return s.state() == tcp_state::closed; });
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_EQ(s.error(), tcp_socket_error::none);
}

TEST_F(TcpKernelPeer, KernelConnectsAndWeEchoIpv4) { kernel_echo(false); }
TEST_F(TcpKernelPeer, KernelConnectsAndWeEchoIpv6) { kernel_echo(true); }

TEST_F(TcpKernelPeer, KernelConnectsAndWeEchoWithLoss) {
  // 3% of the TCP frames each way are dropped here: both stacks' loss recovery (SACK, RTO)
  // has to work against the other's.
  drop_per_mille_ = 30;
  kernel_echo(false);
  EXPECT_GT(dropped_, 0u);
  std::printf("[ kernel echo, 3%% loss ] dropped %llu frames; our retransmits %llu, fast "
              "recoveries %llu, RTOs %llu\n",
              static_cast<unsigned long long>(dropped_),
              static_cast<unsigned long long>(retransmits_), static_cast<unsigned long long>(fast_),
              static_cast<unsigned long long>(rtos_));
}

void TcpKernelPeer::we_connect(bool v6) {
  // The kernel listens on port 7001, reads until EOF and answers with the byte count.
  int lfd = ns_socket(v6);
  ASSERT_GE(lfd, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len;
  auto me = sockaddr_of(v6, v6 ? kernel_peer::kernel_ipv6 : kernel_peer::kernel_ipv4, 7001, &len);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&me), len), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(lfd, 4), 0);
  const std::size_t total = 1 << 20;
  auto data = pattern(total, 2);
  std::vector<std::uint8_t> got;
  std::atomic<bool> kernel_done{false};
  threads_.emplace_back([&, lfd] {
    int c = accept(lfd, nullptr, nullptr);
    if (c >= 0) {
      timeval tv{20, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::vector<std::uint8_t> b(65536);
      while (true) {
        ssize_t n = recv(c, b.data(), b.size(), 0);
        if (n <= 0) break;
        got.insert(got.end(), b.begin(), b.begin() + n);
      }
      std::uint64_t count = got.size();
      send(c, &count, sizeof count, MSG_NOSIGNAL);
      close(c);
    }
    kernel_done = true;
  });
  // Learn the kernel's MAC (an echo exchange through the interface) before the SYN.
  peer_->write_frames(ifc_->send_ping(kernel_peer::now_ms(), kernels(v6, 0), 1, 1, {}));
  ASSERT_TRUE(run(3s, [&] { return ifc_->take_echo_reply().has_value(); }));
  ASSERT_TRUE(have_mac_);
  auto h = tcp_->connect(kernel_peer::now_ms(), ours(v6, 0), kernels(v6, 7001));
  ASSERT_TRUE(h);
  tcp_socket& s = tcp_->get(*h);
  std::size_t off = 0;
  std::array<std::uint8_t, 64> answer{};
  std::size_t answer_len = 0;
  bool ok = run(30s, [&] {
    if (off < total) {
      off += s.send(std::span(data).subspan(off));
      if (off == total) s.shutdown_write();
    }
    answer_len += s.recv(std::span(answer).subspan(answer_len));
    return kernel_done.load() && s.peer_closed();
  });
  for (auto& t : threads_) t.join();
  threads_.clear();
  ASSERT_TRUE(ok) << "timed out in " << to_string(s.state()) << "; segments in " << segments_in_
                  << " out " << segments_out_;
  EXPECT_EQ(got.size(), total);
  EXPECT_TRUE(got == data);
  ASSERT_EQ(answer_len, 8u);
  std::uint64_t count;
  std::memcpy(&count, answer.data(), 8);
  EXPECT_EQ(count, total);
  EXPECT_EQ(bad_segments_, 0u);
  // We closed first and the kernel's FIN followed: TIME-WAIT (500 ms here), then CLOSED.
  EXPECT_EQ(s.state(), tcp_state::time_wait);
  run(2s, [&] { return s.state() == tcp_state::closed; });
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_TRUE(s.timestamps_enabled());
  EXPECT_GT(s.send_window_shift(), 0);
}

TEST_F(TcpKernelPeer, WeConnectAndSendIpv4) { we_connect(false); }
TEST_F(TcpKernelPeer, WeConnectAndSendIpv6) { we_connect(true); }

void TcpKernelPeer::bulk_kernel_to_us(bool v6) {
  // The kernel connects to us on 7002, sends `total` bytes of a pattern stream hashing them as
  // they go, half-closes and waits for our FIN. We hash what we receive and close after its FIN.
  using clock = std::chrono::steady_clock;
  const std::size_t total = bulk_bytes();
  std::printf("[ bulk kernel -> ztkit ] %zu bytes\n", total);
  auto l = tcp_->listen(ours(v6, 7002));
  ASSERT_TRUE(l);
  int fd = ns_socket(v6);
  ASSERT_GE(fd, 0);
  std::atomic<bool> kernel_done{false};
  std::size_t sent = 0;
  std::uint64_t sent_hash = 0;
  threads_.emplace_back([&, fd, v6] {
    socklen_t len;
    auto to = sockaddr_of(v6, v6 ? kernel_peer::our_ipv6 : kernel_peer::our_ipv4, 7002, &len);
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), len) == 0) {
      pattern_stream gen(3);
      stream_hash hs;
      std::vector<std::uint8_t> chunk(256 * 1024);
      std::size_t off = 0;
      bool failed = false;
      while (off < total && !failed) {
        std::size_t n = std::min(chunk.size(), total - off);
        gen.fill(chunk.data(), n);
        hs.update(chunk.data(), n);
        for (std::size_t k = 0; k < n;) {
          ssize_t w = send(fd, chunk.data() + k, n - k, MSG_NOSIGNAL);
          if (w <= 0) {
            failed = true;
            break;
          }
          k += static_cast<std::size_t>(w);
          off += static_cast<std::size_t>(w);
        }
      }
      sent = off;
      sent_hash = hs.digest();
      shutdown(fd, SHUT_WR);
      std::array<std::uint8_t, 64> b;
      while (recv(fd, b.data(), b.size(), 0) > 0) {}
    }
    kernel_done = true;
  });
  std::optional<tcp_handle> h;
  stream_hash got;
  std::vector<std::uint8_t> b(65536);
  clock::time_point start{}, end{};
  bool closed = false;
  bool ok = run(bulk_limit(total), [&] {
    if (!h) {
      h = tcp_->accept(*l);
      if (h) start = clock::now();
    }
    if (h) {
      tcp_socket& s = tcp_->get(*h);
      while (std::size_t n = s.recv(b)) {
        got.update(b.data(), n);
        if (got.bytes() == total) end = clock::now();
      }
      if (!closed && s.peer_closed() && s.recv_queued() == 0) {
        s.close();
        closed = true;
      }
    }
    return kernel_done.load();
  });
  for (auto& t : threads_) t.join();
  threads_.clear();
  ASSERT_TRUE(ok) << "timed out after " << got.bytes() << " bytes; segments in " << segments_in_
                  << " out " << segments_out_;
  ASSERT_TRUE(h);
  EXPECT_EQ(sent, total);
  EXPECT_EQ(got.bytes(), total);
  EXPECT_EQ(got.digest(), sent_hash);
  EXPECT_EQ(bad_segments_, 0u);
  if (got.bytes() == total && got.digest() == sent_hash)
    report_goodput(v6 ? "bulk kernel -> ztkit, IPv6" : "bulk kernel -> ztkit, IPv4", total,
                   end - start);
  tcp_socket& s = tcp_->get(*h);
  run(5s, [&] { return s.state() == tcp_state::closed; });
  EXPECT_EQ(s.state(), tcp_state::closed);
  EXPECT_EQ(s.error(), tcp_socket_error::none);
}

void TcpKernelPeer::bulk_us_to_kernel(bool v6) {
  // The kernel listens on 7003, hashes what it reads until EOF, then answers with the byte
  // count and its hash (16 bytes) and closes. We send `total` bytes of a pattern stream.
  using clock = std::chrono::steady_clock;
  const std::size_t total = bulk_bytes();
  std::printf("[ bulk ztkit -> kernel ] %zu bytes\n", total);
  int lfd = ns_socket(v6);
  ASSERT_GE(lfd, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len;
  auto me = sockaddr_of(v6, v6 ? kernel_peer::kernel_ipv6 : kernel_peer::kernel_ipv4, 7003, &len);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&me), len), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(lfd, 4), 0);
  std::atomic<bool> kernel_done{false};
  stream_hash got;
  clock::time_point end{};
  threads_.emplace_back([&, lfd] {
    int c = accept(lfd, nullptr, nullptr);
    if (c >= 0) {
      timeval tv{20, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::vector<std::uint8_t> b(256 * 1024);
      while (true) {
        ssize_t n = recv(c, b.data(), b.size(), 0);
        if (n <= 0) break;
        got.update(b.data(), static_cast<std::size_t>(n));
        if (got.bytes() == total) end = clock::now();
      }
      std::array<std::uint64_t, 2> answer{got.bytes(), got.digest()};
      send(c, answer.data(), sizeof answer, MSG_NOSIGNAL);
      close(c);
    }
    kernel_done = true;
  });
  peer_->write_frames(ifc_->send_ping(kernel_peer::now_ms(), kernels(v6, 0), 1, 1, {}));
  ASSERT_TRUE(run(3s, [&] { return ifc_->take_echo_reply().has_value(); }));
  ASSERT_TRUE(have_mac_);
  const clock::time_point start = clock::now();
  auto h = tcp_->connect(kernel_peer::now_ms(), ours(v6, 0), kernels(v6, 7003));
  ASSERT_TRUE(h);
  tcp_socket& s = tcp_->get(*h);
  pattern_stream gen(4);
  stream_hash sent;
  std::vector<std::uint8_t> chunk(256 * 1024);
  std::size_t off = 0, chunk_pos = 0, chunk_len = 0;
  std::array<std::uint8_t, 64> answer{};
  std::size_t answer_len = 0;
  bool ok = run(bulk_limit(total), [&] {
    while (off < total) {
      if (chunk_pos == chunk_len) {
        chunk_len = std::min(chunk.size(), total - off);
        gen.fill(chunk.data(), chunk_len);
        sent.update(chunk.data(), chunk_len);
        chunk_pos = 0;
      }
      std::size_t n =
          s.send(std::span<const std::uint8_t>(chunk.data() + chunk_pos, chunk_len - chunk_pos));
      if (!n) break;
      chunk_pos += n;
      off += n;
      if (off == total) s.shutdown_write();
    }
    answer_len += s.recv(std::span(answer).subspan(answer_len));
    return kernel_done.load() && s.peer_closed();
  });
  for (auto& t : threads_) t.join();
  threads_.clear();
  ASSERT_TRUE(ok) << "timed out in " << to_string(s.state()) << " after " << off
                  << " bytes; segments in " << segments_in_ << " out " << segments_out_;
  EXPECT_EQ(sent.bytes(), total);
  EXPECT_EQ(got.bytes(), total);
  EXPECT_EQ(got.digest(), sent.digest());
  ASSERT_EQ(answer_len, 16u);
  std::array<std::uint64_t, 2> reply;
  std::memcpy(reply.data(), answer.data(), 16);
  EXPECT_EQ(reply[0], total);
  EXPECT_EQ(reply[1], sent.digest());
  EXPECT_EQ(bad_segments_, 0u);
  std::printf("[ bulk ztkit -> kernel ] our retransmits %llu\n",
              static_cast<unsigned long long>(s.counters().retransmits));
  if (got.bytes() == total && got.digest() == sent.digest())
    report_goodput(v6 ? "bulk ztkit -> kernel, IPv6" : "bulk ztkit -> kernel, IPv4", total,
                   end - start);
  run(2s, [&] { return s.state() == tcp_state::closed; });
  EXPECT_EQ(s.state(), tcp_state::closed);
}

TEST_F(TcpKernelPeer, BulkKernelToUsIpv4) { bulk_kernel_to_us(false); }
TEST_F(TcpKernelPeer, BulkUsToKernelIpv4) { bulk_us_to_kernel(false); }

}  // namespace
}  // namespace ztkit::netstack
