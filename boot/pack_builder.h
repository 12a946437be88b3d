// Builds the boot pack (kernel/abi/boot_pack.h): places each domain's image
// and generated device tree in its memory, then lays out header, domain
// table, manifest text and blobs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "boot/manifest.h"
#include "kernel/abi/boot_pack.h"

namespace septum::boot {

struct PlacedDomain {
  abi::BootPackDomain record;  // everything but the pack offsets
  std::vector<uint8_t> image;
  std::vector<uint8_t> dtb;
  std::vector<uint8_t> initrd;  // empty: none
  uint64_t initrd_ipa = 0;      // where it goes, 2 MiB aligned; the device tree's linux,initrd-start
};

// Puts `image` at its text_offset in the domain's memory, the initrd (if the
// spec names one) at the first 2 MiB boundary after the image's effective
// end (BSS included), and the device tree in the last 2 MiB. Returns the
// problem (not an arm64 Image, does not fit) on the manifest line it is about.
std::optional<Diagnostic> place_domain(const DomainSpec& spec, std::vector<uint8_t> image,
                                       std::vector<uint8_t> initrd, PlacedDomain& out);
inline std::optional<Diagnostic> place_domain(const DomainSpec& spec, std::vector<uint8_t> image,
                                              PlacedDomain& out) {
  return place_domain(spec, std::move(image), {}, out);
}

// Why `placed` cannot go into a pack of the current format, if it cannot:
// pack version 1 has no field for an initrd. Proposed (boot/README.md): three
// more fields in abi::BootPackDomain, initrd_offset (8-byte aligned, in the
// pack), initrd_size and initrd_ipa, checked by the core like the device
// tree's; build_pack would then write `initrd` like the other blobs.
std::optional<Diagnostic> pack_limitation(const DomainSpec& spec, const PlacedDomain& placed);

// The pack, checked with the core's own reader before it is returned; a
// rejection there, or a domain pack_limitation() refuses, is a bug in the
// caller or this builder and throws std::logic_error.
std::vector<uint8_t> build_pack(std::string_view manifest_text, std::span<const PlacedDomain> domains);

}  // namespace septum::boot
