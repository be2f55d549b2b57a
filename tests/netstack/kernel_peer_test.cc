// Our stack against the Linux kernel's ARP, NDP, ICMP and UDP, through a TAP device in a
// namespace made for the test (tap_harness.h). Skips, saying why, without root/TAP/netns.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "netstack/iface/interface.h"
#include "tests/netstack/tap_harness.h"

namespace ztkit::netstack {
namespace {

using namespace std::chrono_literals;
using testing::kernel_peer;
using wire::inet_address;

class KernelPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    peer_ = kernel_peer::create(&why);
    if (!peer_) GTEST_SKIP() << "kernel peer unavailable: " << why;
    pool_ = std::make_unique<buf::buffer_pool>(buf::buffer_pool::config{2048, 1024, 128});
    ifc_ = std::make_unique<interface>(kernel_peer::our_config(), *pool_);
  }
  void TearDown() override {
    for (int fd : fds_) close(fd);
    ifc_.reset();
    pool_.reset();
    peer_.reset();
  }

  // A socket opened inside the namespace.
  int ns_socket(int domain, int type, int protocol) {
    int fd = -1;
    peer_->in_namespace([&] { fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol); });
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }

  bool pump_until(std::chrono::milliseconds limit, const std::function<bool()>& done) {
    return peer_->pump(*ifc_, *pool_, limit, done);
  }

  static sockaddr_storage addr(const char* ip, std::uint16_t port, socklen_t* len) {
    sockaddr_storage ss{};
    if (std::strchr(ip, ':')) {
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

  static inet_address our(bool v6, std::uint16_t port) {
    return *inet_address::from_string(std::string(v6 ? kernel_peer::our_ipv6
                                                     : kernel_peer::our_ipv4) +
                                      "/" + std::to_string(port));
  }
  static inet_address kernels(bool v6, std::uint16_t port) {
    return *inet_address::from_string(std::string(v6 ? kernel_peer::kernel_ipv6
                                                     : kernel_peer::kernel_ipv4) +
                                      "/" + std::to_string(port));
  }

  static std::vector<std::uint8_t> pattern(std::size_t n, std::uint8_t seed) {
    std::vector<std::uint8_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(seed + i * 13 + (i >> 8));
    return v;
  }

  // The kernel sends echo requests of the given payload sizes; every reply must come back.
  void kernel_pings_us(bool v6) {
    int fd = ns_socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM,
                       v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
    ASSERT_GE(fd, 0) << "ping socket: " << std::strerror(errno);
    socklen_t len;
    auto to = addr(v6 ? kernel_peer::our_ipv6 : kernel_peer::our_ipv4, 0, &len);
    for (std::size_t size : {56u, 1000u, 1452u, 3000u}) {
      for (std::uint16_t seq = 1; seq <= 3; ++seq) {
        std::vector<std::uint8_t> msg(8 + size);
        msg[0] = v6 ? 128 : 8;  // echo request; the kernel fills ident and checksum
        msg[6] = 0;
        msg[7] = static_cast<std::uint8_t>(seq);
        auto body = pattern(size, static_cast<std::uint8_t>(seq));
        std::copy(body.begin(), body.end(), msg.begin() + 8);
        ASSERT_EQ(sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), len),
                  static_cast<ssize_t>(msg.size()))
            << std::strerror(errno);
        std::vector<std::uint8_t> got(70000);
        ssize_t n = -1;
        bool ok = pump_until(3s, [&] {
          n = recv(fd, got.data(), got.size(), 0);
          return n > 0;
        });
        ASSERT_TRUE(ok) << "no echo reply, size " << size << " seq " << seq;
        ASSERT_EQ(static_cast<std::size_t>(n), 8 + size);
        EXPECT_EQ(got[0], v6 ? 129 : 0);
        EXPECT_EQ(got[7], seq);
        EXPECT_TRUE(std::equal(body.begin(), body.end(), got.begin() + 8)) << "size " << size;
      }
    }
    EXPECT_GE(ifc_->counters().echo_replied, 12u);
  }

  void we_ping_kernel(bool v6) {
    for (std::size_t size : {0u, 56u, 1400u, 4000u}) {
      for (std::uint16_t seq = 1; seq <= 3; ++seq) {
        auto data = pattern(size, 7);
        peer_->write_frames(ifc_->send_ping(kernel_peer::now_ms(), kernels(v6, 0), 0x5a5a, seq,
                                            data));
        std::optional<echo_reply> r;
        bool ok = pump_until(3s, [&] {
          r = ifc_->take_echo_reply();
          return r.has_value();
        });
        ASSERT_TRUE(ok) << "no reply from the kernel, size " << size << " seq " << seq;
        EXPECT_EQ(r->ident, 0x5a5a);
        EXPECT_EQ(r->seq, seq);
        EXPECT_EQ(r->data_len, size);
        EXPECT_EQ(r->src, kernels(v6, 0));
      }
    }
  }

  void udp_kernel_to_us(bool v6) {
    auto h = ifc_->udp().open();
    ASSERT_TRUE(h);
    ASSERT_EQ(ifc_->udp().bind(*h, our(v6, 7777)), udp_error::ok);
    int fd = ns_socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    socklen_t len;
    auto to = addr(v6 ? kernel_peer::our_ipv6 : kernel_peer::our_ipv4, 7777, &len);
    const std::size_t max_unfrag = kernel_peer::mtu - (v6 ? 48 : 28);
    for (std::size_t size : {0ul, 1ul, 100ul, max_unfrag - 1, max_unfrag, max_unfrag + 1, 4000ul,
                             20000ul, 60000ul}) {
      auto data = pattern(size, static_cast<std::uint8_t>(size));
      ASSERT_EQ(sendto(fd, data.data(), size, 0, reinterpret_cast<sockaddr*>(&to), len),
                static_cast<ssize_t>(size))
          << std::strerror(errno);
      std::vector<std::uint8_t> got(65536);
      std::optional<udp_recv_meta> m;
      bool ok = pump_until(3s, [&] {
        m = ifc_->udp().get(*h).recv_from(got);
        return m.has_value();
      });
      ASSERT_TRUE(ok) << "datagram of " << size << " bytes not received";
      ASSERT_EQ(m->len, size);
      EXPECT_TRUE(std::equal(data.begin(), data.end(), got.begin())) << size;
      EXPECT_EQ(m->src.fam, v6 ? inet_address::family::ipv6 : inet_address::family::ipv4);
      EXPECT_EQ(m->dst, our(v6, 7777));
    }
  }

  void udp_us_to_kernel(bool v6) {
    int fd = ns_socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    socklen_t len;
    auto bind_addr = addr(v6 ? kernel_peer::kernel_ipv6 : kernel_peer::kernel_ipv4, 8888, &len);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&bind_addr), len), 0) << std::strerror(errno);
    int rcvbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    auto h = ifc_->udp().open();
    ASSERT_TRUE(h);
    ASSERT_EQ(ifc_->udp().bind(*h, inet_address{}), udp_error::ok);  // any address, ephemeral
    const std::uint16_t our_port = ifc_->udp().get(*h).local().port;
    EXPECT_GE(our_port, 49152);
    const std::size_t max_unfrag = kernel_peer::mtu - (v6 ? 48 : 28);
    for (std::size_t size : {0ul, 1ul, 100ul, max_unfrag, max_unfrag + 1, 4000ul, 20000ul,
                             60000ul}) {
      auto data = pattern(size, static_cast<std::uint8_t>(size + 1));
      ASSERT_EQ(ifc_->udp().get(*h).send_to(data, kernels(v6, 8888)), udp_error::ok);
      std::vector<std::uint8_t> got(65536);
      sockaddr_storage from{};
      ssize_t n = -1;
      bool ok = pump_until(3s, [&] {
        socklen_t fl = sizeof from;
        n = recvfrom(fd, got.data(), got.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
        return n >= 0;
      });
      ASSERT_TRUE(ok) << "kernel did not receive our datagram of " << size << " bytes";
      ASSERT_EQ(static_cast<std::size_t>(n), size);
      EXPECT_TRUE(std::equal(data.begin(), data.end(), got.begin())) << size;
      std::uint16_t from_port = v6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&from)->sin6_port)
                                   : ntohs(reinterpret_cast<sockaddr_in*>(&from)->sin_port);
      EXPECT_EQ(from_port, our_port);
    }
  }

  void port_unreachable(bool v6) {
    int fd = ns_socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    socklen_t len;
    auto to = addr(v6 ? kernel_peer::our_ipv6 : kernel_peer::our_ipv4, 9, &len);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), len), 0);
    ASSERT_EQ(send(fd, "x", 1, 0), 1);
    int err = 0;
    bool ok = pump_until(3s, [&] {
      char b[16];
      ssize_t n = recv(fd, b, sizeof b, 0);
      if (n < 0 && errno != EAGAIN) err = errno;
      return err != 0;
    });
    ASSERT_TRUE(ok) << "no ICMP port unreachable seen by the kernel";
    EXPECT_EQ(err, ECONNREFUSED);
    EXPECT_GE(ifc_->counters().icmp_errors_sent, 1u);
  }

  std::unique_ptr<kernel_peer> peer_;
  std::unique_ptr<buf::buffer_pool> pool_;
  std::unique_ptr<interface> ifc_;
  std::vector<int> fds_;
};

TEST_F(KernelPeer, KernelPingsUsIpv4) { kernel_pings_us(false); }
TEST_F(KernelPeer, KernelPingsUsIpv6) { kernel_pings_us(true); }
TEST_F(KernelPeer, WePingTheKernelIpv4) { we_ping_kernel(false); }
TEST_F(KernelPeer, WePingTheKernelIpv6) { we_ping_kernel(true); }
TEST_F(KernelPeer, UdpKernelToUsIpv4) { udp_kernel_to_us(false); }
TEST_F(KernelPeer, UdpKernelToUsIpv6) { udp_kernel_to_us(true); }
TEST_F(KernelPeer, UdpUsToKernelIpv4) { udp_us_to_kernel(false); }
TEST_F(KernelPeer, UdpUsToKernelIpv6) { udp_us_to_kernel(true); }
TEST_F(KernelPeer, PortUnreachableIpv4) { port_unreachable(false); }
TEST_F(KernelPeer, PortUnreachableIpv6) { port_unreachable(true); }

TEST_F(KernelPeer, GratuitousArpAndUnsolicitedNaOnAddressChange) {
  // Announce, then the kernel must know our MAC without asking.
  auto cfg = kernel_peer::our_config();
  peer_->write_frames(ifc_->set_addresses(kernel_peer::now_ms(), cfg.ipv4, cfg.ipv6));
  // A gratuitous ARP only updates an existing kernel entry (arp_accept=0), so check that the
  // kernel received them and still resolves and answers us.
  EXPECT_GE(peer_->frames_out(), 2u);
  we_ping_kernel(false);
}

}  // namespace
}  // namespace ztkit::netstack
