// mkboot: validates a boot manifest and packs the core, the manifest and the
// domain images into one boot image (boot/README.md). Every problem with the
// inputs is reported as FILE:LINE: reason and exits with status 2.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "boot/boot_elf.h"
#include "boot/manifest.h"
#include "boot/pack_builder.h"

namespace septum::boot {
namespace {

constexpr int kExitInvalid = 2;
constexpr int kExitInternalError = 1;

constexpr char kUsage[] =
    "usage: mkboot --manifest M [--image LABEL=PATH ...] [--core CORE.elf --output BOOT.elf] [--pack-output PACK]\n"
    "       mkboot --check M [--image LABEL=PATH ...]\n"
    "       mkboot --labels M\n"
    "Images and initrds named by Bazel labels in the manifest are mapped to files with\n"
    "--image; --labels prints those labels, one a line, for the caller to build.\n";

enum class Mode { build, check, labels };

struct Options {
  std::string manifest;
  Mode mode = Mode::build;
  std::string core;
  std::string output;
  std::string pack_output;
  std::map<std::string, std::string> images;  // canonical label -> path
};

// Returns why the arguments are unusable, or "".
std::string parse_options(std::span<char*> args, Options& options) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    if (i + 1 == args.size()) return "missing value after " + std::string(flag);
    std::string value = args[++i];
    if (flag == "--manifest" || flag == "--check" || flag == "--labels") {
      if (!options.manifest.empty()) return "one manifest at a time";
      options.manifest = value;
      options.mode = flag == "--check" ? Mode::check : flag == "--labels" ? Mode::labels : Mode::build;
    } else if (flag == "--core") {
      options.core = value;
    } else if (flag == "--output") {
      options.output = value;
    } else if (flag == "--pack-output") {
      options.pack_output = value;
    } else if (flag == "--image") {
      size_t equals = value.find('=');
      if (equals == std::string::npos || !is_label(value.substr(0, equals))) return "--image wants LABEL=PATH";
      auto [it, inserted] = options.images.emplace(canonical_label(value.substr(0, equals)), value.substr(equals + 1));
      if (!inserted) return "--image " + it->first + " given twice";
    } else {
      return "unknown option " + std::string(flag);
    }
  }
  if (options.manifest.empty()) return "no manifest";
  bool writes = !options.core.empty() || !options.output.empty() || !options.pack_output.empty();
  if (options.mode == Mode::labels && !options.images.empty()) return "--labels takes no --image";
  if (options.mode != Mode::build && writes) return "--check and --labels write nothing";
  if (options.mode == Mode::build && !writes) return "nothing to write: give --core and --output, or --pack-output";
  if (options.core.empty() != options.output.empty()) return "--core and --output go together";
  return "";
}

// Returns why the file cannot be read, or "".
std::string read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return "cannot read " + path + ": " + std::strerror(errno);
  out.clear();
  uint8_t buffer[65536];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) out.insert(out.end(), buffer, buffer + n);
  bool failed = std::ferror(file) != 0;
  int error = errno;
  std::fclose(file);
  return failed ? "cannot read " + path + ": " + std::strerror(error) : "";
}

// Returns why the file cannot be written, or "".
std::string write_file(const std::string& path, std::span<const uint8_t> bytes) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return "cannot write " + path + ": " + std::strerror(errno);
  bool failed = std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size();
  failed = std::fclose(file) != 0 || failed;
  return failed ? "cannot write " + path + ": " + std::strerror(errno) : "";
}

void report(const std::string& file, const std::vector<Diagnostic>& problems) {
  for (const Diagnostic& problem : problems) {
    if (problem.line == 0) {
      std::fprintf(stderr, "%s: %s\n", file.c_str(), problem.reason.c_str());
    } else {
      std::fprintf(stderr, "%s:%d: %s\n", file.c_str(), problem.line, problem.reason.c_str());
    }
  }
}

int fail(const std::string& reason) {
  std::fprintf(stderr, "mkboot: %s\n", reason.c_str());
  return kExitInvalid;
}

// The file a manifest names (`what` is "image" or "initrd"): a label mapped
// with --image, or a path relative to the manifest. Reads it into `out`, or
// returns the problem on `line`.
std::optional<Diagnostic> read_named_file(const Options& options, std::string_view what, const std::string& name,
                                          int line, std::vector<uint8_t>& out) {
  std::string path = (std::filesystem::path(options.manifest).parent_path() / name).string();
  std::string subject = std::string(what) + " '" + name + "'";
  if (is_label(name)) {
    auto mapped = options.images.find(canonical_label(name));
    if (mapped == options.images.end()) {
      return Diagnostic{line, subject + " is a label; give its file with --image " + canonical_label(name) + "=PATH"};
    }
    path = mapped->second;
  }
  if (std::string reason = read_file(path, out); !reason.empty()) return Diagnostic{line, subject + ": " + reason};
  return std::nullopt;
}

// Reads each domain's image and initrd and places them in the domain's memory.
std::vector<Diagnostic> place_domains(const Options& options, const Manifest& manifest,
                                      std::vector<PlacedDomain>& placed) {
  std::vector<Diagnostic> problems;
  placed.resize(manifest.domains.size());
  for (size_t i = 0; i < manifest.domains.size(); ++i) {
    const DomainSpec& spec = manifest.domains[i];
    std::vector<uint8_t> image, initrd;
    auto image_problem = read_named_file(options, "image", spec.image, spec.image_line, image);
    if (image_problem) problems.push_back(std::move(*image_problem));
    std::optional<Diagnostic> initrd_problem;
    if (!spec.initrd.empty()) initrd_problem = read_named_file(options, "initrd", spec.initrd, spec.initrd_line, initrd);
    if (initrd_problem) problems.push_back(std::move(*initrd_problem));
    if (image_problem || initrd_problem) continue;
    if (auto problem = place_domain(spec, std::move(image), std::move(initrd), placed[i])) {
      problems.push_back(std::move(*problem));
    } else if (auto limitation = pack_limitation(spec, placed[i])) {
      problems.push_back(std::move(*limitation));
    }
  }
  return problems;
}

int run(const Options& options) {
  std::vector<uint8_t> manifest_bytes;
  if (std::string reason = read_file(options.manifest, manifest_bytes); !reason.empty()) return fail(reason);
  std::string_view text(reinterpret_cast<const char*>(manifest_bytes.data()), manifest_bytes.size());

  Manifest manifest;
  std::vector<Diagnostic> problems = parse_manifest(text, manifest);
  std::set<std::string> named;
  for (const DomainSpec& spec : manifest.domains) {
    for (const std::string& file : {spec.image, spec.initrd}) {
      if (is_label(file)) named.insert(canonical_label(file));
    }
  }
  if (problems.empty() && options.mode == Mode::labels) {
    for (const std::string& label : named) std::printf("%s\n", label.c_str());
    return 0;
  }
  if (problems.empty()) {
    for (const auto& [label, path] : options.images) {
      if (!named.contains(label)) problems.push_back({0, "--image " + label + " is not an image of this manifest"});
    }
  }
  std::vector<PlacedDomain> placed;
  if (problems.empty()) problems = place_domains(options, manifest, placed);
  if (!problems.empty()) {
    report(options.manifest, problems);
    return kExitInvalid;
  }
  if (options.mode == Mode::check) {
    std::printf("%s: ok, %zu domain%s\n", options.manifest.c_str(), manifest.domains.size(),
                manifest.domains.size() == 1 ? "" : "s");
    return 0;
  }

  std::vector<uint8_t> pack = build_pack(text, placed);
  if (!options.pack_output.empty()) {
    if (std::string reason = write_file(options.pack_output, pack); !reason.empty()) return fail(reason);
  }
  if (options.core.empty()) return 0;
  std::vector<uint8_t> core;
  if (std::string reason = read_file(options.core, core); !reason.empty()) return fail(reason);
  BootElf boot_elf;
  Status status = build_boot_elf(core, pack, boot_elf);
  if (!status) return fail(options.core + ": " + std::string(status.message()));
  if (std::string reason = write_file(options.output, boot_elf.bytes); !reason.empty()) return fail(reason);
  return 0;
}

}  // namespace
}  // namespace septum::boot

int main(int argc, char** argv) {
  using namespace septum::boot;
  std::span<char*> args(argv + (argc > 0), argc > 0 ? static_cast<size_t>(argc - 1) : 0);
  if (args.size() == 1 && (std::string_view(args[0]) == "--help" || std::string_view(args[0]) == "-h")) {
    std::printf("%s", kUsage);
    return 0;
  }
  Options options;
  std::string usage_error = parse_options(args, options);
  if (!usage_error.empty()) {
    std::fprintf(stderr, "mkboot: %s\n%s", usage_error.c_str(), kUsage);
    return kExitInvalid;
  }
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mkboot: internal error: %s\n", e.what());
    return kExitInternalError;
  }
}
