// The boot manifest: which domains the core creates at boot. The grammar is
// in boot/README.md. Parsing checks everything that can be checked without
// the domain images; errors carry the line they are about.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/abi/boot_pack.h"
#include "kernel/abi/guest_platform.h"

namespace septum::boot {

// One problem in an input file; line 0 means the file as a whole.
struct Diagnostic {
  int line;
  std::string reason;
  bool operator==(const Diagnostic&) const = default;
};

// Guest RAM must end within this many bits of IPA; the core checks what the
// CPU it runs on allows.
inline constexpr uint32_t kManifestIpaBits = 48;

// What the domain's image is: a program built with Septum's SDK, or an arm64
// Linux kernel (which may have an initrd).
enum class ImageKind { sdk, linux_kernel };
inline constexpr std::string_view kImageKindNames[] = {"sdk", "linux"};  // manifest spelling, by value

struct DomainSpec {
  std::string name;
  int line = 0;  // of its [domain NAME] header
  abi::DomainRole role = abi::DomainRole::guest;
  ImageKind kind = ImageKind::sdk;
  std::string image;  // a path relative to the manifest, or a Bazel label ("//pkg:name")
  int image_line = 0;
  std::string initrd;  // like image; empty = none (kind linux only)
  int initrd_line = 0;
  uint64_t memory_size = 0;
  int memory_line = 0;
  uint32_t vcpus = 1;
  uint64_t affinity = 0;  // bit i = physical CPU i; 0 = any
  bool critical = false;
  std::string bootargs;
  uint64_t ipa_base = abi::kGuestRamBase;
  uint64_t budget_us = 0;  // 0 with period_us 0: best effort
  uint64_t period_us = 0;
};

struct Manifest {
  std::vector<DomainSpec> domains;
};

// Parses `text` into `out`. Returns every problem found, in line order; the
// manifest is usable only when none is returned.
std::vector<Diagnostic> parse_manifest(std::string_view text, Manifest& out);

// True for an image given as a Bazel label rather than a path.
bool is_label(std::string_view image);

// "//pkg:name" for the spellings of one label Bazel and people use
// ("@//pkg:name", "//pkg" for "//pkg:pkg"), so manifest and command line agree.
std::string canonical_label(std::string_view label);

}  // namespace septum::boot
