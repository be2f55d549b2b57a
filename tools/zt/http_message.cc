// HTTP/1.1 URL, request and response parsing for `zt call URL` (see http_message.h).
#include "tools/zt/http_message.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace ztkit::tools::http {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// RFC 9110 §5.6.2 tchar.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool has_header(const std::vector<header>& hs, std::string_view name) {
  return std::any_of(hs.begin(), hs.end(), [&](const header& h) { return iequals(h.name, name); });
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

const char* to_string(parse_error e) {
  switch (e) {
    case parse_error::ok: return "ok";
    case parse_error::bad_status_line: return "malformed status line";
    case parse_error::bad_header: return "malformed header field";
    case parse_error::head_too_large: return "response head too large";
    case parse_error::too_many_headers: return "too many header fields";
    case parse_error::bad_content_length: return "invalid Content-Length";
    case parse_error::bad_chunk: return "malformed chunked encoding";
    case parse_error::body_too_large: return "response body too large";
    case parse_error::truncated: return "connection closed before the response was complete";
    case parse_error::too_many_interim: return "too many interim (1xx) responses";
  }
  return "unknown error";
}

// ---- URL and request ------------------------------------------------------------------------

std::optional<url> parse_url(std::string_view text, std::string* why) {
  const auto bad = [&](const std::string& w) -> std::optional<url> {
    if (why) *why = w;
    return std::nullopt;
  };
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) return bad("not a URL (http://HOST[:PORT]/PATH): " + std::string(text));
  const std::string_view scheme = text.substr(0, sep);
  if (iequals(scheme, "https")) return bad("https is not supported (ztkit's TCP carries no TLS; ZeroTier already encrypts): use http://");
  if (!iequals(scheme, "http")) return bad("only http:// URLs are supported: " + std::string(text));
  std::string_view rest = text.substr(sep + 3);
  const std::size_t auth_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, auth_end);
  std::string_view target = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
  if (authority.find('@') != std::string_view::npos) return bad("user names in URLs are not supported");
  url u;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the URL's host");
    u.ip = std::string(authority.substr(1, close - 1));
    u.host = std::string(authority.substr(0, close + 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("unexpected text after the IPv6 address: " + std::string(after));
      u.port_given = true;
      port_text = after.substr(1);
    }
    std::array<std::uint8_t, 16> tmp;
    if (::inet_pton(AF_INET6, u.ip.c_str(), tmp.data()) != 1)
      return bad("not an IPv6 address: " + u.ip);
  } else {
    const std::size_t colon = authority.find(':');
    u.ip = std::string(authority.substr(0, colon));
    u.host = u.ip;
    if (colon != std::string_view::npos) {
      u.port_given = true;
      port_text = authority.substr(colon + 1);
    }
    std::array<std::uint8_t, 4> tmp;
    if (u.ip.empty()) return bad("the URL has no host");
    if (::inet_pton(AF_INET, u.ip.c_str(), tmp.data()) != 1)
      return bad("the host must be an IP address on the network (no DNS on ZeroTier): " + u.ip);
  }
  if (u.port_given && !port_text.empty()) {
    if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return bad("bad port: " + std::string(port_text));
    const unsigned long p = std::stoul(std::string(port_text));
    if (p == 0 || p > 65535) return bad("bad port: " + std::string(port_text));
    u.port = static_cast<std::uint16_t>(p);
  } else {
    u.port_given = false;
  }
  if (const std::size_t hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return bad("the URL's path has a space or control character (percent-encode it)");
  u.target = target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  return u;
}

bool valid_header_line(std::string_view line, header* out) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim_ows(line.substr(colon + 1));
  if (!is_token(name)) return false;
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  if (out) *out = {std::string(name), std::string(value)};
  return true;
}

std::string request::emit() const {
  std::string s = method + " " + to.target + " HTTP/1.1\r\n";
  const auto add_default = [&](std::string_view name, const std::string& value) {
    if (!has_header(headers, name)) s.append(name).append(": ").append(value).append("\r\n");
  };
  add_default("Host", to.host + (to.port_given && to.port != 80 ? ":" + std::to_string(to.port) : ""));
  add_default("User-Agent", "zt/0.1 (ztkit)");
  add_default("Accept", "*/*");
  add_default("Connection", "close");
  if (!body.empty() || method == "POST" || method == "PUT") {
    add_default("Content-Length", std::to_string(body.size()));
    if (!body.empty()) add_default("Content-Type", "application/x-www-form-urlencoded");
  }
  for (const auto& h : headers) s.append(h.name).append(": ").append(h.value).append("\r\n");
  s.append("\r\n");
  s.append(body);
  return s;
}

// ---- response head --------------------------------------------------------------------------

std::optional<std::string_view> response_head::find(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

std::string response_head::emit() const {
  std::string s = "HTTP/1." + std::to_string(version_minor) + " " + std::to_string(status) + " " + reason + "\r\n";
  for (const auto& h : headers) s.append(h.name).append(": ").append(h.value).append("\r\n");
  s.append("\r\n");
  return s;
}

// ---- response parser ------------------------------------------------------------------------

parse_error response_parser::fail(parse_error e) {
  state_ = state::failed;
  err_ = e;
  return e;
}

// buf_ holds a whole head: status line, field lines, the blank line (RFC 9112 §2.1). Lines
// end in LF with an optional CR (§2.2); a CR anywhere else is rejected.
parse_error response_parser::parse_head() {
  head_ = {};
  std::string_view all(buf_);
  std::vector<std::string_view> lines;
  while (!all.empty()) {
    const std::size_t lf = all.find('\n');
    std::string_view line = all.substr(0, lf);
    all.remove_prefix(lf == std::string_view::npos ? all.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) return lines.empty() ? parse_error::bad_status_line : parse_error::bad_header;
    lines.push_back(line);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return parse_error::bad_status_line;
  // status-line = HTTP-version SP status-code SP [ reason-phrase ]  (RFC 9112 §4)
  const std::string_view sl = lines[0];
  if (sl.size() < 12 || sl.substr(0, 7) != "HTTP/1." || sl[7] < '0' || sl[7] > '9' || sl[8] != ' ')
    return parse_error::bad_status_line;
  head_.version_minor = sl[7] - '0';
  const std::string_view code = sl.substr(9, 3);
  if (code[0] < '1' || code[0] > '5' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9')
    return parse_error::bad_status_line;
  head_.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (sl.size() > 12) {
    if (sl[12] != ' ') return parse_error::bad_status_line;
    head_.reason = std::string(sl.substr(13));
    if (head_.reason.find('\0') != std::string::npos) return parse_error::bad_status_line;
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (head_.headers.size() >= lim_.max_headers) return parse_error::too_many_headers;
    header h;
    // A leading space is obs-fold (RFC 9112 §5.2), rejected; so is a space before the colon
    // (§5.1): both are token checks on the name.
    if (!valid_header_line(lines[i], &h)) return parse_error::bad_header;
    head_.headers.push_back(std::move(h));
  }
  return parse_error::ok;
}

// RFC 9112 §6.3: how the body is framed.
parse_error response_parser::on_head_complete() {
  const int st = head_.status;
  if (st >= 100 && st < 200 && st != 101) {  // interim: the real response follows
    if (++interim_ > lim_.max_interim) return fail(parse_error::too_many_interim);
    state_ = state::head;
    return parse_error::ok;
  }
  if (head_request_ || (st >= 100 && st < 200) || st == 204 || st == 304) {
    state_ = state::done;
    return parse_error::ok;
  }
  // Transfer-Encoding: the list over every field; chunked must be last to frame the body.
  std::string_view last_coding;
  bool any_te = false;
  for (const auto& h : head_.headers) {
    if (!iequals(h.name, "Transfer-Encoding")) continue;
    std::string_view v(h.value);
    while (!v.empty()) {
      const std::size_t comma = v.find(',');
      const std::string_view c = trim_ows(v.substr(0, comma));
      if (!c.empty()) {
        last_coding = c;
        any_te = true;
      }
      v.remove_prefix(comma == std::string_view::npos ? v.size() : comma + 1);
    }
  }
  if (any_te) {
    if (iequals(last_coding, "chunked")) {
      chunked_ = true;
      state_ = state::chunk_size;
    } else {
      state_ = state::body_close;
    }
    return parse_error::ok;
  }
  std::optional<std::uint64_t> length;
  for (const auto& h : head_.headers) {
    if (!iequals(h.name, "Content-Length")) continue;
    std::string_view v(h.value);
    do {  // "5" or a list of equal values "5, 5" (§6.3 item 5)
      const std::size_t comma = v.find(',');
      const std::string_view d = trim_ows(v.substr(0, comma));
      v.remove_prefix(comma == std::string_view::npos ? v.size() : comma + 1);
      if (d.empty() || d.size() > 19 || !std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return fail(parse_error::bad_content_length);
      std::uint64_t n = 0;
      for (char c : d) n = n * 10 + static_cast<std::uint64_t>(c - '0');
      if (length && *length != n) return fail(parse_error::bad_content_length);
      length = n;
    } while (!v.empty());
  }
  if (length) {
    if (*length > lim_.max_body) return fail(parse_error::body_too_large);
    left_ = *length;
    state_ = left_ == 0 ? state::done : state::body_length;
    return parse_error::ok;
  }
  state_ = state::body_close;
  return parse_error::ok;
}

bool response_parser::take_line(std::span<const std::uint8_t>& in, std::size_t max, bool& too_long) {
  too_long = false;
  const auto* lf = static_cast<const std::uint8_t*>(std::memchr(in.data(), '\n', in.size()));
  const std::size_t n = lf ? static_cast<std::size_t>(lf - in.data()) : in.size();
  if (line_.size() + n > max) {
    too_long = true;
    return false;
  }
  line_.append(reinterpret_cast<const char*>(in.data()), n);
  in = in.subspan(lf ? n + 1 : n);
  if (!lf) return false;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

parse_error response_parser::feed(std::span<const std::uint8_t> in, std::string& body) {
  while (!in.empty()) {
    switch (state_) {
      case state::failed: return err_;
      case state::done: return parse_error::ok;  // bytes after the response are ignored
      case state::head: {
        // Collect until the blank line, never more than max_head bytes of head.
        const std::size_t old = buf_.size();
        const std::size_t take = std::min(in.size(), lim_.max_head - old);
        buf_.append(reinterpret_cast<const char*>(in.data()), take);
        std::size_t from = old >= 2 ? old - 2 : 0;
        std::size_t end = std::string::npos;
        for (std::size_t i = buf_.find('\n', from); i != std::string::npos; i = buf_.find('\n', i + 1)) {
          // A line that is empty (LF) or holds only CR ends the head; the first line cannot.
          if (i == 0) continue;
          if (buf_[i - 1] == '\n') {
            end = i + 1;
            break;
          }
          if (buf_[i - 1] == '\r' && i >= 2 && buf_[i - 2] == '\n') {
            end = i + 1;
            break;
          }
        }
        if (end == std::string::npos) {
          in = in.subspan(take);
          if (buf_.size() >= lim_.max_head) return fail(parse_error::head_too_large);
          break;
        }
        buf_.resize(end);
        in = in.subspan(end - old);
        if (const auto e = parse_head(); e != parse_error::ok) return fail(e);
        buf_.clear();
        if (const auto e = on_head_complete(); e != parse_error::ok) return e;
        break;
      }
      case state::body_length: {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, in.size()));
        body.append(reinterpret_cast<const char*>(in.data()), n);
        body_seen_ += n;
        left_ -= n;
        in = in.subspan(n);
        if (left_ == 0) state_ = state::done;
        break;
      }
      case state::body_close: {
        // Up to the limit, then the error: the same bytes come out however the input is cut.
        const std::size_t n = std::min(in.size(), body_limit_left());
        body.append(reinterpret_cast<const char*>(in.data()), n);
        body_seen_ += n;
        if (n < in.size()) return fail(parse_error::body_too_large);
        in = {};
        break;
      }
      case state::chunk_size: {
        // chunk-size [ chunk-ext ] CRLF   (RFC 9112 §7.1); extensions are ignored.
        bool too_long = false;
        if (!take_line(in, lim_.max_chunk_line, too_long)) {
          if (too_long) return fail(parse_error::bad_chunk);
          break;
        }
        std::string_view l(line_);
        std::uint64_t size = 0;
        std::size_t digits = 0;
        while (digits < l.size() && hex_value(l[digits]) >= 0) {
          if (digits >= 16) return fail(parse_error::bad_chunk);
          size = size * 16 + static_cast<std::uint64_t>(hex_value(l[digits]));
          ++digits;
        }
        if (digits == 0) return fail(parse_error::bad_chunk);
        const std::string_view rest = trim_ows(l.substr(digits));
        if (!rest.empty() && rest.front() != ';') return fail(parse_error::bad_chunk);
        if (rest.find('\r') != std::string_view::npos || rest.find('\0') != std::string_view::npos)
          return fail(parse_error::bad_chunk);
        line_.clear();
        if (size > lim_.max_body - body_seen_) return fail(parse_error::body_too_large);
        if (size == 0) {
          state_ = state::trailers;
        } else {
          left_ = size;
          state_ = state::chunk_data;
        }
        break;
      }
      case state::chunk_data: {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, in.size()));
        body.append(reinterpret_cast<const char*>(in.data()), n);
        body_seen_ += n;
        left_ -= n;
        in = in.subspan(n);
        if (left_ == 0) state_ = state::chunk_data_end;
        break;
      }
      case state::chunk_data_end: {
        bool too_long = false;
        if (!take_line(in, 1, too_long)) {  // CRLF (a CR at most before the LF)
          if (too_long) return fail(parse_error::bad_chunk);
          break;
        }
        if (!line_.empty()) return fail(parse_error::bad_chunk);
        state_ = state::chunk_size;
        break;
      }
      case state::trailers: {
        // trailer-section CRLF (§7.1.2): fields are checked and dropped.
        bool too_long = false;
        if (!take_line(in, lim_.max_chunk_line, too_long)) {
          if (too_long) return fail(parse_error::head_too_large);
          break;
        }
        if (line_.empty()) {
          state_ = state::done;
          break;
        }
        trailer_bytes_ += line_.size();
        if (++trailer_count_ > lim_.max_headers) return fail(parse_error::too_many_headers);
        if (trailer_bytes_ > lim_.max_head) return fail(parse_error::head_too_large);
        if (line_.find('\r') != std::string::npos || !valid_header_line(line_)) return fail(parse_error::bad_header);
        line_.clear();
        break;
      }
    }
  }
  return err_;
}

parse_error response_parser::finish() {
  switch (state_) {
    case state::done: return parse_error::ok;
    case state::failed: return err_;
    case state::body_close:
      state_ = state::done;
      return parse_error::ok;
    default: return fail(parse_error::truncated);
  }
}

}  // namespace ztkit::tools::http
