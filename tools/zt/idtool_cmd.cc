// `zt idtool`: zerotier-idtool's identity commands on ztkit's public API (include/ztkit/identity.h),
// with the same text forms: generate, validate, getpublic, sign, verify.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "tools/zt/commands.h"
#include "ztkit/identity.h"

namespace ztkit::tools {

namespace {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  out = s.str();
  return true;
}

std::optional<Identity> load(const std::string& path, const char* cmd, int& exit_code) {
  std::string text;
  if (!read_file(path, text)) {
    std::fprintf(stderr, "zt idtool %s: cannot read %s\n", cmd, path.c_str());
    exit_code = 1;
    return std::nullopt;
  }
  auto id = Identity::parse(text);
  if (!id) {
    std::fprintf(stderr, "zt idtool %s: %s: %s\n", cmd, path.c_str(), id.error().message.c_str());
    exit_code = 1;
    return std::nullopt;
  }
  return std::move(*id);
}

std::span<const std::byte> bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

}  // namespace

void add_idtool_command(CLI::App& app, int& exit_code) {
  CLI::App* tool = app.add_subcommand("idtool", "ZeroTier identities (like zerotier-idtool)");
  tool->require_subcommand(1);

  auto gen = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* g = tool->add_subcommand("generate", "Make an identity; print it, or write identity.secret/.public files");
  g->add_option("secret_file", gen->first, "Where to write the secret identity (mode 0600)");
  g->add_option("public_file", gen->second, "Where to write the public identity");
  g->callback([gen, &exit_code] {
    const Identity id = Identity::generate();
    if (gen->first.empty()) {
      std::printf("%s\n", id.to_string(true).c_str());
      return;
    }
    const auto write = [&](const std::string& path, const std::string& text, mode_t mode) {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      f << text;
      if (!f) return false;
      f.close();
      return ::chmod(path.c_str(), mode) == 0;
    };
    if (!write(gen->first, id.to_string(true), 0600)) {
      std::fprintf(stderr, "zt idtool generate: cannot write %s\n", gen->first.c_str());
      exit_code = 1;
      return;
    }
    std::printf("%s written\n", gen->first.c_str());
    if (!gen->second.empty()) {
      if (!write(gen->second, id.to_string(false), 0644)) {
        std::fprintf(stderr, "zt idtool generate: cannot write %s\n", gen->second.c_str());
        exit_code = 1;
        return;
      }
      std::printf("%s written\n", gen->second.c_str());
    }
  });

  auto vfile = std::make_shared<std::string>();
  CLI::App* v = tool->add_subcommand("validate", "Check that an identity's address derives from its key");
  v->add_option("identity", *vfile, "identity.secret or identity.public")->required();
  v->callback([vfile, &exit_code] {
    auto id = load(*vfile, "validate", exit_code);
    if (!id) return;
    if (auto ok = id->validate(); !ok) {
      std::printf("%s FAILED validation (%s)\n", vfile->c_str(), ok.error().message.c_str());
      exit_code = 1;
      return;
    }
    std::printf("%s is a valid identity\n", vfile->c_str());
  });

  auto pfile = std::make_shared<std::string>();
  CLI::App* p = tool->add_subcommand("getpublic", "Print the public form of an identity");
  p->add_option("identity", *pfile, "identity.secret")->required();
  p->callback([pfile, &exit_code] {
    auto id = load(*pfile, "getpublic", exit_code);
    if (id) std::printf("%s\n", id->to_string(false).c_str());
  });

  auto sargs = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* s = tool->add_subcommand("sign", "Sign a file; print the signature (hex)");
  s->add_option("identity", sargs->first, "identity.secret")->required();
  s->add_option("file", sargs->second, "The file to sign")->required();
  s->callback([sargs, &exit_code] {
    auto id = load(sargs->first, "sign", exit_code);
    if (!id) return;
    std::string data;
    if (!read_file(sargs->second, data)) {
      std::fprintf(stderr, "zt idtool sign: cannot read %s\n", sargs->second.c_str());
      exit_code = 1;
      return;
    }
    auto sig = id->sign(bytes(data));
    if (!sig) {
      std::fprintf(stderr, "zt idtool sign: %s\n", sig.error().message.c_str());
      exit_code = 1;
      return;
    }
    std::printf("%s\n", sig->c_str());
  });

  struct verify_args {
    std::string identity, file, signature;
  };
  auto va = std::make_shared<verify_args>();
  CLI::App* vf = tool->add_subcommand("verify", "Check a file's signature");
  vf->add_option("identity", va->identity, "identity.public or identity.secret")->required();
  vf->add_option("file", va->file, "The signed file")->required();
  vf->add_option("signature", va->signature, "The signature (hex)")->required();
  vf->callback([va, &exit_code] {
    auto id = load(va->identity, "verify", exit_code);
    if (!id) return;
    std::string data;
    if (!read_file(va->file, data)) {
      std::fprintf(stderr, "zt idtool verify: cannot read %s\n", va->file.c_str());
      exit_code = 1;
      return;
    }
    if (id->verify(bytes(data), va->signature)) {
      std::printf("%s signature valid\n", va->file.c_str());
    } else {
      std::printf("%s signature check FAILED\n", va->file.c_str());
      exit_code = 1;
    }
  });
}

}  // namespace ztkit::tools
