// to_prometheus (api/metrics_text.cc) on plain Metrics values: the text parses as exposition
// format 0.0.4 (tests/api/prometheus_parse.h), every family has HELP and TYPE, the values land
// in the right series, label values are escaped, and the histogram is cumulative.
#include <cmath>

#include <gtest/gtest.h>

#include "tests/api/prometheus_parse.h"
#include "ztkit/metrics.h"

namespace ztkit {
namespace {

Metrics sample_metrics() {
  Metrics m;
  m.address = "89e92ceee5";
  m.online = true;
  m.received[0][1] = {3, 600};     // HELLO, direct
  m.received[1][6] = {5, 1000};    // FRAME, relayed
  m.sent[0][8] = {7, 280};         // ECHO, direct
  m.sent[0][0x1f] = {2, 64};       // an unassigned verb value
  m.sent[0][0x11] = {1, 32};       // another
  m.datagrams_received = 11;
  m.datagrams_sent = 12;
  m.drops = {{"node", "bad_mac", 4}, {"ip", "not_for_us", 0}};
  m.peers = 3;
  m.roots = 1;
  m.paths_direct = 2;
  m.peers_relayed = 1;
  m.networks = 1;
  m.tcp.connections = 2;
  m.tcp.bytes_sent = 65536;
  m.tcp.retransmits = 9;
  m.peer_rtt_seconds.upper_bounds = {0.001, 0.01, 0.1};
  m.peer_rtt_seconds.buckets = {4, 0, 2, 1};
  m.peer_rtt_seconds.count = 7;
  m.peer_rtt_seconds.sum = 0.5;
  m.shards = {{0, 1.25, 8.75, 1000}};
  return m;
}

TEST(MetricsText, ParsesAsExpositionFormatWithHelpAndTypeForEveryFamily) {
  const std::string text = to_prometheus(sample_metrics());
  auto e = test::parse_exposition(text);
  ASSERT_TRUE(e.ok()) << test::join_errors(e) << text;
  for (const auto& [fam, type] : e.types) {
    EXPECT_EQ(fam.rfind("ztkit_", 0), 0u) << fam;
    EXPECT_TRUE(e.help.count(fam)) << fam;
  }
  EXPECT_EQ(e.types.at("ztkit_received_packets_total"), "counter");
  EXPECT_EQ(e.types.at("ztkit_tcp_connections"), "gauge");
  EXPECT_EQ(e.types.at("ztkit_peer_rtt_seconds"), "histogram");
}

TEST(MetricsText, ValuesLandInTheirSeries) {
  auto e = test::parse_exposition(to_prometheus(sample_metrics()));
  ASSERT_TRUE(e.ok()) << test::join_errors(e);
  EXPECT_EQ(e.get("ztkit_info", {{"address", "89e92ceee5"}}), 1);
  EXPECT_EQ(e.get("ztkit_online"), 1);
  EXPECT_EQ(e.get("ztkit_received_packets_total", {{"verb", "HELLO"}, {"path", "direct"}}), 3);
  EXPECT_EQ(e.get("ztkit_received_bytes_total", {{"verb", "HELLO"}, {"path", "direct"}}), 600);
  EXPECT_EQ(e.get("ztkit_received_packets_total", {{"verb", "FRAME"}, {"path", "relayed"}}), 5);
  EXPECT_EQ(e.get("ztkit_received_packets_total", {{"verb", "FRAME"}, {"path", "direct"}}), 0);
  EXPECT_EQ(e.get("ztkit_sent_packets_total", {{"verb", "ECHO"}, {"path", "direct"}}), 7);
  EXPECT_EQ(e.get("ztkit_sent_bytes_total", {{"verb", "ECHO"}, {"path", "direct"}}), 280);
  // Unassigned verb values are summed into one series.
  EXPECT_EQ(e.get("ztkit_sent_packets_total", {{"verb", "UNKNOWN"}, {"path", "direct"}}), 3);
  EXPECT_EQ(e.get("ztkit_sent_bytes_total", {{"verb", "UNKNOWN"}, {"path", "direct"}}), 96);
  // Every assigned verb has its series, zero or not (rate() needs them from the start).
  EXPECT_EQ(e.get("ztkit_sent_packets_total", {{"verb", "MULTICAST_GATHER"}, {"path", "relayed"}}), 0);
  EXPECT_EQ(e.get("ztkit_udp_received_datagrams_total"), 11);
  EXPECT_EQ(e.get("ztkit_udp_sent_datagrams_total"), 12);
  EXPECT_EQ(e.get("ztkit_drops_total", {{"layer", "node"}, {"reason", "bad_mac"}}), 4);
  EXPECT_EQ(e.get("ztkit_drops_total", {{"layer", "ip"}, {"reason", "not_for_us"}}), 0);
  EXPECT_EQ(e.get("ztkit_peers"), 3);
  EXPECT_EQ(e.get("ztkit_roots"), 1);
  EXPECT_EQ(e.get("ztkit_paths", {{"path", "direct"}}), 2);
  EXPECT_EQ(e.get("ztkit_paths", {{"path", "relayed"}}), 1);
  EXPECT_EQ(e.get("ztkit_networks"), 1);
  EXPECT_EQ(e.get("ztkit_tcp_connections"), 2);
  EXPECT_EQ(e.get("ztkit_tcp_sent_bytes_total"), 65536);
  EXPECT_EQ(e.get("ztkit_tcp_retransmitted_segments_total"), 9);
  EXPECT_EQ(e.get("ztkit_shard_busy_seconds_total", {{"shard", "0"}}), 1.25);
  EXPECT_EQ(e.get("ztkit_shard_idle_seconds_total", {{"shard", "0"}}), 8.75);
  EXPECT_EQ(e.get("ztkit_shard_loop_iterations_total", {{"shard", "0"}}), 1000);
}

TEST(MetricsText, HistogramBucketsAreCumulativeAndEndInInf) {
  auto e = test::parse_exposition(to_prometheus(sample_metrics()));
  ASSERT_TRUE(e.ok()) << test::join_errors(e);
  EXPECT_EQ(e.get("ztkit_peer_rtt_seconds_bucket", {{"le", "0.001"}}), 4);
  EXPECT_EQ(e.get("ztkit_peer_rtt_seconds_bucket", {{"le", "0.01"}}), 4);
  EXPECT_EQ(e.get("ztkit_peer_rtt_seconds_bucket", {{"le", "0.1"}}), 6);
  EXPECT_EQ(e.get("ztkit_peer_rtt_seconds_bucket", {{"le", "+Inf"}}), 7);
  EXPECT_EQ(e.get("ztkit_peer_rtt_seconds_count"), 7);
  EXPECT_EQ(e.get("ztkit_peer_rtt_seconds_sum"), 0.5);
}

TEST(MetricsText, LabelValuesAreEscaped) {
  Metrics m;
  m.address = "a\"b\\c\nd";
  m.drops = {{"node", "we\"ird", 1}};
  const std::string text = to_prometheus(m);
  EXPECT_NE(text.find(R"(ztkit_info{address="a\"b\\c\nd"} 1)"), std::string::npos) << text;
  auto e = test::parse_exposition(text);
  ASSERT_TRUE(e.ok()) << test::join_errors(e) << text;
  EXPECT_EQ(e.get("ztkit_info", {{"address", "a\"b\\c\nd"}}), 1);
  EXPECT_EQ(e.get("ztkit_drops_total", {{"layer", "node"}, {"reason", "we\"ird"}}), 1);
}

TEST(MetricsText, EmptyMetricsStillParse) {
  // No shards, no drops, an empty histogram: families with no series are still valid text.
  auto e = test::parse_exposition(to_prometheus(Metrics{}));
  ASSERT_TRUE(e.ok()) << test::join_errors(e);
  EXPECT_EQ(e.get("ztkit_peer_rtt_seconds_count"), 0);
  EXPECT_EQ(e.get("ztkit_peer_rtt_seconds_bucket", {{"le", "+Inf"}}), 0);
}

// The parser itself rejects what it should (so that the tests above mean something).
TEST(PrometheusParse, RejectsBrokenText) {
  auto bad = [](std::string_view t) { return !test::parse_exposition(t).ok(); };
  EXPECT_TRUE(bad("x_total 1\n"));                                       // no TYPE
  EXPECT_TRUE(bad("# TYPE x counter\nx 1\n"));                           // counter not *_total
  EXPECT_TRUE(bad("# TYPE x_total counter\nx_total one\n"));             // value
  EXPECT_TRUE(bad("# TYPE x_total counter\nx_total{a=\"1} 1\n"));        // unterminated label
  EXPECT_TRUE(bad("# TYPE x_total counter\nx_total{1a=\"1\"} 1\n"));     // label name
  EXPECT_TRUE(bad("# TYPE x_total counter\nx_total{a=\"\\q\"} 1\n"));    // escape
  EXPECT_TRUE(bad("# TYPE 9x gauge\n9x 1\n"));                           // metric name
  EXPECT_TRUE(bad("# TYPE x gauge\nx 1\nx 2\n"));                        // series twice
  EXPECT_TRUE(bad("# TYPE x gauge\n# TYPE y gauge\nx 1\ny 1\nx{a=\"b\"} 1\n"));  // not contiguous
  EXPECT_TRUE(bad("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                  "h_sum 1\nh_count 1\n"));                              // not cumulative
  EXPECT_TRUE(bad("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"));  // count
  EXPECT_TRUE(bad("# TYPE x gauge\nx 1"));                               // no final newline
  EXPECT_FALSE(bad("# HELP x a \\\\ b\n# TYPE x gauge\nx{a=\"1\",b=\"2\"} -Inf 123\n# free comment\n"));
}

}  // namespace
}  // namespace ztkit
