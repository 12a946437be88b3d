// libFuzzer target for the boot manifest parser: any text gives problems on
// real lines or a manifest whose every domain is sound, and the domains that
// fit a tiny image always build a pack the core's reader accepts (build_pack
// throws if not).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "boot/manifest.h"
#include "boot/pack_builder.h"
#include "kernel/abi/guest_platform.h"
#include "kernel/boot_pack.h"

namespace septum::boot {
namespace {

// A broken invariant is a finding even when no memory error happens.
void check(bool invariant) {
  if (!invariant) __builtin_trap();
}

// The smallest arm64 Image: a header with image_size 4 KiB and the magic.
std::vector<uint8_t> tiny_image() {
  std::vector<uint8_t> image(Arm64Image::kHeaderSize);
  image[17] = 0x10;
  image[56] = 'A', image[57] = 'R', image[58] = 'M', image[59] = 0x64;
  return image;
}

void check_domain(const DomainSpec& d) {
  check(is_valid_domain_name(d.name));
  check(!d.image.empty() && d.line > 0 && d.image_line > d.line && d.memory_line > d.line);
  check(d.memory_size != 0 && d.memory_size % abi::kGuestRamAlignment == 0);
  check(d.ipa_base != 0 && d.ipa_base % abi::kGuestRamAlignment == 0);
  check(d.memory_size <= (uint64_t{1} << kManifestIpaBits) - d.ipa_base);
  check(d.vcpus >= 1 && d.vcpus <= abi::kMaxVcpusPerDomain);
  check((d.budget_us == 0) == (d.period_us == 0) && d.budget_us <= d.period_us);
  if (is_label(d.image)) (void)canonical_label(d.image);
  check(d.initrd.empty() == (d.initrd_line == 0) && (d.initrd.empty() || d.kind == ImageKind::linux_kernel));
  check(d.ipa_base >= abi::kGuestMagicBase + abi::kGuestMagicSize ||
        d.ipa_base + d.memory_size <= abi::kGuestGrantTableBase);
}

}  // namespace
}  // namespace septum::boot

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace septum::boot;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Manifest manifest;
  std::vector<Diagnostic> problems = parse_manifest(text, manifest);
  int lines = 1;
  for (char c : text) lines += c == '\n';
  int previous = 0;
  for (const Diagnostic& problem : problems) {
    check(problem.line >= previous && problem.line <= lines && !problem.reason.empty());
    previous = problem.line;
  }
  if (!problems.empty()) return 0;

  check(!manifest.domains.empty() && manifest.domains.size() <= septum::abi::kMaxBootDomains);
  std::vector<PlacedDomain> placed;
  for (const DomainSpec& spec : manifest.domains) {
    check_domain(spec);
    // The device tree takes the last 2 MiB; any more memory holds the image,
    // and an initrd needs the 2 MiB after the image's.
    std::vector<uint8_t> initrd;
    if (!spec.initrd.empty()) initrd.push_back(0);
    bool fits = !place_domain(spec, tiny_image(), initrd, placed.emplace_back());
    check(fits == (spec.memory_size > (initrd.empty() ? 1 : 2) * septum::abi::kGuestRamAlignment));
    // Packs cannot carry an initrd yet.
    if (!fits || pack_limitation(spec, placed.back())) placed.pop_back();
  }
  (void)build_pack(text, placed);
  return 0;
}
