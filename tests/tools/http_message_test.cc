// `zt call`'s HTTP/1.1 pieces (tools/zt/http_message.h) with plain values: URLs (IPv4 and
// bracketed IPv6 hosts, ports, targets), the request it sends, and the response parser's
// framing (Content-Length, chunked, until close, no body), its limits and its errors, fed
// whole and a byte at a time.
#include <string>

#include <gtest/gtest.h>

#include "tools/zt/http_message.h"

namespace ztkit::tools::http {
namespace {

struct parsed {
  parse_error error;
  response_head head;
  std::string body;
  bool done;
};

// Feeds `in` whole, then again one byte at a time, and checks both agree.
parsed parse(const std::string& in, bool close_after = true, limits lim = {}, bool head_request = false) {
  parsed out[2];
  for (int bytewise = 0; bytewise < 2; ++bytewise) {
    response_parser p(lim, head_request);
    std::string body;
    if (bytewise) {
      for (char c : in) p.feed(std::string_view(&c, 1), body);
    } else {
      p.feed(in, body);
    }
    parse_error e = p.error();
    if (close_after) e = p.finish();
    out[bytewise] = {e, p.head(), body, p.done()};
  }
  EXPECT_EQ(out[0].error, out[1].error);
  EXPECT_EQ(out[0].body, out[1].body);
  EXPECT_EQ(out[0].done, out[1].done);
  EXPECT_EQ(out[0].head.emit(), out[1].head.emit());
  return out[0];
}

TEST(HttpUrl, Ipv4AndIpv6Hosts) {
  auto u = parse_url("http://10.147.17.2:8080/status?x=1#top");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->ip, "10.147.17.2");
  EXPECT_EQ(u->host, "10.147.17.2");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/status?x=1");
  u = parse_url("http://10.1.2.3");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->target, "/");
  u = parse_url("HTTP://[fd80:56c2:e21c::99:9301]:81?q");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->ip, "fd80:56c2:e21c::99:9301");
  EXPECT_EQ(u->host, "[fd80:56c2:e21c::99:9301]");
  EXPECT_EQ(u->port, 81);
  EXPECT_EQ(u->target, "/?q");
}

TEST(HttpUrl, RejectsWhatItCannotReach) {
  std::string why;
  EXPECT_FALSE(parse_url("https://10.1.2.3/", &why));
  EXPECT_NE(why.find("https"), std::string::npos);
  EXPECT_FALSE(parse_url("http://example.com/", &why));
  EXPECT_NE(why.find("IP address"), std::string::npos);
  EXPECT_FALSE(parse_url("http://[fd80::1/", &why));
  EXPECT_FALSE(parse_url("http://[nothex::zz]/", &why));
  EXPECT_FALSE(parse_url("http://10.1.2.3:0/", &why));
  EXPECT_FALSE(parse_url("http://10.1.2.3:65536/", &why));
  EXPECT_FALSE(parse_url("http://10.1.2.3:8x/", &why));
  EXPECT_FALSE(parse_url("http://u@10.1.2.3/", &why));
  EXPECT_FALSE(parse_url("http://10.1.2.3/a b", &why));
  EXPECT_FALSE(parse_url("http://10.1.2.3/a\r\nX: y", &why));
  EXPECT_FALSE(parse_url("ftp://10.1.2.3/", &why));
  EXPECT_FALSE(parse_url("10.1.2.3:80", &why));
  EXPECT_FALSE(why.empty());
}

TEST(HttpRequest, DefaultsAndOverrides) {
  request r;
  r.to = *parse_url("http://[fd00::2]:8080/x");
  EXPECT_EQ(r.emit(),
            "GET /x HTTP/1.1\r\nHost: [fd00::2]:8080\r\nUser-Agent: zt/0.1 (ztkit)\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n");
  r.method = "POST";
  r.body = "a=1";
  r.headers = {{"Content-Type", "application/json"}, {"X-Token", "t"}};
  const std::string s = r.emit();
  EXPECT_NE(s.find("Content-Length: 3\r\n"), std::string::npos) << s;
  EXPECT_EQ(s.find("x-www-form-urlencoded"), std::string::npos) << s;
  EXPECT_NE(s.find("Content-Type: application/json\r\nX-Token: t\r\n\r\na=1"), std::string::npos) << s;
  header h;
  EXPECT_TRUE(valid_header_line("X-A:  v w ", &h));
  EXPECT_EQ(h.name, "X-A");
  EXPECT_EQ(h.value, "v w");
  EXPECT_FALSE(valid_header_line("no colon"));
  EXPECT_FALSE(valid_header_line("Bad Name: v"));
  EXPECT_FALSE(valid_header_line(": v"));
}

TEST(HttpResponse, ContentLength) {
  auto p = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhelloEXTRA", false);
  EXPECT_EQ(p.error, parse_error::ok);
  EXPECT_TRUE(p.done);  // complete without waiting for the close; bytes beyond are ignored
  EXPECT_EQ(p.body, "hello");
  EXPECT_EQ(p.head.status, 200);
  EXPECT_EQ(p.head.reason, "OK");
  EXPECT_EQ(p.head.find("server"), "t");
  EXPECT_EQ(p.head.emit(), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\n");
  // Equal repeats are one length; differing ones, signs and junk are errors.
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nab").body, "ab");
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc").error,
            parse_error::bad_content_length);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").error, parse_error::bad_content_length);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n").error,
            parse_error::bad_content_length);
  // Closed early: truncated.
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").error, parse_error::truncated);
}

TEST(HttpResponse, Chunked) {
  const std::string in =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 999\r\n\r\n"
      "5;name=val\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: yes\r\n\r\n";
  auto p = parse(in, false);
  EXPECT_EQ(p.error, parse_error::ok);
  EXPECT_TRUE(p.done);
  EXPECT_EQ(p.body, "helloabcdefghijklmnopqrstuvwxyz");
  // Bare LF line ends are accepted (RFC 9112 §2.2).
  EXPECT_EQ(parse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n", false).body, "abc");
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").error, parse_error::bad_chunk);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n").error, parse_error::bad_chunk);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n").error,
            parse_error::bad_chunk);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab").error, parse_error::truncated);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n").error,
            parse_error::bad_header);
  // Another final coding: the body runs until the close.
  auto g = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw bytes");
  EXPECT_EQ(g.error, parse_error::ok);
  EXPECT_EQ(g.body, "raw bytes");
}

TEST(HttpResponse, UntilCloseNoBodyAndInterim) {
  auto p = parse("HTTP/1.0 404 Not Found\r\n\r\nmissing");
  EXPECT_EQ(p.error, parse_error::ok);
  EXPECT_EQ(p.head.status, 404);
  EXPECT_EQ(p.head.version_minor, 0);
  EXPECT_EQ(p.body, "missing");
  auto open = parse("HTTP/1.0 200 OK\r\n\r\npartial", false);
  EXPECT_FALSE(open.done);  // waits for the close
  auto n = parse("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", false);
  EXPECT_TRUE(n.done);
  EXPECT_EQ(n.body, "");
  auto h = parse("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n", false, {}, true);
  EXPECT_TRUE(h.done);  // a HEAD request's response has no body
  auto c = parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
                 "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
                 false);
  EXPECT_EQ(c.error, parse_error::ok);
  EXPECT_EQ(c.head.status, 201);
  EXPECT_EQ(c.body, "ok");
  auto r = parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.head.reason, "");
}

TEST(HttpResponse, MalformedHeads) {
  EXPECT_EQ(parse("").error, parse_error::truncated);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n").error, parse_error::truncated);
  EXPECT_EQ(parse("HTTP/2 200 OK\r\n\r\n").error, parse_error::bad_status_line);
  EXPECT_EQ(parse("HTTP/1.1 20 OK\r\n\r\n").error, parse_error::bad_status_line);
  EXPECT_EQ(parse("HTTP/1.1 600 Odd\r\n\r\n").error, parse_error::bad_status_line);
  EXPECT_EQ(parse("HTTP/1.1 200OK\r\n\r\n").error, parse_error::bad_status_line);
  EXPECT_EQ(parse("SSH-2.0-OpenSSH\r\n\r\n").error, parse_error::bad_status_line);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n").error, parse_error::bad_header);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nName : v\r\n\r\n").error, parse_error::bad_header);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n").error, parse_error::bad_header);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n").error, parse_error::bad_header);
  std::string nul = "HTTP/1.1 200 OK\r\nA: b";
  nul.push_back('\0');
  nul += "\r\n\r\n";
  EXPECT_EQ(parse(nul).error, parse_error::bad_header);
}

TEST(HttpResponse, Limits) {
  limits lim;
  lim.max_head = 64;
  lim.max_headers = 2;
  lim.max_body = 8;
  lim.max_chunk_line = 8;
  lim.max_interim = 1;
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nX: " + std::string(100, 'a') + "\r\n\r\n", true, lim).error,
            parse_error::head_too_large);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", true, lim).error, parse_error::too_many_headers);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n123456789", true, lim).error,
            parse_error::body_too_large);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\n\r\n123456789", true, lim).error, parse_error::body_too_large);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\n\r\n12345678", true, lim).error, parse_error::ok);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n4\r\n", true, lim).error,
            parse_error::body_too_large);
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;aaaaaaaaaa\r\n", true, lim).error,
            parse_error::bad_chunk);
  EXPECT_EQ(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n", true, lim).error,
            parse_error::too_many_interim);
  // A head of exactly max_head bytes is fine; one more byte is not.
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: ";
  head += std::string(lim.max_head - head.size() - 4, 'x') + "\r\n\r\n";
  ASSERT_EQ(head.size(), lim.max_head);
  EXPECT_EQ(parse(head, true, lim).error, parse_error::ok);
  head.insert(head.size() - 4, "y");
  EXPECT_EQ(parse(head, true, lim).error, parse_error::head_too_large);
}

TEST(HttpResponse, ErrorsAreSticky) {
  response_parser p;
  std::string body;
  EXPECT_EQ(p.feed("NOPE\r\n\r\n", body), parse_error::bad_status_line);
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\n\r\n", body), parse_error::bad_status_line);
  EXPECT_EQ(p.finish(), parse_error::bad_status_line);
  EXPECT_STREQ(to_string(parse_error::truncated), "connection closed before the response was complete");
}

}  // namespace
}  // namespace ztkit::tools::http
