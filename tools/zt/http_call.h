// `zt call URL`: one HTTP/1.1 request over a ztkit TCP stream, the response printed like curl
// (the body on stdout; with `include_head`, the status line and fields first, like curl -i).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "tools/zt/http_message.h"
#include "ztkit/tcp.h"

namespace ztkit::tools {

struct http_call_result {
  int exit_code = 0;    // 0: a 2xx answer; 22: another status (curl -f's code); 1: failed
  std::string error;    // the one-line reason when exit_code != 0
  int status = 0;       // the final response's status (0 if none arrived)
};

// Sends `req` on `stream` and reads the response (each read waits up to `timeout`), writing the
// body to `out` as it arrives.
http_call_result http_call(TcpStream& stream, const http::request& req, bool include_head,
                           std::chrono::milliseconds timeout, std::FILE* out);

}  // namespace ztkit::tools
