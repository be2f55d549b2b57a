#include "tools/ztperf/perf.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace ztperf {

namespace {

using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint32_t kHeaderMagic = 0x5a505046;  // "ZPPF": a data connection's header
constexpr std::uint32_t kUdpData = 0x5a505544;      // "ZPUD"
constexpr std::uint32_t kUdpFin = 0x5a505546;       // "ZPUF": the sender is done (seq = count)
constexpr int kMaxIdle = 100'000;  // --idle: connections held open during a test
constexpr std::size_t kUdpHeader = 20;              // seq u64, send time ns u64, magic u32
enum Role : std::uint32_t { kClientSends = 0, kServerSends = 1, kEcho = 2, kIdle = 3 };

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}
double secs(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
millis until(clock_type::time_point deadline) {
  return std::max(millis(0), std::chrono::duration_cast<millis>(deadline - clock_type::now()));
}
std::uint64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}
double mbps(double bytes, double seconds) { return seconds > 0 ? bytes * 8 / seconds / 1e6 : 0; }

void put32(std::byte* p, std::uint32_t v) { std::memcpy(p, &v, 4); }
void put64(std::byte* p, std::uint64_t v) { std::memcpy(p, &v, 8); }
std::uint32_t get32(const std::byte* p) { std::uint32_t v; std::memcpy(&v, p, 4); return v; }
std::uint64_t get64(const std::byte* p) { std::uint64_t v; std::memcpy(&v, p, 8); return v; }

// ---- control messages: one JSON object per line ----

Expected<void> send_msg(Stream& s, const json& j) {
  const std::string line = j.dump() + "\n";
  return s.write_all(std::as_bytes(std::span(line.data(), line.size())), 10s);
}

class LineReader {
 public:
  Expected<json> next(Stream& s, millis timeout) {
    const auto deadline = clock_type::now() + timeout;
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("type"))
          return Error(Errc::invalid_argument, "malformed control message");
        return j;
      }
      if (buf_.size() > 1 << 20) return Error(Errc::invalid_argument, "control message too long");
      std::array<std::byte, 4096> b;
      auto n = s.read(b, until(deadline));
      if (!n) return n.error();
      if (*n == 0) return Error(Errc::closed, "the peer closed the control connection");
      buf_.append(reinterpret_cast<const char*>(b.data()), *n);
    }
  }

 private:
  std::string buf_;
};

Expected<json> expect_msg(LineReader& r, Stream& s, const char* type, millis timeout) {
  auto m = r.next(s, timeout);
  if (!m) return m;
  if ((*m)["type"] == "error")
    return Error(Errc::internal, "server: " + m->value("message", std::string("error")));
  if ((*m)["type"] != type)
    return Error(Errc::invalid_argument, fmt::format("expected a '{}' message", type));
  return m;
}

json params_json(const TestParams& p) {
  return {{"kind", p.kind},         {"reverse", p.reverse}, {"bidir", p.bidir},
          {"seconds", p.seconds},   {"parallel", p.parallel}, {"length", p.length},
          {"rate_bps", p.rate_bps}, {"count", p.count}, {"idle", p.idle}};
}

Expected<TestParams> params_from(const json& j) {
  try {
    TestParams p;
    p.kind = j.at("kind").get<std::string>();
    p.reverse = j.at("reverse").get<bool>();
    p.bidir = j.at("bidir").get<bool>();
    p.seconds = j.at("seconds").get<int>();
    p.parallel = j.at("parallel").get<int>();
    p.length = j.at("length").get<std::size_t>();
    p.rate_bps = j.at("rate_bps").get<std::uint64_t>();
    p.count = j.at("count").get<int>();
    p.idle = j.value("idle", 0);  // absent from older clients
    if (p.kind != "tcp" && p.kind != "udp" && p.kind != "latency")
      return Error(Errc::invalid_argument, "unknown test kind " + p.kind);
    if (p.seconds < 1 || p.seconds > 86400 || p.parallel < 1 || p.parallel > 128 ||
        p.length < 1 || p.length > (16u << 20) || p.count < 0 || p.count > 100'000'000 ||
        p.idle < 0 || p.idle > kMaxIdle ||
        (p.kind == "udp" && (p.length < kUdpHeader || p.length > 65507)))
      return Error(Errc::invalid_argument, "test parameters out of range");
    return p;
  } catch (const json::exception& e) {
    return Error(Errc::invalid_argument, std::string("bad test parameters: ") + e.what());
  }
}

// ---- workloads ----

// One data connection (or UDP flow) of a test, from one side's point of view.
struct Flow {
  std::unique_ptr<Stream> stream;
  std::uint32_t index = 0;
  std::uint32_t role = kClientSends;
  bool sends = false;  // this side sends on it
  std::atomic<std::uint64_t> bytes{0};
  double seconds = 0;
  std::string error;
  // UDP
  std::uint64_t datagrams = 0;  // sent, or received
  std::uint64_t out_of_order = 0;
  double jitter_ms = 0;
  bool fin = false;
};

// Payload bytes as iperf3 sends them: random, so that nothing on the way (ZeroTier compresses
// every FRAME with LZ4 when that makes it shorter, as 1.14 does) makes the figures look better
// than real traffic would. A constant fill compresses ~100:1 and skipped fragmentation.
std::vector<std::byte> random_payload(std::size_t len) {
  std::vector<std::byte> buf(len);
  std::mt19937_64 rng(std::random_device{}());
  for (auto& b : buf) b = static_cast<std::byte>(rng() >> 56);
  return buf;
}

void tcp_send(Flow& f, std::size_t len, clock_type::time_point t0, clock_type::time_point end) {
  const std::vector<std::byte> buf = random_payload(len);
  while (clock_type::now() < end) {
    auto w = f.stream->write_all(buf, 60s);
    if (!w) {
      f.error = "write: " + w.error().message;
      break;
    }
    f.bytes.fetch_add(len, std::memory_order_relaxed);
  }
  f.seconds = secs(t0, clock_type::now());
  f.stream->shutdown_write();
}

void tcp_recv(Flow& f, std::size_t len, clock_type::time_point t0, clock_type::time_point guard) {
  std::vector<std::byte> buf(std::max<std::size_t>(len, 64 * 1024));
  for (;;) {
    auto n = f.stream->read(buf, until(guard));
    if (!n) {
      f.error = "read: " + n.error().message;
      break;
    }
    if (*n == 0) break;
    f.bytes.fetch_add(*n, std::memory_order_relaxed);
  }
  f.seconds = secs(t0, clock_type::now());
}

void udp_send(Flow& f, Datagram& d, const SocketAddress& to, std::size_t len, std::uint64_t rate_bps,
              clock_type::time_point t0, clock_type::time_point end) {
  std::vector<std::byte> buf = random_payload(len);
  const double bytes_per_s = rate_bps / 8.0;
  std::uint64_t sent_bytes = 0;
  auto send_one = [&](clock_type::time_point give_up) -> bool {
    for (;;) {
      auto s = d.send_to(buf, to);
      if (s) return true;
      if (!s.error().is(Errc::would_block)) {
        f.error = "send: " + s.error().message;
        return false;
      }
      if (clock_type::now() >= give_up) return false;
      std::this_thread::yield();  // the send queue is full: let it drain
    }
  };
  for (;;) {
    const auto now = clock_type::now();
    if (now >= end) break;
    if (rate_bps != 0) {
      const double allowed = bytes_per_s * secs(t0, now);
      if (sent_bytes + len > allowed) {
        const double wait = (sent_bytes + len - allowed) / bytes_per_s;
        std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait, 0.01)));
        continue;
      }
    }
    put64(buf.data(), f.datagrams);
    put64(buf.data() + 8, now_ns());
    put32(buf.data() + 16, kUdpData);
    if (!send_one(end + 1s)) {
      if (!f.error.empty()) break;
      continue;
    }
    ++f.datagrams;
    sent_bytes += len;
    f.bytes.fetch_add(len, std::memory_order_relaxed);
  }
  f.seconds = secs(t0, clock_type::now());
  for (int i = 0; i < 5; ++i) {  // a few FINs: one of them gets through
    put64(buf.data(), f.datagrams);
    put64(buf.data() + 8, now_ns());
    put32(buf.data() + 16, kUdpFin);
    (void)send_one(clock_type::now() + 100ms);
    std::this_thread::sleep_for(2ms);
  }
}

void udp_recv(Flow& f, Datagram& d, clock_type::time_point t0, clock_type::time_point guard) {
  std::vector<std::byte> buf(65536);
  std::uint64_t next = 0;
  bool have_transit = false;
  double prev_transit = 0;
  auto last = t0;
  while (clock_type::now() < guard) {
    auto n = d.recv_from(buf, nullptr, std::min(until(guard), millis(100)));
    if (!n) {
      if (n.error().is(Errc::timed_out) || n.error().is(Errc::would_block)) continue;
      f.error = "receive: " + n.error().message;
      break;
    }
    if (*n < kUdpHeader) continue;
    const std::uint64_t seq = get64(buf.data());
    const std::uint64_t sent_ns = get64(buf.data() + 8);
    const std::uint32_t magic = get32(buf.data() + 16);
    if (magic == kUdpFin) {
      f.fin = true;
      break;
    }
    if (magic != kUdpData) continue;
    const std::uint64_t arrival = now_ns();
    last = clock_type::now();
    ++f.datagrams;
    f.bytes.fetch_add(std::min<std::size_t>(*n, buf.size()), std::memory_order_relaxed);
    if (seq < next) ++f.out_of_order;
    else next = seq + 1;
    // RFC 3550 6.4.1: J += (|D(i-1,i)| - J) / 16, D from the transit times.
    const double transit = (static_cast<double>(arrival) - static_cast<double>(sent_ns)) / 1e6;
    if (have_transit) f.jitter_ms += (std::fabs(transit - prev_transit) - f.jitter_ms) / 16.0;
    prev_transit = transit;
    have_transit = true;
  }
  f.seconds = secs(t0, last);
}

Expected<void> read_exact(Stream& s, std::span<std::byte> b, millis timeout) {
  std::size_t got = 0;
  while (got < b.size()) {
    auto n = s.read(b.subspan(got), timeout);
    if (!n) return n.error();
    if (*n == 0) return Error(Errc::closed, "the peer closed the connection");
    got += *n;
  }
  return {};
}

json stream_json(const Flow& f, const char* side) {
  json j = {{"index", f.index},
            {"role", f.role == kEcho ? "echo" : (f.role == kClientSends ? "c2s" : "s2c")},
            {"side", side},
            {"sends", f.sends},
            {"bytes", f.bytes.load()},
            {"seconds", f.seconds}};
  if (!f.error.empty()) j["error"] = f.error;
  if (f.stream && f.sends) {
    const auto st = f.stream->stats();
    j["retransmits"] = st.retransmits;
    j["srtt_ms"] = st.srtt_ms;
    j["cwnd"] = st.cwnd;
    j["mss"] = st.mss;
  }
  return j;
}

json udp_json(const Flow& f, const Datagram& d) {
  json j = {{"role", f.role == kClientSends ? "c2s" : "s2c"},
            {"sends", f.sends},
            {"bytes", f.bytes.load()},
            {"seconds", f.seconds},
            {"datagrams", f.datagrams}};
  if (f.sends) {
    j["send_errors"] = d.send_errors();
  } else {
    j["out_of_order"] = f.out_of_order;
    j["jitter_ms"] = f.jitter_ms;
    j["fin"] = f.fin;
    j["receive_drops"] = d.receive_drops();
  }
  if (!f.error.empty()) j["error"] = f.error;
  return j;
}

// Starts the workload threads of one side. Every flow's thread is pushed into `threads`.
void start_flows(std::vector<std::unique_ptr<Flow>>& flows, std::vector<std::thread>& threads,
                 const TestParams& p, Datagram* udp, const SocketAddress& udp_peer,
                 clock_type::time_point t0) {
  const auto end = t0 + std::chrono::seconds(p.seconds);
  const auto guard = end + std::chrono::seconds(p.kind == "udp" ? 3 : 30);
  for (auto& fp : flows) {
    Flow* f = fp.get();
    if (p.kind == "udp") {
      if (f->sends)
        threads.emplace_back([=, &p] { udp_send(*f, *udp, udp_peer, p.length, p.rate_bps, t0, end); });
      else
        threads.emplace_back([=] { udp_recv(*f, *udp, t0, guard); });
    } else if (f->sends) {
      threads.emplace_back([=, &p] { tcp_send(*f, p.length, t0, end); });
    } else {
      threads.emplace_back([=, &p] { tcp_recv(*f, p.length, t0, guard); });
    }
  }
}

// ---- latency results ----

json latency_json(std::vector<double> us, std::size_t length) {
  std::sort(us.begin(), us.end());
  auto pct = [&](double q) {
    if (us.empty()) return 0.0;
    const auto i = static_cast<std::size_t>(std::ceil(q * us.size()));
    return us[std::min(us.size() - 1, i == 0 ? 0 : i - 1)];
  };
  double sum = 0;
  for (double v : us) sum += v;
  json hist = json::array();
  if (!us.empty()) {
    // Power-of-two buckets in microseconds, from the minimum's to the maximum's.
    double lo = 1;
    while (lo * 2 <= us.front()) lo *= 2;
    std::size_t i = 0;
    while (i < us.size()) {
      std::uint64_t c = 0;
      while (i < us.size() && us[i] < lo * 2) ++c, ++i;
      hist.push_back({{"lo_us", lo}, {"hi_us", lo * 2}, {"count", c}});
      lo *= 2;
    }
  }
  return {{"count", us.size()},
          {"length", length},
          {"min_us", us.empty() ? 0 : us.front()},
          {"mean_us", us.empty() ? 0 : sum / us.size()},
          {"p50_us", pct(0.50)},
          {"p90_us", pct(0.90)},
          {"p99_us", pct(0.99)},
          {"p999_us", pct(0.999)},
          {"max_us", us.empty() ? 0 : us.back()},
          {"histogram", hist}};
}

// ---- merging both sides' results ----

json merge(const TestParams& p, const json& client, const json& server, const char* transport,
           const SocketAddress& srv, const json& intervals, const json& latency, bool same_process) {
  json r = {{"version", 1},
            {"transport", transport},
            {"server", srv.to_string()},
            {"test", params_json(p)},
            {"intervals", intervals}};
  double bits = 0;
  auto dir_name = [](const std::string& role) {
    return role == "c2s" ? "client_to_server" : "server_to_client";
  };
  if (p.kind == "tcp") {
    json tcp = json::object();
    for (const char* role : {"c2s", "s2c"}) {
      json d = {{"bytes", 0}, {"seconds", 0.0}, {"retransmits", 0}, {"streams", json::array()}};
      bool any = false;
      std::uint64_t bytes = 0, retr = 0;
      double seconds = 0;
      // The receiver counts the goodput; the sender's TCP counts retransmits.
      const json& rx = role == std::string("c2s") ? server : client;
      const json& tx = role == std::string("c2s") ? client : server;
      for (const auto& s : rx.at("streams")) {
        if (s.at("role") != role || s.at("sends").get<bool>()) continue;
        any = true;
        json e = {{"index", s.at("index")}, {"bytes", s.at("bytes")}, {"seconds", s.at("seconds")},
                  {"mbps", mbps(s.at("bytes").get<double>(), s.at("seconds").get<double>())}};
        for (const auto& t : tx.at("streams"))
          if (t.at("role") == role && t.at("index") == s.at("index"))
            for (const char* k : {"retransmits", "srtt_ms", "cwnd", "mss", "error"})
              if (t.contains(k)) e[k] = t[k];
        if (s.contains("error")) e["error"] = s["error"];
        bytes += s.at("bytes").get<std::uint64_t>();
        seconds = std::max(seconds, s.at("seconds").get<double>());
        retr += e.value("retransmits", std::uint64_t{0});
        d["streams"].push_back(e);
      }
      if (!any) continue;
      d["bytes"] = bytes;
      d["seconds"] = seconds;
      d["mbps"] = mbps(bytes, seconds);
      d["retransmits"] = retr;
      bits += bytes * 8.0;
      tcp[dir_name(role)] = d;
    }
    r["tcp"] = tcp;
  } else if (p.kind == "udp") {
    json udp = json::object();
    for (const char* role : {"c2s", "s2c"}) {
      const json& rx = role == std::string("c2s") ? server : client;
      const json& tx = role == std::string("c2s") ? client : server;
      const json* in = nullptr;
      const json* out = nullptr;
      for (const auto& u : rx.at("udp"))
        if (u.at("role") == role && !u.at("sends").get<bool>()) in = &u;
      for (const auto& u : tx.at("udp"))
        if (u.at("role") == role && u.at("sends").get<bool>()) out = &u;
      if (in == nullptr || out == nullptr) continue;
      const auto sent = out->at("datagrams").get<std::uint64_t>();
      const auto got = in->at("datagrams").get<std::uint64_t>();
      const std::uint64_t lost = sent > got ? sent - got : 0;
      const auto bytes = in->at("bytes").get<std::uint64_t>();
      const double seconds = in->at("seconds").get<double>();
      json d = {{"datagrams_sent", sent},
                {"datagrams_received", got},
                {"lost", lost},
                {"loss_pct", sent ? 100.0 * lost / sent : 0.0},
                {"out_of_order", in->at("out_of_order")},
                {"jitter_ms", in->at("jitter_ms")},
                {"bytes", bytes},
                {"seconds", seconds},
                {"mbps", mbps(bytes, seconds)},
                {"sent_mbps", mbps(out->at("bytes").get<double>(), out->at("seconds").get<double>())},
                {"send_errors", out->at("send_errors")},
                {"receive_drops", in->at("receive_drops")}};
      for (const json* e : {in, out})
        if (e->contains("error")) d["error"] = e->at("error");
      bits += bytes * 8.0;
      udp[dir_name(role)] = d;
    }
    r["udp"] = udp;
  } else {
    r["latency"] = latency;
  }
  const double cs = client.at("cpu_s").get<double>();
  const double ss = server.at("cpu_s").get<double>();
  const double total = same_process ? cs : cs + ss;
  r["cpu"] = {{"client_s", cs},
              {"server_s", ss},
              {"same_process", same_process},
              {"s_per_gbit", bits > 0 ? total / (bits / 1e9) : 0.0}};
  return r;
}

// ---- the server's side of one test ----

Expected<std::string> serve_test(Transport& t, Listener& listener, std::unique_ptr<Stream> ctrl) {
  LineReader rd;
  auto pm = rd.next(*ctrl, 10s);
  if (!pm) return pm.error();
  if ((*pm)["type"] != "params") return Error(Errc::invalid_argument, "expected test parameters");
  auto p = params_from(*pm);
  if (!p) {
    (void)send_msg(*ctrl, {{"type", "error"}, {"message", p.error().message}});
    return p.error();
  }
  const auto cookie = pm->value("cookie", std::uint32_t{0});
  std::unique_ptr<Datagram> udp;
  SocketAddress udp_peer;
  if (p->kind == "udp") {
    auto u = t.bind_udp(listener.port());
    if (!u) {
      (void)send_msg(*ctrl, {{"type", "error"}, {"message", u.error().message}});
      return u.error();
    }
    udp = std::move(*u);
    udp_peer = {ctrl->peer().ip, pm->value("udp_port", std::uint16_t{0})};
  }
  if (auto s = send_msg(*ctrl, {{"type", "ok"}}); !s) return s.error();

  // The data connections.
  std::vector<std::unique_ptr<Flow>> flows;
  const bool c2s = !p->reverse || p->bidir;
  const bool s2c = p->reverse || p->bidir;
  const int expected = p->kind == "latency" ? 1
                       : p->kind == "udp"   ? 0
                                            : p->parallel * ((c2s ? 1 : 0) + (s2c ? 1 : 0));
  std::vector<std::unique_ptr<Stream>> idle;  // held open, never read, until the test ends
  while (static_cast<int>(flows.size()) < expected || static_cast<int>(idle.size()) < p->idle) {
    auto s = listener.accept(15s);
    if (!s) return Error(s.error().code.value() == static_cast<int>(Errc::timed_out)
                             ? Errc::timed_out : Errc::io_error,
                         "waiting for data connections: " + s.error().message);
    std::array<std::byte, 16> h;
    if (!read_exact(**s, h, 5s)) continue;
    if (get32(h.data()) != kHeaderMagic || get32(h.data() + 4) != cookie) continue;
    if (get32(h.data() + 12) == kIdle) {
      idle.push_back(std::move(*s));
      continue;
    }
    auto f = std::make_unique<Flow>();
    f->index = get32(h.data() + 8);
    f->role = get32(h.data() + 12);
    f->sends = f->role == kServerSends;
    if (f->role == kEcho) (void)(*s)->set_nodelay(true);
    f->stream = std::move(*s);
    flows.push_back(std::move(f));
  }
  if (p->kind == "udp") {
    if (c2s) {
      auto f = std::make_unique<Flow>();
      f->role = kClientSends;
      flows.push_back(std::move(f));
    }
    if (s2c) {
      auto f = std::make_unique<Flow>();
      f->role = kServerSends;
      f->sends = true;
      flows.push_back(std::move(f));
    }
  }

  const double cpu0 = cpu_seconds();
  if (auto s = send_msg(*ctrl, {{"type", "start"}}); !s) return s.error();
  const auto t0 = clock_type::now();
  std::vector<std::thread> threads;
  if (p->kind == "latency") {
    Flow* f = flows.at(0).get();
    const TestParams& pp = *p;
    threads.emplace_back([f, &pp] {
      std::vector<std::byte> b(pp.length);
      for (int i = 0; i < pp.count; ++i) {
        if (auto r = read_exact(*f->stream, b, 30s); !r) {
          f->error = r.error().message;
          return;
        }
        if (auto w = f->stream->write_all(b, 30s); !w) {
          f->error = w.error().message;
          return;
        }
        f->bytes.fetch_add(b.size(), std::memory_order_relaxed);
      }
    });
  } else {
    start_flows(flows, threads, *p, udp.get(), udp_peer, t0);
  }
  for (auto& th : threads) th.join();

  auto done = rd.next(*ctrl, std::chrono::seconds(p->seconds) + 60s);
  if (!done) return done.error();
  json local = {{"type", "results"}, {"streams", json::array()}, {"udp", json::array()}};
  for (auto& f : flows) {
    if (p->kind == "udp") local["udp"].push_back(udp_json(*f, *udp));
    else local["streams"].push_back(stream_json(*f, "server"));
  }
  local["cpu_s"] = cpu_seconds() - cpu0;
  if (auto s = send_msg(*ctrl, local); !s) return s.error();
  // The client closes the control connection once it has the results: until then they may
  // still be on their way (a one-off server stops its node right after this).
  {
    const auto deadline = clock_type::now() + 10s;
    std::array<std::byte, 512> b;
    for (;;) {
      auto n = ctrl->read(b, until(deadline));
      if (!n || *n == 0) break;
    }
  }

  // One line for the server's log.
  std::uint64_t rx = 0, tx = 0;
  for (auto& f : flows) (f->sends ? tx : rx) += f->bytes.load();
  const double el = secs(t0, clock_type::now());
  if (p->kind == "latency")
    return fmt::format("latency test from {}: {} exchanges of {} bytes echoed{}",
                       ctrl->peer().to_string(), rx / p->length, p->length,
                       flows.at(0)->error.empty() ? "" : " (" + flows.at(0)->error + ")");
  return fmt::format("{} test from {}: {} s, received {:.1f} MiB ({:.1f} Mbit/s), sent {:.1f} MiB",
                     p->kind, ctrl->peer().to_string(), p->seconds, rx / 1048576.0,
                     mbps(rx, el), tx / 1048576.0);
}

}  // namespace

// ---- the client ----

Expected<nlohmann::json> run_client(Transport& t, const ClientSettings& cs) {
  const TestParams& p = cs.params;
  const double cpu0 = cpu_seconds();
  auto ctrl = t.connect(cs.server, 20s, true);
  if (!ctrl) return Error(ctrl.error().code.value() == static_cast<int>(Errc::timed_out)
                              ? Errc::timed_out : Errc::connection_refused,
                          fmt::format("cannot connect to the server at {}: {}",
                                      cs.server.to_string(), ctrl.error().message));
  std::unique_ptr<Datagram> udp;
  if (p.kind == "udp") {
    auto u = t.bind_udp(0);
    if (!u) return Error(Errc::io_error, "UDP socket: " + u.error().message);
    udp = std::move(*u);
  }
  const std::uint32_t cookie = std::random_device{}();
  json pm = params_json(p);
  pm["type"] = "params";
  pm["cookie"] = cookie;
  pm["udp_port"] = udp ? udp->port() : 0;
  if (auto s = send_msg(**ctrl, pm); !s) return s.error();
  LineReader rd;
  if (auto ok = expect_msg(rd, **ctrl, "ok", 15s); !ok) return ok.error();

  // Idle connections first (--idle): established, then silent until the test ends, so the test
  // measures the node with that many connections open.
  std::vector<std::unique_ptr<Stream>> idle;
  idle.reserve(static_cast<std::size_t>(p.idle));
  for (int i = 0; i < p.idle; ++i) {
    auto s = t.connect(cs.server, 20s, false);
    if (!s) return Error(Errc::io_error, fmt::format("idle connection {} of {}: {}", i + 1, p.idle,
                                                     s.error().message));
    std::array<std::byte, 16> h;
    put32(h.data(), kHeaderMagic);
    put32(h.data() + 4, cookie);
    put32(h.data() + 8, static_cast<std::uint32_t>(i));
    put32(h.data() + 12, kIdle);
    if (auto w = (*s)->write_all(h, 10s); !w) return w.error();
    idle.push_back(std::move(*s));
  }

  std::vector<std::unique_ptr<Flow>> flows;
  const bool c2s = !p.reverse || p.bidir;
  const bool s2c = p.reverse || p.bidir;
  auto open = [&](std::uint32_t role, std::uint32_t index) -> Expected<void> {
    auto s = t.connect(cs.server, 20s, role == kEcho);
    if (!s) return Error(Errc::io_error, "data connection: " + s.error().message);
    std::array<std::byte, 16> h;
    put32(h.data(), kHeaderMagic);
    put32(h.data() + 4, cookie);
    put32(h.data() + 8, index);
    put32(h.data() + 12, role);
    if (auto w = (*s)->write_all(h, 10s); !w) return w.error();
    auto f = std::make_unique<Flow>();
    f->index = index;
    f->role = role;
    f->sends = role == kClientSends;
    f->stream = std::move(*s);
    flows.push_back(std::move(f));
    return {};
  };
  if (p.kind == "latency") {
    if (auto o = open(kEcho, 0); !o) return o.error();
  } else if (p.kind == "tcp") {
    for (int i = 0; i < p.parallel; ++i) {
      if (c2s)
        if (auto o = open(kClientSends, i); !o) return o.error();
      if (s2c)
        if (auto o = open(kServerSends, i); !o) return o.error();
    }
  } else {
    if (c2s) {
      auto f = std::make_unique<Flow>();
      f->role = kClientSends;
      f->sends = true;
      flows.push_back(std::move(f));
    }
    if (s2c) {
      auto f = std::make_unique<Flow>();
      f->role = kServerSends;
      flows.push_back(std::move(f));
    }
  }
  if (auto st = expect_msg(rd, **ctrl, "start", 30s); !st) return st.error();
  const auto t0 = clock_type::now();

  std::vector<std::thread> threads;
  json latency;
  json intervals = json::array();
  if (p.kind == "latency") {
    Flow& f = *flows.at(0);
    std::vector<double> us;
    us.reserve(p.count);
    std::vector<std::byte> q(p.length, std::byte{0x11}), r(p.length);
    for (int i = 0; i < p.count; ++i) {
      const auto t = clock_type::now();
      if (auto w = f.stream->write_all(q, 30s); !w) return Error(Errc::io_error, "latency: " + w.error().message);
      if (auto rr = read_exact(*f.stream, r, 30s); !rr) return Error(Errc::io_error, "latency: " + rr.error().message);
      us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t).count());
    }
    f.seconds = secs(t0, clock_type::now());
    latency = latency_json(std::move(us), p.length);
  } else {
    start_flows(flows, threads, p, udp.get(), cs.server, t0);
    // Per-second progress until every flow is done.
    std::atomic<int> running{static_cast<int>(threads.size())};
    std::vector<std::thread> waiters;
    for (auto& th : threads)
      waiters.emplace_back([&th, &running] {
        th.join();
        running.fetch_sub(1);
      });
    std::uint64_t last_tx = 0, last_rx = 0;
    auto last_t = t0;
    if (cs.intervals)
      std::printf("[ ID] Interval            %-28s%s\n", c2s ? "Sent (client -> server)" : "",
                  s2c ? "Received (server -> client)" : "");
    for (int second = 1; second <= p.seconds && running.load() > 0; ++second) {
      const auto next = t0 + std::chrono::seconds(second);
      while (running.load() > 0 && clock_type::now() < next) std::this_thread::sleep_for(5ms);
      const auto now = clock_type::now();
      std::uint64_t tx = 0, rx = 0;
      for (auto& f : flows) (f->sends ? tx : rx) += f->bytes.load(std::memory_order_relaxed);
      const double dt = secs(last_t, now);
      if (dt < 0.05) break;
      json iv = {{"start", secs(t0, last_t)}, {"end", secs(t0, now)}};
      std::string line = fmt::format("[SUM] {:6.2f}-{:<6.2f} sec ", secs(t0, last_t), secs(t0, now));
      if (c2s) {
        iv["sent_bytes"] = tx - last_tx;
        iv["sent_mbps"] = mbps(tx - last_tx, dt);
        line += fmt::format("{:9.2f} MiB {:9.1f} Mbit/s   ", (tx - last_tx) / 1048576.0,
                            mbps(tx - last_tx, dt));
      }
      if (s2c) {
        iv["received_bytes"] = rx - last_rx;
        iv["received_mbps"] = mbps(rx - last_rx, dt);
        line += fmt::format("{:9.2f} MiB {:9.1f} Mbit/s", (rx - last_rx) / 1048576.0,
                            mbps(rx - last_rx, dt));
      }
      intervals.push_back(iv);
      if (cs.intervals) std::printf("%s\n", line.c_str());
      std::fflush(stdout);
      last_tx = tx;
      last_rx = rx;
      last_t = now;
    }
    for (auto& w : waiters) w.join();
  }
  std::fflush(stdout);

  json local = {{"type", "done"}, {"streams", json::array()}, {"udp", json::array()}};
  for (auto& f : flows)
    if (p.kind == "udp") local["udp"].push_back(udp_json(*f, *udp));
  if (auto s = send_msg(**ctrl, local); !s) return s.error();
  auto res = expect_msg(rd, **ctrl, "results", std::chrono::seconds(p.seconds) + 60s);
  if (!res) return Error(res.error().code.value() == static_cast<int>(Errc::timed_out)
                             ? Errc::timed_out : Errc::io_error,
                         "waiting for the server's results: " + res.error().message);
  // The server has everything: the senders' TCP statistics are final now.
  for (auto& f : flows)
    if (p.kind != "udp") local["streams"].push_back(stream_json(*f, "client"));
  local["cpu_s"] = cpu_seconds() - cpu0;
  // Close the control connection and wait (briefly) for the server's close: our FIN has then
  // reached it before this process may stop its node.
  (*ctrl)->shutdown_write();
  {
    const auto deadline = clock_type::now() + 3s;
    std::array<std::byte, 512> b;
    for (;;) {
      auto n = (*ctrl)->read(b, until(deadline));
      if (!n || *n == 0) break;
    }
  }
  try {
    return merge(p, local, *res, t.name(), cs.server, intervals, latency, cs.same_process);
  } catch (const json::exception& e) {
    return Error(Errc::invalid_argument, std::string("malformed results from the server: ") + e.what());
  }
}

int serve(Transport& t, Listener& listener, bool one_off, bool verbose) {
  for (;;) {
    auto c = listener.accept(millis(-1));
    if (!c) {
      std::fprintf(stderr, "ztperf: accept: %s\n", c.error().message.c_str());
      return 1;
    }
    auto r = serve_test(t, listener, std::move(*c));
    if (!r) std::fprintf(stderr, "ztperf: test failed: %s\n", r.error().message.c_str());
    else if (verbose) std::printf("ztperf server: %s\n", r->c_str());
    std::fflush(stdout);
    if (one_off) return r ? 0 : 1;
  }
}

// ---- text output ----

void print_summary(const nlohmann::json& r) {
  const auto& p = r.at("test");
  const std::string kind = p.at("kind");
  std::printf("- - - - - - - - - - - - - - - - - - - - - - - - - - - - - -\n");
  std::printf("ztperf summary: %s over %s to %s\n", kind.c_str(),
              r.at("transport").get<std::string>().c_str(), r.at("server").get<std::string>().c_str());
  auto dir_text = [](const std::string& d) {
    return d == "client_to_server" ? "client -> server" : "server -> client";
  };
  if (kind == "tcp") {
    for (const auto& [dir, d] : r.at("tcp").items()) {
      std::printf("TCP %s: %.2f MiB in %.2f s = %.1f Mbit/s goodput, %llu retransmits (%zu stream%s)\n",
                  dir_text(dir), d.at("bytes").get<double>() / 1048576.0,
                  d.at("seconds").get<double>(), d.at("mbps").get<double>(),
                  static_cast<unsigned long long>(d.at("retransmits").get<std::uint64_t>()),
                  d.at("streams").size(), d.at("streams").size() == 1 ? "" : "s");
      if (d.at("streams").size() > 1)
        for (const auto& s : d.at("streams"))
          std::printf("  stream %d: %.2f MiB, %.1f Mbit/s, %llu retransmits\n", s.at("index").get<int>(),
                      s.at("bytes").get<double>() / 1048576.0, s.at("mbps").get<double>(),
                      static_cast<unsigned long long>(s.value("retransmits", std::uint64_t{0})));
      for (const auto& s : d.at("streams"))
        if (s.contains("error"))
          std::printf("  stream %d error: %s\n", s.at("index").get<int>(),
                      s.at("error").get<std::string>().c_str());
    }
  } else if (kind == "udp") {
    for (const auto& [dir, d] : r.at("udp").items()) {
      std::printf("UDP %s: %llu of %llu datagrams received, %llu lost (%.3f%% loss), jitter %.3f ms, "
                  "%.1f Mbit/s goodput (sent at %.1f Mbit/s), %llu out of order\n",
                  dir_text(dir),
                  static_cast<unsigned long long>(d.at("datagrams_received").get<std::uint64_t>()),
                  static_cast<unsigned long long>(d.at("datagrams_sent").get<std::uint64_t>()),
                  static_cast<unsigned long long>(d.at("lost").get<std::uint64_t>()),
                  d.at("loss_pct").get<double>(), d.at("jitter_ms").get<double>(),
                  d.at("mbps").get<double>(), d.at("sent_mbps").get<double>(),
                  static_cast<unsigned long long>(d.at("out_of_order").get<std::uint64_t>()));
      if (d.contains("error")) std::printf("  error: %s\n", d.at("error").get<std::string>().c_str());
    }
  } else {
    const auto& l = r.at("latency");
    std::printf("TCP request/response: %zu exchanges of %zu bytes (NODELAY)\n",
                l.at("count").get<std::size_t>(), l.at("length").get<std::size_t>());
    std::uint64_t most = 1;
    for (const auto& b : l.at("histogram")) most = std::max(most, b.at("count").get<std::uint64_t>());
    for (const auto& b : l.at("histogram")) {
      const auto c = b.at("count").get<std::uint64_t>();
      std::printf("  %7.0f - %7.0f us %8llu |%s\n", b.at("lo_us").get<double>(),
                  b.at("hi_us").get<double>(), static_cast<unsigned long long>(c),
                  std::string(static_cast<std::size_t>(40.0 * c / most), '#').c_str());
    }
    std::printf("latency (us): min %.1f  mean %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
                l.at("min_us").get<double>(), l.at("mean_us").get<double>(),
                l.at("p50_us").get<double>(), l.at("p90_us").get<double>(),
                l.at("p99_us").get<double>(), l.at("p999_us").get<double>(),
                l.at("max_us").get<double>());
  }
  const auto& c = r.at("cpu");
  if (c.at("same_process").get<bool>())
    std::printf("CPU: %.2f s (client and server in one process)", c.at("client_s").get<double>());
  else
    std::printf("CPU: client %.2f s, server %.2f s", c.at("client_s").get<double>(),
                c.at("server_s").get<double>());
  if (kind != "latency") std::printf(", %.3f CPU-s per Gbit", c.at("s_per_gbit").get<double>());
  std::printf("\n");
}

}  // namespace ztperf
