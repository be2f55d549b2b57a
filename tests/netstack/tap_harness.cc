#include "tests/netstack/tap_harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace ztkit::netstack::testing {

namespace {
int run(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
std::atomic<int> counter{0};

// Namespaces ztk-<pid>-<n> left by a harness process that died without its destructors (a
// sanitizer abort, a kill): removed when their process is gone. Only our own naming scheme.
void remove_stale_namespaces() {
  DIR* d = opendir("/var/run/netns");
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("ztk-", 0) != 0) continue;
    auto dash = name.find('-', 4);
    if (dash == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.substr(4, dash - 4).c_str()));
    if (pid > 0 && pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH)
      run("ip netns delete " + name);
  }
  closedir(d);
}
}  // namespace

std::uint64_t kernel_peer::now_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

std::unique_ptr<kernel_peer> kernel_peer::create(std::string* why) {
  if (geteuid() != 0) {
    *why = "needs root (network namespaces and TAP devices)";
    return nullptr;
  }
  if (access("/dev/net/tun", R_OK | W_OK) != 0) {
    *why = "no /dev/net/tun";
    return nullptr;
  }
  remove_stale_namespaces();
  std::unique_ptr<kernel_peer> p(new kernel_peer);
  int n = counter++;
  p->ns_ = "ztk-" + std::to_string(getpid()) + "-" + std::to_string(n);
  p->dev_ = "ztk" + std::to_string(getpid() % 100000) + "t" + std::to_string(n);
  if (run("ip netns add " + p->ns_) != 0) {
    p->ns_.clear();
    *why = "cannot create a network namespace (ip netns add failed)";
    return nullptr;
  }
  p->fd_ = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (p->fd_ < 0) {
    *why = std::string("open /dev/net/tun: ") + std::strerror(errno);
    return nullptr;
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::strncpy(ifr.ifr_name, p->dev_.c_str(), IFNAMSIZ - 1);
  if (ioctl(p->fd_, TUNSETIFF, &ifr) != 0) {
    *why = std::string("TUNSETIFF: ") + std::strerror(errno);
    return nullptr;
  }
  const std::string in = "ip netns exec " + p->ns_ + " ";
  if (run("ip link set dev " + p->dev_ + " netns " + p->ns_) != 0 ||
      run(in + "ip link set lo up") != 0 ||
      run(in + "ip link set dev " + p->dev_ + " mtu " + std::to_string(mtu)) != 0 ||
      run(in + "ip addr add " + kernel_ipv4 + "/24 dev " + p->dev_) != 0 ||
      run(in + "ip -6 addr add " + kernel_ipv6 + "/64 dev " + p->dev_ + " nodad") != 0 ||
      run(in + "ip link set dev " + p->dev_ + " up") != 0) {
    *why = "configuring the TAP device inside the namespace failed";
    return nullptr;
  }
  // Keep the kernel quiet and predictable: no router solicitations, no IPv6 autoconf.
  run(in + "sysctl -w net.ipv6.conf." + p->dev_ + ".router_solicitations=0");
  run(in + "sysctl -w net.ipv6.conf.all.accept_ra=0");
  // Unprivileged ICMP "ping" sockets for the tests' echo requests (no raw sockets needed).
  run(in + "sysctl -w net.ipv4.ping_group_range='0 2147483647'");
  return p;
}

kernel_peer::~kernel_peer() {
  if (fd_ >= 0) close(fd_);
  if (!ns_.empty()) run("ip netns delete " + ns_);
}

interface_config kernel_peer::our_config() {
  interface_config c;
  c.mac = wire::mac_address{{0x02, 0x5a, 0x74, 0x6b, 0x00, 0x02}};
  c.mtu = mtu;
  c.ipv4.push_back({wire::ipv4_address{{10, 99, 0, 2}}, 24});
  wire::ipv6_address a;
  a.b[0] = 0xfd;
  a.b[1] = 0x99;
  a.b[15] = 2;
  c.ipv6.push_back({a, 64});
  return c;
}

void kernel_peer::write_frames(std::span<buf::packet_buffer> frames) {
  for (auto& f : frames) {
    if (!f) continue;
    // A TAP write either takes the whole frame or fails; a full queue is a drop, as on a wire.
    if (write(fd_, f.data(), f.size()) == static_cast<ssize_t>(f.size())) ++frames_out_;
    f = buf::packet_buffer{};
  }
}

bool kernel_peer::pump(interface& ifc, buf::buffer_pool& pool, std::chrono::milliseconds limit,
                       const std::function<bool()>& done) {
  const std::uint64_t deadline = now_ms() + static_cast<std::uint64_t>(limit.count());
  std::uint64_t next_poll = 0;
  while (true) {
    if (done()) return true;
    std::uint64_t now = now_ms();
    if (now >= deadline) return done();
    if (now >= next_poll) {
      write_frames(ifc.poll(now));
      next_poll = now + 5;
    }
    pollfd pfd{fd_, POLLIN, 0};
    ::poll(&pfd, 1, 5);
    for (int i = 0; i < 64; ++i) {
      buf::packet_buffer b = pool.get();
      if (!b) break;
      auto slab = b.slab();
      std::size_t head = pool.default_headroom();
      ssize_t n = read(fd_, slab.data() + head, slab.size() - head);
      if (n <= 0) break;
      b.reset(head, static_cast<std::size_t>(n));
      ++frames_in_;
      write_frames(ifc.process(now_ms(), b));
    }
  }
}

bool kernel_peer::in_namespace(const std::function<void()>& f) {
  bool ok = false;
  std::thread t([&] {
    int nsfd = open(("/var/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) return;
    // setns on this thread only: the rest of the process stays in its own namespace.
    if (setns(nsfd, CLONE_NEWNET) == 0) {
      ok = true;
      f();
    }
    close(nsfd);
  });
  t.join();
  return ok;
}

int kernel_peer::exec(const std::string& command, int timeout_s) {
  return run("timeout " + std::to_string(timeout_s) + " ip netns exec " + ns_ + " " + command);
}

}  // namespace ztkit::netstack::testing
