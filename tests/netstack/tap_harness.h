// A real peer for netstack tests: the Linux kernel, through a TAP device in a network namespace
// created for the test (reused by the TCP tests).
//
//   kernel_peer::create() makes namespace ztk-<pid>-<n>, a TAP device (IFF_TAP | IFF_NO_PI)
//   created here and moved into it, gives the kernel side 10.99.0.1/24 and fd99::1/64 (nodad)
//   and brings it up. The destructor deletes the namespace (and with it the device), also when
//   a test fails. Without root, /dev/net/tun or `ip netns`, create() returns nullptr and a
//   reason for GTEST_SKIP.
//
//   pump() connects an interface to the TAP fd for a bounded time: frames read from the TAP go
//   through interface::process, every returned frame is written back, and interface::poll runs
//   every few milliseconds. The clock is read here, never by the stack.
//
//   in_namespace() runs a function on a thread that has setns()'d into the namespace, so
//   sockets it opens (UDP, raw ICMP) live there; their fds are usable from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/buf/packet_buffer.h"
#include "netstack/iface/interface.h"

namespace ztkit::netstack::testing {

class kernel_peer {
 public:
  static constexpr const char* kernel_ipv4 = "10.99.0.1";
  static constexpr const char* kernel_ipv6 = "fd99::1";
  static constexpr const char* our_ipv4 = "10.99.0.2";
  static constexpr const char* our_ipv6 = "fd99::2";
  static constexpr std::size_t mtu = 1500;

  // nullptr, with *why set, when the environment cannot host the test.
  static std::unique_ptr<kernel_peer> create(std::string* why);
  ~kernel_peer();
  kernel_peer(const kernel_peer&) = delete;
  kernel_peer& operator=(const kernel_peer&) = delete;

  const std::string& ns() const { return ns_; }
  const std::string& dev() const { return dev_; }
  int tap_fd() const { return fd_; }

  // An interface config for our side: our MAC, 10.99.0.2/24, fd99::2/64, MTU 1500.
  static interface_config our_config();

  // Milliseconds on a monotonic clock (the harness's clock, handed to the stack as `now`).
  static std::uint64_t now_ms();

  // Runs the interface against the TAP until done() returns true or `limit` passes. Returns
  // done()'s last value. Frames written are also counted.
  bool pump(interface& ifc, buf::buffer_pool& pool, std::chrono::milliseconds limit,
            const std::function<bool()>& done);
  // Writes frames returned by an interface call to the TAP.
  void write_frames(std::span<buf::packet_buffer> frames);

  // Runs f on a thread inside the namespace and waits for it.
  bool in_namespace(const std::function<void()>& f);
  // Runs a shell command inside the namespace (ip netns exec), bounded by `timeout` seconds.
  int exec(const std::string& command, int timeout_s = 10);

  std::uint64_t frames_in() const { return frames_in_; }
  std::uint64_t frames_out() const { return frames_out_; }

 private:
  kernel_peer() = default;
  std::string ns_, dev_;
  int fd_ = -1;
  std::uint64_t frames_in_ = 0, frames_out_ = 0;
};

}  // namespace ztkit::netstack::testing
