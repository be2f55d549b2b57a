// zerotier-one 1.14's controller HTTP API (EmbeddedNetworkController::configureHTTPControlPlane)
// for the embedded controller, with cpp-httplib:
//
//   GET    /controller                                 {controller: true, apiVersion: 4, clock, databaseReady}
//   GET    /controller/network                         ["<nwid>", ...]
//   POST   /controller/network                         create with a random suffix (also PUT)
//   POST   /controller/network/<our address>______     create with a random suffix (also PUT)
//   GET    /controller/network/<nwid>                  the network object
//   POST   /controller/network/<nwid>                  create or update (merge; also PUT)
//   DELETE /controller/network/<nwid>                  delete; answers the deleted object
//   GET    /controller/network/<nwid>/member           {"<address>": revision, ...}
//   GET    /controller/network/<nwid>/member/<addr>    the member object
//   POST   /controller/network/<nwid>/member/<addr>    create or update (merge; also PUT)
//   DELETE /controller/network/<nwid>/member/<addr>    delete; answers the deleted object
//
// Every request needs the token of <state>/authtoken.secret in `X-ZT1-Auth` (or
// `Authorization: Bearer`), else 401. Errors answer {"error": "..."}: 400 for a malformed ID,
// body or field, 404 for an unknown network or member or path, 405 for a method the path does
// not take, 500 when a change could not be saved, 503 when the controller did not answer.
//
// The server listens on 127.0.0.1 only. Each request runs on the thread that owns the
// controller (node_runner::post_controller) and the HTTP thread waits for it, bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "ctrl/controller_api/controller_store.h"
#include "ctrl/network/controller.h"
#include "engine/base/result.h"

namespace ztkit::ctrl::api {

struct api_request {
  std::string method;  // GET, POST, PUT, DELETE
  std::string path;    // without the query
  std::string body;
};

struct api_response {
  int status = 200;
  nlohmann::json body;
};

// The API on plain values (no HTTP, no threads): runs `req` against `c` (on c's thread),
// writes changes through `store` when given (it must be attached to `c`, see
// controller_store::attach) and reports its write failures as 500. `random` picks new network
// ID suffixes.
api_response handle_api_request(controller& c, controller_store* store, std::int64_t now,
                                const api_request& req, const std::function<std::uint64_t()>& random);

// Reads <state>/authtoken.secret (surrounding whitespace trimmed), or creates it (0600) with
// 24 random characters of [a-z0-9] as zerotier-one does. An empty file is an error.
result<std::string> load_or_create_auth_token(const std::filesystem::path& state_dir);

// Runs `fn` on the controller's thread (node_runner::post_controller); may drop it if that
// thread is gone.
using controller_poster = std::function<void(std::function<void(controller&, std::int64_t now)>)>;

struct controller_http_options {
  int port = 0;          // 0: the kernel picks (see port())
  std::string token;     // required, non-empty
  std::chrono::milliseconds answer_timeout{5000};
  std::size_t max_body_bytes = 1 << 20;
};

class controller_http {
 public:
  // Binds 127.0.0.1:port and starts serving. `store` may be null (nothing persisted).
  static result<std::unique_ptr<controller_http>> start(controller_http_options opts,
                                                        controller_poster post,
                                                        controller_store* store);
  ~controller_http();
  controller_http(const controller_http&) = delete;
  controller_http& operator=(const controller_http&) = delete;

  int port() const { return port_; }
  // Stops listening and waits for the server thread. Idempotent.
  void stop();

 private:
  struct impl;
  explicit controller_http(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
  int port_ = 0;
};

}  // namespace ztkit::ctrl::api
