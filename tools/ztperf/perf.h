// ztperf's test logic: the control protocol between client and server and the workloads
// (TCP bulk, UDP paced with loss/jitter, TCP request/response latency). Results are JSON
// (the schema is documented at the top of main.cc).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tools/ztperf/transport.h"

namespace ztperf {

struct TestParams {
  std::string kind = "tcp";  // "tcp", "udp" or "latency"
  bool reverse = false;      // the server sends
  bool bidir = false;        // both send
  int seconds = 10;
  int parallel = 1;          // TCP streams per direction
  std::size_t length = 0;    // bytes per write / datagram / request
  std::uint64_t rate_bps = 0;  // UDP target bitrate (0: unlimited)
  int count = 0;             // latency exchanges
  int idle = 0;              // idle TCP connections held open during the test (scale check)
};

struct ClientSettings {
  TestParams params;
  SocketAddress server;
  bool intervals = true;      // print per-second lines on stdout
  bool same_process = false;  // the server runs in this process (--local): one CPU figure
};

// Runs one test against the server: the merged results, or what went wrong.
Expected<nlohmann::json> run_client(Transport& t, const ClientSettings& s);

// Serves tests on `listener` (one at a time); one_off: return after the first. `verbose`
// prints a line or two per test on stdout. Returns 0, or 1 if a one-off test failed.
int serve(Transport& t, Listener& listener, bool one_off, bool verbose);

// Prints the human summary of run_client's results.
void print_summary(const nlohmann::json& r);

}  // namespace ztperf
