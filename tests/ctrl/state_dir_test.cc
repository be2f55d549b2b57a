// ctrl/state: the state directory (identity, planet, moons.d, peers.d, networks.d) and atomic
// file writes. Every test runs in its own fresh temporary folder.
#include "ctrl/state/state_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ctrl/state/atomic_file.h"
#include "ctrl/state/peer_cache.h"
#include "engine/crypto/c25519.h"
#include "engine/crypto/identity.h"
#include "engine/wire/world.h"

namespace ztkit::ctrl {
namespace {

namespace fs = std::filesystem;
using crypto::identity;
using wire::inet_address;
using wire::world;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  const std::string s = read_text(p);
  return {s.begin(), s.end()};
}
void write_raw(const fs::path& p, std::string_view s) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}
void write_raw(const fs::path& p, std::span<const std::uint8_t> b) {
  write_raw(p, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}
mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}
std::string capture_secret(const char* node) {
  const fs::path p = fs::path(ZTKIT_CAPTURES_DIR) / (std::string(node) + ".identity.secret");
  std::string s = read_text(p);
  EXPECT_FALSE(s.empty()) << "capture identity missing: " << p;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}
identity capture_identity(const char* node) {
  auto id = identity::from_string(capture_secret(node));
  EXPECT_TRUE(id.ok()) << id.message();
  return id.ok() ? *id : identity{};
}
// "address:0:public:private" -> its 4 fields.
std::vector<std::string> fields_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t colon = s.find(':', start);
    out.push_back(s.substr(start, colon - start));
    if (colon == std::string::npos) return out;
    start = colon + 1;
  }
}
// Files whose names mark them as atomic_write's temporaries, anywhere below `dir`.
std::vector<std::string> temp_files_below(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (is_temp_file_name(e.path().filename().string())) out.push_back(e.path().string());
  }
  return out;
}
void set_mtime_ms(const fs::path& p, std::int64_t ms) {
  struct timespec ts[2];
  ts[0].tv_sec = ts[1].tv_sec = ms / 1000;
  ts[0].tv_nsec = ts[1].tv_nsec = (ms % 1000) * 1000000;
  ASSERT_EQ(::utimensat(AT_FDCWD, p.c_str(), ts, 0), 0) << p;
}

world make_world(world::type kind, std::uint64_t id, std::uint64_t ts,
                 const crypto::c25519_pair& key, const crypto::c25519_pair& signer,
                 const identity& root_id) {
  std::vector<wire::world_root> roots;
  wire::world_root r;
  r.identity = root_id;
  r.stable_endpoints.push_back(inet_address::v4({10, 0, 0, 1}, 9993));
  roots.push_back(r);
  return world::make(kind, id, ts, key.pub, std::move(roots), signer);
}

class StateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ztkit_state_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
    root_ = tmp_ / "home";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }
  state_dir open_dir() {
    auto d = state_dir::open(root_);
    EXPECT_TRUE(d.ok()) << d.message();
    return std::move(d).value();
  }
  // Writes `text` as identity.secret and tries to start.
  result<identity> start_with_secret(std::string_view text, std::optional<state_dir>* out = nullptr) {
    fs::create_directories(root_);
    write_raw(root_ / "identity.secret", text);
    state_dir d = open_dir();
    auto r = d.load_or_create_identity();
    if (out) out->emplace(std::move(d));
    return r;
  }
  // Checks that starting with `text` as identity.secret is refused with a message naming the
  // file, and that nothing was replaced.
  void expect_refused(std::string_view text, const std::string& label) {
    std::error_code ec;
    fs::remove(root_ / "identity.public", ec);
    state_dir d = open_dir();
    write_raw(root_ / "identity.secret", text);
    auto r = d.load_or_create_identity();
    ASSERT_FALSE(r.ok()) << label << " was accepted";
    EXPECT_EQ(r.code(), errc::data_loss) << label;
    EXPECT_NE(r.message().find((root_ / "identity.secret").string()), std::string::npos)
        << label << ": " << r.message();
    EXPECT_NE(r.message().find("refusing"), std::string::npos) << label << ": " << r.message();
    EXPECT_EQ(read_text(root_ / "identity.secret"), text) << label << ": file was replaced";
    EXPECT_FALSE(fs::exists(root_ / "identity.public")) << label;
    EXPECT_EQ(d.corrupt_files(), 1u) << label;
  }

  fs::path tmp_;
  fs::path root_;
};

// --- folder ----------------------------------------------------------------------------------

TEST_F(StateDirTest, OpenCreatesTheFolderWithMode0700) {
  auto d = state_dir::open(root_ / "deeper");
  ASSERT_TRUE(d.ok()) << d.message();
  EXPECT_TRUE(fs::is_directory(root_ / "deeper"));
  EXPECT_EQ(mode_of(root_ / "deeper"), 0700u);
  // Opening an existing folder keeps it.
  EXPECT_TRUE(state_dir::open(root_ / "deeper").ok());
}

TEST_F(StateDirTest, OpenRefusesAFile) {
  write_raw(tmp_ / "plain", "x");
  auto d = state_dir::open(tmp_ / "plain");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.message().find((tmp_ / "plain").string()), std::string::npos) << d.message();
  EXPECT_NE(d.message().find("not a folder"), std::string::npos) << d.message();
}

TEST_F(StateDirTest, OpenRefusesAnUnwritableFolder) {
  fs::create_directories(tmp_ / "ro");
  ::chmod(tmp_.c_str(), 0755);
  ::chmod((tmp_ / "ro").c_str(), 0555);
  if (::geteuid() != 0) {
    auto ro = state_dir::open(tmp_ / "ro");
    ::chmod((tmp_ / "ro").c_str(), 0700);
    ASSERT_FALSE(ro.ok());
    EXPECT_NE(ro.message().find("not writable"), std::string::npos) << ro.message();
    EXPECT_NE(ro.message().find((tmp_ / "ro").string()), std::string::npos) << ro.message();
    return;
  }
  // Root writes anywhere: check as "nobody" in a child process.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(2);
    }
    auto ro = state_dir::open(tmp_ / "ro");
    const bool good = !ro.ok() && ro.message().find("not writable") != std::string::npos &&
                      ro.message().find((tmp_ / "ro").string()) != std::string::npos;
    ::_exit(good ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ::chmod((tmp_ / "ro").c_str(), 0700);
  ASSERT_TRUE(WIFEXITED(wstatus));
  if (WEXITSTATUS(wstatus) == 2) GTEST_SKIP() << "cannot drop privileges here";
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "an unwritable folder was accepted";
}

TEST_F(StateDirTest, OpenSweepsTemporaryFilesLeftByACrash) {
  fs::create_directories(root_ / "peers.d");
  write_raw(root_ / ".planet.tmp.Ab12Cd", "half");
  write_raw(root_ / "peers.d" / ".0123456789.peer.tmp.zzzzzz", "half");
  write_raw(root_ / "keep.tmp", "not ours");
  open_dir();
  EXPECT_TRUE(temp_files_below(root_).empty());
  EXPECT_TRUE(fs::exists(root_ / "keep.tmp"));
}

// --- identity --------------------------------------------------------------------------------

TEST_F(StateDirTest, FirstStartCreatesBothIdentityFiles) {
  state_dir d = open_dir();
  auto id = d.load_or_create_identity();
  ASSERT_TRUE(id.ok()) << id.message();
  ASSERT_TRUE(id->has_private());
  EXPECT_TRUE(id->validate().ok());

  const fs::path secret = root_ / "identity.secret";
  const fs::path pub = root_ / "identity.public";
  EXPECT_EQ(mode_of(secret), 0600u);
  EXPECT_EQ(mode_of(pub), 0644u);
  // 1.14's text forms, without a trailing newline.
  EXPECT_EQ(read_text(secret), id->to_string(true));
  EXPECT_EQ(read_text(pub), id->to_string(false));
  EXPECT_EQ(read_text(secret).size(), 10u + 3 + 128 + 1 + 128);

  auto back = identity::from_string(read_text(secret));
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_TRUE(back->has_private());
  EXPECT_TRUE(back->validate().ok());
  EXPECT_EQ(*back, *id);
  auto back_pub = identity::from_string(read_text(pub));
  ASSERT_TRUE(back_pub.ok());
  EXPECT_FALSE(back_pub->has_private());
  EXPECT_EQ(*back_pub, *id);
  EXPECT_TRUE(temp_files_below(root_).empty());

  // Restart: the same identity, private key included, files untouched.
  state_dir again = open_dir();
  auto id2 = again.load_or_create_identity();
  ASSERT_TRUE(id2.ok()) << id2.message();
  EXPECT_EQ(*id2, *id);
  EXPECT_EQ(id2->to_string(true), id->to_string(true));
  EXPECT_EQ(again.corrupt_files(), 0u);
}

TEST_F(StateDirTest, LoadsAZeroTierOneIdentitySecret) {
  const std::string text = capture_secret("tap-a");
  auto id = start_with_secret(text + "\n");  // an editor's newline is fine
  ASSERT_TRUE(id.ok()) << id.message();
  EXPECT_EQ(id->address().to_string(), "b0860caa65");
  EXPECT_EQ(id->to_string(true), text);
  // identity.public was missing: written.
  EXPECT_EQ(read_text(root_ / "identity.public"), capture_identity("tap-a").to_string(false));
}

TEST_F(StateDirTest, SecretTruncatedAtEveryLengthIsRefused) {
  const std::string text = capture_secret("tap-a");
  for (std::size_t len = 0; len < text.size(); ++len) {
    expect_refused(text.substr(0, len), "truncated at " + std::to_string(len));
    if (HasFatalFailure()) return;
  }
}

TEST_F(StateDirTest, GarbageSecretIsRefused) {
  expect_refused("hello world", "text garbage");
  expect_refused(std::string(300, '\0'), "zeros");
  std::string binary;
  for (int i = 0; i < 270; ++i) binary.push_back(static_cast<char>((i * 37 + 11) & 0xff));
  expect_refused(binary, "binary garbage");
  const std::string text = capture_secret("tap-a");
  expect_refused(text + ":00", "extra field");
  expect_refused("ff" + text.substr(2), "reserved address");
  expect_refused(text + "0", "one hex digit too many");
}

TEST_F(StateDirTest, SecretWithWrongKeysIsRefused) {
  const auto a = fields_of(capture_secret("tap-a"));
  const auto b = fields_of(capture_secret("tap-b"));
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), 4u);
  // Another valid identity's public part with our private key (and the reverse).
  expect_refused(b[0] + ":0:" + b[2] + ":" + a[3], "tap-b public, tap-a private");
  expect_refused(a[0] + ":0:" + a[2] + ":" + b[3], "tap-a public, tap-b private");
  // Our public part, address of another.
  expect_refused(b[0] + ":0:" + a[2] + ":" + a[3], "wrong address");
  // One private hex digit changed.
  std::string priv = a[3];
  priv[40] = priv[40] == '0' ? '1' : '0';
  expect_refused(a[0] + ":0:" + a[2] + ":" + priv, "flipped private digit");
  // One public hex digit changed.
  std::string pub = a[2];
  pub[100] = pub[100] == '0' ? '1' : '0';
  expect_refused(a[0] + ":0:" + pub + ":" + a[3], "flipped public digit");
  // A public identity where the secret should be.
  expect_refused(a[0] + ":0:" + a[2], "public identity only");
}

TEST_F(StateDirTest, MissingSecretWithAPublicFileIsRefused) {
  fs::create_directories(root_);
  write_raw(root_ / "identity.public", capture_identity("tap-a").to_string(false));
  state_dir d = open_dir();
  auto r = d.load_or_create_identity();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find((root_ / "identity.secret").string()), std::string::npos);
  EXPECT_FALSE(fs::exists(root_ / "identity.secret"));
}

TEST_F(StateDirTest, IdentityPublicIsRepairedAndSecretLockedDown) {
  const std::string text = capture_secret("tap-a");
  const std::string expected_pub = capture_identity("tap-a").to_string(false);
  fs::create_directories(root_);
  write_raw(root_ / "identity.public", "something else");
  write_raw(root_ / "identity.secret", text);
  ::chmod((root_ / "identity.secret").c_str(), 0644);
  std::optional<state_dir> d;
  auto id = start_with_secret(text, &d);
  ASSERT_TRUE(id.ok()) << id.message();
  EXPECT_EQ(read_text(root_ / "identity.public"), expected_pub);
  EXPECT_EQ(d->corrupt_files(), 1u);  // the mismatching identity.public
  ASSERT_FALSE(d->recent_problems().empty());
  EXPECT_NE(d->recent_problems().back().message.find("identity.public"), std::string::npos);
  EXPECT_EQ(mode_of(root_ / "identity.secret"), 0600u);

  // A matching identity.public with a trailing newline is left alone.
  write_raw(root_ / "identity.public", expected_pub + "\n");
  std::optional<state_dir> d2;
  ASSERT_TRUE(start_with_secret(text, &d2).ok());
  EXPECT_EQ(read_text(root_ / "identity.public"), expected_pub + "\n");
  EXPECT_EQ(d2->corrupt_files(), 0u);
}

// --- planet ----------------------------------------------------------------------------------

TEST_F(StateDirTest, WithoutAPlanetFileTheBuiltInEarthIsUsed) {
  state_dir d = open_dir();
  planet_choice c = d.load_planet();
  EXPECT_EQ(c.from, planet_choice::source::builtin);
  EXPECT_EQ(c.planet, wire::earth_planet());
  EXPECT_EQ(c.planet.id, world::earth_id);
  EXPECT_TRUE(c.file_problem.empty());
}

TEST_F(StateDirTest, TheLabPlanetFileIsAdopted) {
  const auto bytes = read_bytes(fs::path(ZTKIT_CAPTURES_DIR) / "planet");
  ASSERT_EQ(bytes.size(), 257u);
  fs::create_directories(root_);
  write_raw(root_ / "planet", bytes);
  state_dir d = open_dir();
  planet_choice c = d.load_planet();
  EXPECT_EQ(c.from, planet_choice::source::file) << c.file_problem;
  EXPECT_EQ(c.planet.id, 0x5a544c4142u);
  ASSERT_EQ(c.planet.roots.size(), 1u);
  EXPECT_EQ(c.planet.roots[0].identity.address().to_string(), "9f5c568a3f");
  EXPECT_EQ(c.planet.serialize(), bytes);
}

TEST_F(StateDirTest, ASavedEarthPlanetIsAdopted) {
  // zerotier-one writes the planet it runs with back to `planet`: the stock Earth, whose
  // signature is by the previous Earth key, must still load.
  state_dir d = open_dir();
  ASSERT_TRUE(d.save_planet(wire::earth_planet()).ok());
  planet_choice c = d.load_planet();
  EXPECT_EQ(c.from, planet_choice::source::file);
  EXPECT_EQ(c.planet, wire::earth_planet());
}

TEST_F(StateDirTest, CustomPlanetAndTheUpdateRule) {
  const identity root_id = capture_identity("root");
  const auto key = crypto::c25519_generate();
  const world custom = make_world(world::type::planet, 0x1234, 1000, key, key, root_id);
  state_dir d = open_dir();
  ASSERT_TRUE(d.save_planet(custom).ok());
  EXPECT_EQ(read_bytes(root_ / "planet"), custom.serialize());
  planet_choice c = d.load_planet();
  EXPECT_EQ(c.from, planet_choice::source::file) << c.file_problem;
  EXPECT_EQ(c.planet, custom);

  // A built-in planet of the same ID, newer and signed by the file's key, replaces it.
  const world newer = make_world(world::type::planet, 0x1234, 2000, key, key, root_id);
  c = d.load_planet(newer);
  EXPECT_EQ(c.from, planet_choice::source::builtin);
  EXPECT_EQ(c.planet, newer);
  // An older built-in does not.
  const world older = make_world(world::type::planet, 0x1234, 500, key, key, root_id);
  EXPECT_EQ(d.load_planet(older).from, planet_choice::source::file);

  // Updates: only newer, same ID, signed by the current update key.
  world current = custom;
  const auto other = crypto::c25519_generate();
  auto r = d.accept_world_update(current, make_world(world::type::planet, 0x1234, 3000, key,
                                                     other, root_id));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r) << "update signed by a stranger accepted";
  r = d.accept_world_update(current, older);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r) << "older update accepted";
  r = d.accept_world_update(
      current, make_world(world::type::planet, 0x9999, 3000, key, key, root_id));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r) << "update of another ID accepted";
  EXPECT_EQ(current, custom);
  EXPECT_EQ(read_bytes(root_ / "planet"), custom.serialize());

  r = d.accept_world_update(current, newer);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_TRUE(*r);
  EXPECT_EQ(current, newer);
  EXPECT_EQ(d.load_planet().planet, newer);
  EXPECT_EQ(d.corrupt_files(), 0u);
}

TEST_F(StateDirTest, CorruptPlanetFilesAreIgnoredWithAReason) {
  const auto bytes = read_bytes(fs::path(ZTKIT_CAPTURES_DIR) / "planet");
  ASSERT_FALSE(bytes.empty());
  fs::create_directories(root_);
  state_dir d = open_dir();
  std::uint64_t expected_count = 0;
  auto expect_ignored = [&](std::span<const std::uint8_t> content, const std::string& label,
                            const std::string& reason) {
    write_raw(root_ / "planet", content);
    planet_choice c = d.load_planet();
    EXPECT_EQ(c.from, planet_choice::source::builtin) << label;
    EXPECT_EQ(c.planet, wire::earth_planet()) << label;
    EXPECT_NE(c.file_problem.find((root_ / "planet").string()), std::string::npos)
        << label << ": " << c.file_problem;
    EXPECT_NE(c.file_problem.find(reason), std::string::npos) << label << ": " << c.file_problem;
    EXPECT_EQ(d.corrupt_files(), ++expected_count) << label;
  };
  // Empty and truncated at every length.
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    expect_ignored(std::span(bytes).first(len), "truncated at " + std::to_string(len),
                   "not a valid world");
  }
  // Trailing garbage.
  auto longer = bytes;
  longer.push_back(0);
  expect_ignored(longer, "one byte more", "not a valid world");
  // A signature byte flipped (type 1 + id 8 + ts 8 + key 64 = signature at 81).
  auto bad_sig = bytes;
  bad_sig[81 + 10] ^= 0x01;
  expect_ignored(bad_sig, "bad signature", "signature");
  // A field under the signature changed (the timestamp).
  auto bad_ts = bytes;
  bad_ts[16] ^= 0x01;
  expect_ignored(bad_ts, "changed timestamp", "signature");
  // Signed by someone else's key.
  const auto key = crypto::c25519_generate();
  const auto stranger = crypto::c25519_generate();
  expect_ignored(
      make_world(world::type::planet, 7, 1, key, stranger, capture_identity("root")).serialize(),
      "foreign signature", "signature");
  // A moon is not a planet.
  expect_ignored(
      make_world(world::type::moon, 7, 1, key, key, capture_identity("root")).serialize(),
      "moon as planet", "not a planet");
  ASSERT_FALSE(d.recent_problems().empty());
  EXPECT_LE(d.recent_problems().size(), state_dir::max_recent_problems);
}

// --- moons.d ---------------------------------------------------------------------------------

TEST_F(StateDirTest, MoonsRoundTrip) {
  const auto key = crypto::c25519_generate();
  const world moon = make_world(world::type::moon, 0xdeadbeef00112233ULL, 5, key, key,
                                capture_identity("root"));
  const world moon2 = make_world(world::type::moon, 0x42, 6, key, key, capture_identity("ctl"));
  state_dir d = open_dir();
  EXPECT_TRUE(d.list_moons().empty());
  ASSERT_TRUE(d.save_moon(moon).ok());
  ASSERT_TRUE(d.save_moon(moon2).ok());
  EXPECT_FALSE(d.save_moon(wire::earth_planet()).ok());  // a planet is not a moon
  EXPECT_TRUE(fs::exists(root_ / "moons.d" / "deadbeef00112233.moon"));
  EXPECT_TRUE(fs::exists(root_ / "moons.d" / "0000000000000042.moon"));
  EXPECT_EQ(d.list_moons(), (std::vector<std::uint64_t>{0x42, 0xdeadbeef00112233ULL}));
  auto back = d.load_moon(0xdeadbeef00112233ULL);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(*back, moon);
  EXPECT_EQ(d.load_moons().size(), 2u);

  // Update rule on a moon writes moons.d.
  world current = moon;
  const world newer = make_world(world::type::moon, moon.id, 50, key, key,
                                 capture_identity("tap-a"));
  auto r = d.accept_world_update(current, newer);
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ(*d.load_moon(moon.id), newer);

  ASSERT_TRUE(d.remove_moon(0x42).ok());
  EXPECT_TRUE(d.remove_moon(0x42).ok());  // already gone: fine
  EXPECT_EQ(d.list_moons(), (std::vector<std::uint64_t>{moon.id}));
  EXPECT_EQ(d.corrupt_files(), 0u);
}

TEST_F(StateDirTest, CorruptMoonsAreSkippedWithAReason) {
  const auto key = crypto::c25519_generate();
  const world moon = make_world(world::type::moon, 0x77, 5, key, key, capture_identity("root"));
  state_dir d = open_dir();
  ASSERT_TRUE(d.save_moon(moon).ok());
  // Not ours: ignored entirely.
  write_raw(root_ / "moons.d" / "README", "x");
  write_raw(root_ / "moons.d" / "00000000000000AB.moon", "x");
  // Truncated.
  auto bytes = moon.serialize();
  write_raw(root_ / "moons.d" / "0000000000000001.moon", std::span(bytes).first(bytes.size() - 1));
  // Right bytes under another ID's name.
  write_raw(root_ / "moons.d" / "0000000000000002.moon", bytes);
  // Signature broken.
  auto bad = make_world(world::type::moon, 3, 5, key, key, capture_identity("root")).serialize();
  bad[81] ^= 0x80;
  write_raw(root_ / "moons.d" / "0000000000000003.moon", bad);
  EXPECT_EQ(d.list_moons(), (std::vector<std::uint64_t>{1, 2, 3, 0x77}));

  auto m1 = d.load_moon(1);
  ASSERT_FALSE(m1.ok());
  EXPECT_EQ(m1.code(), errc::data_loss);
  EXPECT_NE(m1.message().find("0000000000000001.moon"), std::string::npos) << m1.message();
  auto m2 = d.load_moon(2);
  ASSERT_FALSE(m2.ok());
  EXPECT_NE(m2.message().find("holds moon 0000000000000077"), std::string::npos) << m2.message();
  auto m3 = d.load_moon(3);
  ASSERT_FALSE(m3.ok());
  EXPECT_NE(m3.message().find("signature"), std::string::npos) << m3.message();
  EXPECT_EQ(d.corrupt_files(), 3u);

  const auto all = d.load_moons();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], moon);
  EXPECT_EQ(d.corrupt_files(), 6u);
  auto missing = d.load_moon(9);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), errc::not_found);
  EXPECT_EQ(d.corrupt_files(), 6u);  // a missing file is not corrupt
}

// --- peers.d ---------------------------------------------------------------------------------

peer_cache_entry lab_peer() {
  peer_cache_entry e;
  auto full = capture_identity("tap-a");
  auto pub = identity::from_string(full.to_string(false));
  e.identity = *pub;
  e.proto = 12;
  e.major = 1;
  e.minor = 14;
  e.revision = 1;
  e.paths.push_back(inet_address::v4({172, 30, 99, 11}, 29992));
  std::array<std::uint8_t, 16> v6{};
  v6[0] = 0xfd;
  v6[15] = 0x01;
  e.paths.push_back(inet_address::v6(v6, 9993));
  return e;
}

// The same entry written by hand from the layout in zerotier-protocol.md §7.
std::vector<std::uint8_t> lab_peer_bytes() {
  std::vector<std::uint8_t> b{2};                           // format
  b.insert(b.end(), {0xb0, 0x86, 0x0c, 0xaa, 0x65});        // address
  b.push_back(0);                                           // identity type 0
  const auto f = fields_of(capture_secret("tap-a"));
  for (std::size_t i = 0; i < 128; i += 2) {                // 64-byte public key
    b.push_back(static_cast<std::uint8_t>(std::stoi(f[2].substr(i, 2), nullptr, 16)));
  }
  b.push_back(0);                                           // no private key
  b.insert(b.end(), {0, 12, 0, 1, 0, 14, 0, 1});            // proto, major, minor, revision
  b.insert(b.end(), {0, 2});                                // two paths
  b.insert(b.end(), {4, 172, 30, 99, 11, 0x75, 0x28});      // 172.30.99.11/29992
  b.push_back(6);                                           // fd00::1/9993
  b.push_back(0xfd);
  b.insert(b.end(), 14, 0);
  b.push_back(1);
  b.insert(b.end(), {0x27, 0x09});
  return b;
}

TEST_F(StateDirTest, PeerCacheLayoutIsByteExact) {
  const peer_cache_entry e = lab_peer();
  const auto expected = lab_peer_bytes();
  ASSERT_EQ(expected.size(), 1u + 71 + 8 + 2 + 7 + 19);
  EXPECT_EQ(e.serialize(), expected);
  EXPECT_EQ(e.buffer_len(), expected.size());
  auto parsed = peer_cache_entry::parse(expected);
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  EXPECT_EQ(*parsed, e);

  // A private key is never written to the cache.
  peer_cache_entry with_secret = e;
  with_secret.identity = capture_identity("tap-a");
  EXPECT_EQ(with_secret.serialize(), expected);

  state_dir d = open_dir();
  ASSERT_TRUE(d.save_peer(e).ok());
  EXPECT_EQ(read_bytes(root_ / "peers.d" / "b0860caa65.peer"), expected);
  EXPECT_EQ(d.list_peers(), (std::vector<zt_address>{e.identity.address()}));
  auto back = d.load_peer(e.identity.address());
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(*back, e);

  // No paths at all.
  peer_cache_entry bare = e;
  bare.paths.clear();
  auto bare_bytes = bare.serialize();
  EXPECT_EQ(bare_bytes.size(), 1u + 71 + 10);
  EXPECT_EQ(*peer_cache_entry::parse(bare_bytes), bare);
}

TEST_F(StateDirTest, PeerCacheTruncatedAtEveryLengthIsAnError) {
  const auto bytes = lab_peer_bytes();
  state_dir d = open_dir();
  fs::create_directories(root_ / "peers.d");
  const fs::path p = root_ / "peers.d" / "b0860caa65.peer";
  for (std::size_t len = 0; len < bytes.size(); ++len) {
    const auto prefix = std::span(bytes).first(len);
    auto r = peer_cache_entry::parse(prefix);
    ASSERT_FALSE(r.ok()) << "parsed at length " << len;
    EXPECT_FALSE(r.message().empty());
    write_raw(p, prefix);
    auto l = d.load_peer(capture_identity("tap-a").address());
    ASSERT_FALSE(l.ok()) << "loaded at length " << len;
    EXPECT_EQ(l.code(), errc::data_loss);
    EXPECT_NE(l.message().find(p.string()), std::string::npos) << l.message();
    EXPECT_EQ(d.corrupt_files(), len + 1);
  }
}

TEST_F(StateDirTest, PeerCacheRejectsWhatItCannotTrust) {
  const auto bytes = lab_peer_bytes();
  auto expect_bad = [](std::vector<std::uint8_t> b, const std::string& label,
                       const std::string& reason) {
    auto r = peer_cache_entry::parse(b);
    ASSERT_FALSE(r.ok()) << label;
    EXPECT_NE(r.message().find(reason), std::string::npos) << label << ": " << r.message();
  };
  auto b = bytes;
  b[0] = 1;
  expect_bad(b, "format 1", "unknown format 1");
  b = bytes;
  b.push_back(0);
  expect_bad(b, "trailing byte", "1 trailing bytes");
  b = bytes;
  b[1 + 71 + 8] = 0;  // path count 65
  b[1 + 71 + 9] = 65;
  expect_bad(b, "65 paths", "at most 64");
  b = bytes;
  b[1 + 71 + 10] = 9;  // unknown InetAddress type
  expect_bad(b, "address type 9", "path 0");
  // An identity with its private key in a peer file.
  {
    std::vector<std::uint8_t> s{2};
    capture_identity("tap-a").serialize(s, true);
    s.insert(s.end(), {0, 12, 0, 1, 0, 14, 0, 1, 0, 0});
    expect_bad(s, "private key", "private key");
  }

  state_dir d = open_dir();
  fs::create_directories(root_ / "peers.d");
  // Under another address's name.
  write_raw(root_ / "peers.d" / "e85a5ec4f8.peer", bytes);
  auto r = d.load_peer(capture_identity("tap-b").address());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("holds the identity of b0860caa65"), std::string::npos)
      << r.message();
  // A public key byte flipped: parses, but the identity no longer validates.
  b = bytes;
  b[1 + 6 + 20] ^= 0x01;
  ASSERT_TRUE(peer_cache_entry::parse(b).ok());
  write_raw(root_ / "peers.d" / "b0860caa65.peer", b);
  r = d.load_peer(capture_identity("tap-a").address());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("does not validate"), std::string::npos) << r.message();
  EXPECT_EQ(d.corrupt_files(), 2u);
  // Missing: not found, not corrupt.
  r = d.load_peer(zt_address(0x0102030405));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), errc::not_found);
  EXPECT_EQ(d.corrupt_files(), 2u);
}

TEST_F(StateDirTest, PeerCacheExpiresAfterThirtyDays) {
  state_dir d = open_dir();
  const std::int64_t now = 1795558698040;  // the lab capture's planet timestamp
  const std::int64_t day = 24LL * 3600 * 1000;
  peer_cache_entry a = lab_peer();
  peer_cache_entry b = lab_peer();
  b.identity = *identity::from_string(capture_identity("tap-b").to_string(false));
  peer_cache_entry c = lab_peer();
  c.identity = *identity::from_string(capture_identity("ctl").to_string(false));
  ASSERT_TRUE(d.save_peer(a).ok());
  ASSERT_TRUE(d.save_peer(b).ok());
  ASSERT_TRUE(d.save_peer(c).ok());
  write_raw(root_ / "peers.d" / "junk", "x");
  write_raw(root_ / "peers.d" / "BADNAME.peer", "x");
  EXPECT_EQ(d.list_peers().size(), 3u);
  set_mtime_ms(root_ / "peers.d" / "b0860caa65.peer", now - 31 * day);
  set_mtime_ms(root_ / "peers.d" / "e85a5ec4f8.peer", now - 29 * day);
  set_mtime_ms(root_ / "peers.d" / "47017ef593.peer", now);
  set_mtime_ms(root_ / "peers.d" / "junk", now - 40 * day);
  set_mtime_ms(root_ / "peers.d" / "BADNAME.peer", now - 1 * day);

  EXPECT_EQ(d.expire_peers(now), 2u);  // tap-a and the junk file
  EXPECT_EQ(d.list_peers(),
            (std::vector<zt_address>{c.identity.address(), b.identity.address()}));
  EXPECT_FALSE(fs::exists(root_ / "peers.d" / "junk"));
  EXPECT_TRUE(fs::exists(root_ / "peers.d" / "BADNAME.peer"));
  EXPECT_EQ(d.expire_peers(now), 0u);
  // Exactly 30 days old is kept (older than, as OneService).
  set_mtime_ms(root_ / "peers.d" / "e85a5ec4f8.peer", now - 30 * day);
  EXPECT_EQ(d.expire_peers(now), 0u);
  EXPECT_EQ(d.expire_peers(now + 1), 1u);

  ASSERT_TRUE(d.remove_peer(c.identity.address()).ok());
  EXPECT_TRUE(d.remove_peer(c.identity.address()).ok());
  EXPECT_TRUE(d.list_peers().empty());
}

// --- networks.d ------------------------------------------------------------------------------

TEST_F(StateDirTest, NetworksRoundTrip) {
  const std::uint64_t nwid = 0x47017ef593c0ffeeULL;
  state_dir d = open_dir();
  EXPECT_TRUE(d.list_networks().empty());
  ASSERT_TRUE(d.add_network(nwid).ok());
  const fs::path p = root_ / "networks.d" / "47017ef593c0ffee.conf";
  EXPECT_EQ(read_text(p), "\n");
  auto placeholder = d.load_network_config(nwid);
  ASSERT_TRUE(placeholder.ok());
  EXPECT_TRUE(state_dir::is_placeholder(*placeholder));

  const std::string dict = "v=6\nnwid=47017ef593c0ffee\nn=ztlab\n\x01\x02 binary\x00ok";
  const std::vector<std::uint8_t> conf(dict.begin(), dict.end());
  ASSERT_TRUE(d.save_network_config(nwid, conf).ok());
  EXPECT_EQ(read_bytes(p), conf);
  auto back = d.load_network_config(nwid);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, conf);
  EXPECT_FALSE(state_dir::is_placeholder(*back));
  // Joining again keeps the config.
  ASSERT_TRUE(d.add_network(nwid).ok());
  EXPECT_EQ(read_bytes(p), conf);

  write_raw(root_ / "networks.d" / "47017ef593c0ffee.local.conf", "allowManaged=1\n");
  ASSERT_TRUE(d.add_network(0x1).ok());
  EXPECT_EQ(d.list_networks(), (std::vector<std::uint64_t>{0x1, nwid}));
  ASSERT_TRUE(d.remove_network(nwid).ok());
  EXPECT_TRUE(d.remove_network(nwid).ok());
  EXPECT_EQ(d.list_networks(), (std::vector<std::uint64_t>{0x1}));
  auto gone = d.load_network_config(nwid);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.code(), errc::not_found);
  EXPECT_TRUE(temp_files_below(root_).empty());
}

// --- atomic files ----------------------------------------------------------------------------

TEST_F(StateDirTest, AtomicWriteReplacesAtomicallyAndLeavesNoTemporaries) {
  const fs::path p = tmp_ / "file";
  ASSERT_TRUE(atomic_write(p, std::string_view("old contents"), 0600).ok());
  EXPECT_EQ(read_text(p), "old contents");
  EXPECT_EQ(mode_of(p), 0600u);

  // A reader holding the old file keeps seeing all of the old file: the new one is a new inode
  // renamed over the name, never the old one rewritten in place.
  const int fd = ::open(p.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  struct stat before {};
  ASSERT_EQ(::fstat(fd, &before), 0);
  ASSERT_TRUE(atomic_write(p, std::string_view("new, longer contents"), 0644).ok());
  char buf[64] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  ::close(fd);
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "old contents");
  struct stat after {};
  ASSERT_EQ(::stat(p.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(read_text(p), "new, longer contents");
  EXPECT_EQ(mode_of(p), 0644u);

  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(atomic_write(p, std::to_string(i), 0644).ok());
    EXPECT_EQ(read_text(p), std::to_string(i));
  }
  const std::vector<std::uint8_t> empty;
  ASSERT_TRUE(atomic_write(p, empty, 0644).ok());
  EXPECT_EQ(fs::file_size(p), 0u);

  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(tmp_)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"file"}));
}

TEST_F(StateDirTest, AtomicWriteFailuresNameThePathAndCleanUp) {
  // Folder does not exist.
  auto s = atomic_write(tmp_ / "nope" / "file", std::string_view("x"), 0644);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), errc::io_error);
  EXPECT_NE(s.message().find((tmp_ / "nope" / "file").string()), std::string::npos)
      << s.message();
  // The target is a non-empty folder: the rename fails after the temporary file was written.
  fs::create_directories(tmp_ / "target" / "inside");
  s = atomic_write(tmp_ / "target", std::string_view("x"), 0644);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rename"), std::string::npos) << s.message();
  EXPECT_TRUE(fs::is_directory(tmp_ / "target" / "inside"));
  EXPECT_TRUE(temp_files_below(tmp_).empty());
}

TEST_F(StateDirTest, ReadFileErrorsAreClear) {
  auto r = read_file(tmp_ / "missing", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), errc::not_found);
  EXPECT_NE(r.message().find((tmp_ / "missing").string()), std::string::npos);
  EXPECT_NE(r.message().find("No such file"), std::string::npos) << r.message();

  write_raw(tmp_ / "big", std::string(101, 'x'));
  r = read_file(tmp_ / "big", 100);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), errc::data_loss);
  EXPECT_NE(r.message().find("larger than 100 bytes"), std::string::npos) << r.message();
  r = read_file(tmp_ / "big", 101);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 101u);

  r = read_file(tmp_, 100);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("not a regular file"), std::string::npos) << r.message();

  write_raw(tmp_ / "empty", "");
  r = read_file(tmp_ / "empty", 100);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace ztkit::ctrl
