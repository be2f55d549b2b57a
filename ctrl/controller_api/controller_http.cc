// The controller HTTP API: see controller_http.h.
#include "ctrl/controller_api/controller_http.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <optional>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>

#include "ctrl/controller_api/json_codec.h"
#include "ctrl/state/atomic_file.h"

namespace ztkit::ctrl::api {

namespace {

api_response fail(int status, std::string message) {
  return api_response{status, json{{"error", std::move(message)}}};
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

// An empty body is an empty update, as in 1.14; anything else must be a JSON object.
result<json> parse_body(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return error{errc::invalid_argument, "body: not valid JSON"};
  if (!j.is_object()) return error{errc::invalid_argument, "body: must be a JSON object"};
  return j;
}

// Write failures of the store's hook during this request: the change is made (in memory) but
// not saved, which the client must hear about.
std::optional<api_response> save_failure(controller_store* store) {
  if (!store) return std::nullopt;
  auto errors = store->take_write_errors();
  if (errors.empty()) return std::nullopt;
  std::string msg = "changed but not saved: ";
  for (std::size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
  return fail(500, msg);
}

bool is_post(const std::string& m) { return m == "POST" || m == "PUT"; }

api_response method_not_allowed(const api_request& req, const char* allowed) {
  return fail(405, req.method + " is not allowed on " + req.path + " (allowed: " + allowed + ")");
}

// 1.14's createNewNetwork: a random 24-bit suffix not in use (and not 0).
std::optional<std::uint64_t> free_network_id(controller& c, const std::function<std::uint64_t()>& random) {
  const std::uint64_t prefix = c.address().value() << 24;
  for (int k = 0; k < 100000; ++k) {
    std::uint64_t nwid = prefix | (random() & 0xffffff);
    if ((nwid & 0xffffff) == 0) nwid |= 1;
    if (!c.network(nwid)) return nwid;
  }
  return std::nullopt;
}

api_response post_network(controller& c, controller_store* store, std::int64_t now,
                          std::uint64_t nwid, const std::string& body) {
  auto b = parse_body(body);
  if (!b.ok()) return fail(400, b.message());
  if (controller_network* n = c.network(nwid)) {
    controller_network_settings s = n->settings;
    if (status st = apply_network_json(*b, s); !st.ok()) return fail(400, st.message());
    // 1.14 saves (revision + 1) only when the record changed.
    if (!(s == n->settings)) {
      if (status st = c.update_network(now, nwid, std::move(s)); !st.ok()) return fail(500, st.message());
    }
  } else {
    if ((nwid >> 24) != c.address().value())
      return fail(400, "network " + nwid_string(nwid) + " is not this controller's: its ID must start with " +
                           c.address().to_string());
    controller_network_settings s = api_network_defaults();
    if (status st = apply_network_json(*b, s); !st.ok()) return fail(400, st.message());
    auto made = c.create_network(static_cast<std::uint32_t>(nwid & 0xffffff), std::move(s), now);
    if (!made.ok()) return fail(500, made.message());
  }
  if (auto f = save_failure(store)) return *f;
  return api_response{200, network_to_json(*c.network(nwid))};
}

api_response handle_member(controller& c, controller_store* store, std::int64_t now,
                           const api_request& req, std::uint64_t nwid, std::string_view addr_text) {
  controller_network* n = c.network(nwid);
  if (!n) return fail(404, "no network " + nwid_string(nwid));
  auto addr = zt_address::parse(addr_text);
  if (!addr) return fail(400, "not a 10-hex-digit member address: " + std::string(addr_text));
  if (addr->reserved()) return fail(400, "reserved address: " + addr->to_string());
  auto it = n->members.find(*addr);
  if (req.method == "GET") {
    if (it == n->members.end()) return fail(404, "no member " + addr->to_string() + " in network " + nwid_string(nwid));
    return api_response{200, member_to_json(nwid, it->second)};
  }
  if (req.method == "DELETE") {
    if (it == n->members.end()) return fail(404, "no member " + addr->to_string() + " in network " + nwid_string(nwid));
    json was = member_to_json(nwid, it->second);
    if (status st = c.delete_member(nwid, *addr); !st.ok()) return fail(500, st.message());
    if (auto f = save_failure(store)) return *f;
    return api_response{200, std::move(was)};
  }
  if (!is_post(req.method)) return method_not_allowed(req, "GET, POST, PUT, DELETE");
  auto b = parse_body(req.body);
  if (!b.ok()) return fail(400, b.message());
  auto u = member_update_from_json(*b);
  if (!u.ok()) return fail(400, u.message());
  if (status st = c.update_member(now, nwid, *addr, *u); !st.ok()) return fail(400, st.message());
  if (auto f = save_failure(store)) return *f;
  return api_response{200, member_to_json(nwid, c.network(nwid)->members.at(*addr))};
}

}  // namespace

api_response handle_api_request(controller& c, controller_store* store, std::int64_t now,
                                const api_request& req, const std::function<std::uint64_t()>& random) {
  if (store) store->take_write_errors();  // only this request's failures count
  const auto seg = split_path(req.path);
  if (seg.empty() || seg[0] != "controller") return fail(404, "no such path: " + req.path);
  if (seg.size() == 1) {
    if (req.method != "GET") return method_not_allowed(req, "GET");
    return api_response{200, json{{"controller", true},
                                  {"apiVersion", controller_api_version},
                                  {"clock", now},
                                  {"databaseReady", true}}};
  }
  if (seg[1] != "network") return fail(404, "no such path: " + req.path);
  if (seg.size() == 2) {
    if (req.method == "GET") {
      json out = json::array();
      for (const auto& [nwid, n] : c.networks()) out.push_back(nwid_string(nwid));
      return api_response{200, std::move(out)};
    }
    if (!is_post(req.method)) return method_not_allowed(req, "GET, POST, PUT");
    auto nwid = free_network_id(c, random);
    if (!nwid) return fail(503, "no free network ID");
    return post_network(c, store, now, *nwid, req.body);
  }
  const std::string_view id = seg[2];
  // 1.14's "old and busted" create: <our address>______ picks a random suffix.
  if (seg.size() == 3 && id.size() == 16 && id.substr(10) == "______") {
    if (!is_post(req.method)) return method_not_allowed(req, "POST, PUT");
    auto prefix = zt_address::parse(id.substr(0, 10));
    if (!prefix || *prefix != c.address())
      return fail(400, "network ID prefix " + std::string(id.substr(0, 10)) +
                           " is not this controller's address " + c.address().to_string());
    auto nwid = free_network_id(c, random);
    if (!nwid) return fail(503, "no free network ID");
    return post_network(c, store, now, *nwid, req.body);
  }
  auto nwid = parse_nwid(id);
  if (!nwid) return fail(400, "not a 16-hex-digit network ID: " + std::string(id));
  if (seg.size() == 3) {
    if (req.method == "GET") {
      const controller_network* n = c.network(*nwid);
      if (!n) return fail(404, "no network " + nwid_string(*nwid));
      return api_response{200, network_to_json(*n)};
    }
    if (req.method == "DELETE") {
      const controller_network* n = c.network(*nwid);
      if (!n) return fail(404, "no network " + nwid_string(*nwid));
      json was = network_to_json(*n);
      if (status st = c.delete_network(*nwid); !st.ok()) return fail(500, st.message());
      if (auto f = save_failure(store)) return *f;
      return api_response{200, std::move(was)};
    }
    if (!is_post(req.method)) return method_not_allowed(req, "GET, POST, PUT, DELETE");
    return post_network(c, store, now, *nwid, req.body);
  }
  if (seg[3] != "member") return fail(404, "no such path: " + req.path);
  if (seg.size() == 4) {
    if (req.method != "GET") return method_not_allowed(req, "GET");
    const controller_network* n = c.network(*nwid);
    if (!n) return fail(404, "no network " + nwid_string(*nwid));
    json out = json::object();
    for (const auto& [a, m] : n->members) out[a.to_string()] = m.revision;
    return api_response{200, std::move(out)};
  }
  if (seg.size() == 5) return handle_member(c, store, now, req, *nwid, seg[4]);
  return fail(404, "no such path: " + req.path);
}

result<std::string> load_or_create_auth_token(const std::filesystem::path& state_dir) {
  const auto path = state_dir / "authtoken.secret";
  auto bytes = read_file(path, 4096);
  if (bytes.ok()) {
    std::string t(bytes->begin(), bytes->end());
    const auto first = t.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return error{errc::data_loss, path.string() + ": empty token"};
    t = t.substr(first, t.find_last_not_of(" \t\r\n") - first + 1);
    return t;
  }
  if (bytes.code() != errc::not_found) return error{bytes.code(), bytes.message()};
  if (sodium_init() < 0) return error{errc::failed_precondition, "libsodium did not initialize"};
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";  // OneService's
  std::string t(24, ' ');
  for (char& ch : t) ch = alphabet[randombytes_uniform(sizeof alphabet - 1)];
  if (status st = atomic_write(path, t, 0600); !st.ok()) return error{st.code(), st.message()};
  return t;
}

// ---- the server ----------------------------------------------------------------------------

struct controller_http::impl {
  controller_http_options opts;
  controller_poster post;
  controller_store* store = nullptr;
  httplib::Server server;
  std::thread thread;
  bool stopped = false;

  bool authorized(const httplib::Request& req) const {
    std::string given = req.get_header_value("X-ZT1-Auth");
    if (given.empty()) {
      const std::string auth = req.get_header_value("Authorization");
      constexpr std::string_view bearer = "Bearer ";
      if (auth.size() > bearer.size() && std::equal(bearer.begin(), bearer.end(), auth.begin(),
                                                    [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        given = auth.substr(bearer.size());
    }
    const std::string& want = opts.token;
    if (given.size() != want.size()) return false;
    return sodium_memcmp(given.data(), want.data(), want.size()) == 0;
  }

  void serve(const httplib::Request& req, httplib::Response& res) {
    api_response out;
    if (!authorized(req)) {
      out = fail(401, "missing or wrong X-ZT1-Auth token (see authtoken.secret)");
    } else {
      auto done = std::make_shared<std::promise<api_response>>();
      auto answer = done->get_future();
      api_request r{req.method, req.path, req.body};
      controller_store* s = store;
      post([done, r = std::move(r), s](controller& c, std::int64_t now) {
        std::random_device rd;
        std::mt19937_64 rng((std::uint64_t{rd()} << 32) | rd());
        try {
          done->set_value(handle_api_request(c, s, now, r, [&rng] { return rng(); }));
        } catch (const std::exception& e) {  // e.g. bad_alloc: answer, never kill the runner
          done->set_value(fail(500, e.what()));
        }
      });
      if (answer.wait_for(opts.answer_timeout) != std::future_status::ready) {
        out = fail(503, "the controller did not answer in time");
      } else {
        try {
          out = answer.get();
        } catch (const std::future_error&) {  // dropped: the runner is gone
          out = fail(503, "the controller is not running");
        }
      }
    }
    res.status = out.status;
    res.set_content(out.body.dump() + "\n", "application/json");
  }
};

controller_http::controller_http(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

controller_http::~controller_http() { stop(); }

result<std::unique_ptr<controller_http>> controller_http::start(controller_http_options opts,
                                                                controller_poster post,
                                                                controller_store* store) {
  if (opts.token.empty()) return error{errc::invalid_argument, "the API needs a token"};
  if (opts.port < 0 || opts.port > 65535) return error{errc::invalid_argument, "API port out of range"};
  if (sodium_init() < 0) return error{errc::failed_precondition, "libsodium did not initialize"};
  auto p = std::make_unique<impl>();
  p->opts = std::move(opts);
  p->post = std::move(post);
  p->store = store;
  impl* self = p.get();
  auto& svr = p->server;
  svr.new_task_queue = [] { return new httplib::ThreadPool(4); };
  svr.set_payload_max_length(p->opts.max_body_bytes);
  auto h = [self](const httplib::Request& req, httplib::Response& res) { self->serve(req, res); };
  svr.Get(".*", h);
  svr.Post(".*", h);
  svr.Put(".*", h);
  svr.Delete(".*", h);
  svr.Patch(".*", h);
  // What httplib answers itself (body too large, bad request line): JSON as well.
  svr.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        res.set_content(json{{"error", "HTTP " + std::to_string(res.status)}}.dump() + "\n",
                        "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }));
  int port = p->opts.port;
  if (port == 0) {
    port = svr.bind_to_any_port("127.0.0.1");
    if (port <= 0) return error{errc::io_error, "cannot bind the API to 127.0.0.1"};
  } else if (!svr.bind_to_port("127.0.0.1", port)) {
    return error{errc::io_error, "cannot bind the API to 127.0.0.1:" + std::to_string(port) +
                                     " (in use?)"};
  }
  p->thread = std::thread([self] { self->server.listen_after_bind(); });
  // stop() before the loop runs would be lost: wait (bounded) until it does.
  for (int i = 0; i < 500 && !svr.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::unique_ptr<controller_http> out(new controller_http(std::move(p)));
  out->port_ = port;
  if (!out->impl_->server.is_running()) {
    out->stop();
    return error{errc::io_error, "the API server did not start"};
  }
  return out;
}

void controller_http::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace ztkit::ctrl::api
