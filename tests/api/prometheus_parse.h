// A strict reader of the Prometheus text exposition format 0.0.4 for the metrics tests: every
// line is a comment (# HELP / # TYPE / other) or `name{label="value",...} value [timestamp]`;
// metric and label names must be valid, label values properly escaped, values numbers
// (+Inf/-Inf/NaN included), a family's samples contiguous and after its TYPE, no series twice.
// It also checks what the types promise: counters are named *_total and not negative;
// histograms have cumulative _bucket series ending in le="+Inf" that equals _count.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ztkit::test {

struct exposition {
  std::map<std::string, std::string> types;   // family -> counter | gauge | histogram | ...
  std::map<std::string, std::string> help;    // family -> text (unescaped)
  std::map<std::string, double> samples;      // series key `name{k="v",...}` (as written) -> value
  struct series {
    std::string name;
    std::map<std::string, std::string> labels;  // unescaped
    double value = 0;
  };
  std::vector<series> all;  // in order
  std::vector<std::string> errors;

  bool ok() const { return errors.empty(); }
  // The value of `name` with exactly these labels, or NaN.
  double get(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const auto& s : all)
      if (s.name == name && s.labels == labels) return s.value;
    return std::nan("");
  }
  // The family a sample name belongs to (histogram/summary suffixes stripped when declared).
  std::string family_of(const std::string& name) const {
    if (types.count(name)) return name;
    for (std::string_view suf : {"_bucket", "_sum", "_count"}) {
      if (name.size() > suf.size() && name.compare(name.size() - suf.size(), suf.size(), suf) == 0) {
        std::string base = name.substr(0, name.size() - suf.size());
        auto it = types.find(base);
        if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
      }
    }
    return name;
  }
};

inline bool metric_name_ok(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

inline bool label_name_ok(std::string_view n) {
  if (n.empty() || n.find(':') != std::string_view::npos) return false;
  if (n.size() >= 2 && n[0] == '_' && n[1] == '_') return false;  // reserved
  return metric_name_ok(n);
}

inline bool parse_value(std::string_view s, double& out) {
  if (s == "+Inf" || s == "Inf") { out = INFINITY; return true; }
  if (s == "-Inf") { out = -INFINITY; return true; }
  if (s == "NaN") { out = NAN; return true; }
  if (s.empty()) return false;
  std::string tmp(s);
  char* end = nullptr;
  out = std::strtod(tmp.c_str(), &end);
  return end == tmp.c_str() + tmp.size();
}

inline exposition parse_exposition(std::string_view text) {
  exposition e;
  auto fail = [&](std::size_t line, const std::string& what) {
    e.errors.push_back("line " + std::to_string(line) + ": " + what);
  };
  if (!text.empty() && text.back() != '\n') e.errors.push_back("the text does not end with a newline");
  std::set<std::string> finished;  // families whose samples ended (must not come back)
  std::set<std::string> seen_keys;
  std::string current;             // family of the last sample
  std::size_t lineno = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++lineno;
    if (line.empty()) continue;
    if (line[0] == '#') {
      // "# HELP name text" / "# TYPE name type"; other comments are free text.
      std::string_view rest = line.substr(1);
      while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
      const bool is_help = rest.substr(0, 5) == "HELP ", is_type = rest.substr(0, 5) == "TYPE ";
      if (!is_help && !is_type) continue;
      rest.remove_prefix(5);
      const std::size_t sp = rest.find(' ');
      const std::string name(rest.substr(0, sp));
      const std::string_view arg = sp == std::string_view::npos ? "" : rest.substr(sp + 1);
      if (!metric_name_ok(name)) fail(lineno, "bad metric name in comment: " + name);
      if (is_type) {
        static const std::set<std::string_view> kinds{"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kinds.count(arg)) fail(lineno, "unknown type " + std::string(arg));
        if (e.types.count(name)) fail(lineno, "second TYPE for " + name);
        bool had_samples = false;
        for (const auto& s : e.all) had_samples |= e.family_of(s.name) == name;
        if (had_samples) fail(lineno, "TYPE after samples of " + name);
        e.types[name] = std::string(arg);
      } else {
        if (e.help.count(name)) fail(lineno, "second HELP for " + name);
        std::string h;
        for (std::size_t i = 0; i < arg.size(); ++i) {
          if (arg[i] == '\\' && i + 1 < arg.size() && (arg[i + 1] == '\\' || arg[i + 1] == 'n')) {
            h += arg[i + 1] == 'n' ? '\n' : '\\';
            ++i;
          } else {
            h += arg[i];
          }
        }
        e.help[name] = h;
      }
      continue;
    }
    // A sample.
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    exposition::series s;
    s.name = std::string(line.substr(0, i));
    if (!metric_name_ok(s.name)) {
      fail(lineno, "bad metric name: " + s.name);
      continue;
    }
    std::string key = s.name;
    bool bad = false;
    if (i < line.size() && line[i] == '{') {
      key += '{';
      ++i;
      bool first = true;
      while (i < line.size() && line[i] != '}') {
        if (!first) {
          if (line[i] != ',') { bad = true; break; }
          ++i;
          if (i < line.size() && line[i] == '}') break;  // trailing comma is allowed
        }
        first = false;
        std::size_t eq = line.find('=', i);
        if (eq == std::string_view::npos) { bad = true; break; }
        const std::string lname(line.substr(i, eq - i));
        if (!label_name_ok(lname) || eq + 1 >= line.size() || line[eq + 1] != '"') { bad = true; break; }
        std::size_t j = eq + 2;
        std::string value;
        bool closed = false;
        while (j < line.size()) {
          const char c = line[j];
          if (c == '\\') {
            if (j + 1 >= line.size()) break;
            const char n = line[j + 1];
            if (n == '\\') value += '\\';
            else if (n == '"') value += '"';
            else if (n == 'n') value += '\n';
            else { bad = true; break; }
            j += 2;
          } else if (c == '"') {
            closed = true;
            ++j;
            break;
          } else {
            value += c;
            ++j;
          }
        }
        if (bad || !closed) { bad = true; break; }
        if (s.labels.count(lname)) { bad = true; break; }
        s.labels[lname] = value;
        key += std::string(line.substr(i, j - i)) + ",";
        i = j;
      }
      if (bad || i >= line.size() || line[i] != '}') {
        fail(lineno, "bad labels: " + std::string(line));
        continue;
      }
      ++i;
      key += '}';
    }
    if (i >= line.size() || line[i] != ' ') {
      fail(lineno, "no value: " + std::string(line));
      continue;
    }
    std::string_view rest = line.substr(i + 1);
    const std::size_t sp = rest.find(' ');
    const std::string_view val = rest.substr(0, sp);
    if (sp != std::string_view::npos) {
      double ts = 0;
      if (!parse_value(rest.substr(sp + 1), ts)) fail(lineno, "bad timestamp: " + std::string(line));
    }
    if (!parse_value(val, s.value)) {
      fail(lineno, "bad value: " + std::string(line));
      continue;
    }
    const std::string fam = e.family_of(s.name);
    if (!e.types.count(fam)) fail(lineno, "sample without a TYPE: " + s.name);
    if (fam != current) {
      if (finished.count(fam)) fail(lineno, "samples of " + fam + " are not contiguous");
      if (!current.empty()) finished.insert(current);
      current = fam;
    }
    if (!seen_keys.insert(key).second) fail(lineno, "series twice: " + key);
    e.samples[key] = s.value;
    e.all.push_back(std::move(s));
  }

  // What the types promise.
  for (const auto& [fam, type] : e.types) {
    if (type == "counter") {
      if (fam.size() < 6 || fam.compare(fam.size() - 6, 6, "_total") != 0)
        e.errors.push_back("counter not named *_total: " + fam);
      for (const auto& s : e.all)
        if (s.name == fam && !(s.value >= 0)) e.errors.push_back("negative counter: " + fam);
    }
    if (type != "histogram") continue;
    // Group the buckets by their other labels.
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> groups;
    for (const auto& s : e.all) {
      if (s.name != fam + "_bucket") continue;
      auto labels = s.labels;
      auto le = labels.find("le");
      double bound = 0;
      if (le == labels.end() || !parse_value(le->second, bound)) {
        e.errors.push_back("bucket without a valid le: " + fam);
        continue;
      }
      labels.erase(le);
      groups[labels].push_back({bound, s.value});
    }
    if (groups.empty()) e.errors.push_back("histogram without buckets: " + fam);
    for (const auto& [labels, buckets] : groups) {
      for (std::size_t k = 1; k < buckets.size(); ++k) {
        if (!(buckets[k].first > buckets[k - 1].first)) e.errors.push_back("le not ascending: " + fam);
        if (buckets[k].second < buckets[k - 1].second) e.errors.push_back("buckets not cumulative: " + fam);
      }
      if (buckets.empty() || !std::isinf(buckets.back().first)) {
        e.errors.push_back("no le=\"+Inf\" bucket: " + fam);
        continue;
      }
      const double count = e.get(fam + "_count", labels);
      if (std::isnan(count)) e.errors.push_back("histogram without _count: " + fam);
      else if (count != buckets.back().second) e.errors.push_back("_count != +Inf bucket: " + fam);
      if (std::isnan(e.get(fam + "_sum", labels))) e.errors.push_back("histogram without _sum: " + fam);
    }
  }
  return e;
}

inline std::string join_errors(const exposition& e) {
  std::string out;
  for (const auto& s : e.errors) out += s + "\n";
  return out;
}

}  // namespace ztkit::test
