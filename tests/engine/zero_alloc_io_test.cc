// The steady state allocates nothing (issue 5, "Tests"): after a warm-up, N datagrams echoed
// through a pair of backends perform zero heap allocations. Global operator new/delete are
// replaced in this binary by counting versions; only the measured window counts.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/buf/packet_buffer.h"
#include "engine/io/backend.h"
#include "engine/io/epoll_backend.h"
#include "engine/io/sim/sim_network.h"
#include "engine/io/uring_backend.h"
#include "tests/support/alloc_counter.h"

namespace ztkit::io {
namespace {

class zero_alloc : public ::testing::TestWithParam<std::string> {};

// One round: the client sends `window` datagrams, the server echoes each (the received buffer
// goes straight back out), the client takes the echoes. Returns the echoes received.
std::size_t round(backend& client, backend& server, buf::buffer_pool& cpool, inet_address to,
                  std::size_t window, rx_datagram* rx, std::size_t rx_n) {
  for (std::size_t i = 0; i < window; ++i) {
    buf::packet_buffer p = cpool.get();
    if (!p) break;
    std::uint8_t* d = p.append(1200);
    d[0] = static_cast<std::uint8_t>(i);
    client.send(tx_datagram{std::move(p), to, 0});
  }
  client.flush();
  std::size_t echoed = 0, back = 0;
  for (int spin = 0; spin < 200 && (echoed < window || back < window); ++spin) {
    const std::size_t n = server.poll({rx, rx_n}, echoed < window ? 10'000'000 : 0);
    for (std::size_t i = 0; i < n; ++i) server.send(tx_datagram{std::move(rx[i].buffer), rx[i].from, 0});
    echoed += n;
    server.flush();
    const std::size_t m = client.poll({rx, rx_n}, back < echoed ? 10'000'000 : 0);
    for (std::size_t i = 0; i < m; ++i) rx[i].buffer = {};
    back += m;
  }
  return back;
}

TEST_P(zero_alloc, echo_of_10000_datagrams_allocates_nothing) {
  buf::buffer_pool cpool({}), spool({});
  std::unique_ptr<sim::sim_network> net;
  auto make = [&](buf::buffer_pool& pool) -> std::unique_ptr<backend> {
    if (GetParam() == "io_uring") return std::make_unique<uring_backend>(pool);
    if (GetParam() == "epoll") return std::make_unique<epoll_backend>(pool);
    if (!net) net = std::make_unique<sim::sim_network>();
    return net->make_endpoint(pool);
  };
  if (GetParam() == "io_uring" && !uring_backend::probe().ok()) GTEST_SKIP() << "no io_uring";
  auto client = make(cpool), server = make(spool);
  socket_options o;
  o.bind = inet_address::v4({127, 0, 0, 1}, 0);
  ASSERT_TRUE(client->open(o).ok());
  ASSERT_TRUE(server->open(o).ok());
  const inet_address to = server->local_address();
  rx_datagram rx[64];
  constexpr std::size_t window = 32;
  for (int i = 0; i < 50; ++i) round(*client, *server, cpool, to, window, rx, 64);  // warm-up

  // The counter itself works.
  ztkit::testing::allocation_scope probe;
  delete new int(1);
  probe.stop();
  ASSERT_EQ(probe.count(), 1u);

  std::size_t total = 0;
  ztkit::testing::allocation_scope echo;
  while (total < 10000) {
    const std::size_t got = round(*client, *server, cpool, to, window, rx, 64);
    if (got == 0) break;
    total += got;
  }
  echo.stop();
  EXPECT_GE(total, 10000u);
  EXPECT_EQ(echo.count(), 0u) << "heap allocations while echoing " << total << " datagrams";
}

INSTANTIATE_TEST_SUITE_P(backends, zero_alloc, ::testing::Values("io_uring", "epoll", "sim"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace ztkit::io
