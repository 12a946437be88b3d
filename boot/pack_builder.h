// Builds the boot pack (kernel/abi/boot_pack.h): places each domain's image
// and generated device tree in its memory, then lays out header, domain
// table, manifest text and blobs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "boot/manifest.h"
#include "kernel/abi/boot_pack.h"

namespace septum::boot {

struct PlacedDomain {
  abi::BootPackDomain record;  // everything but the pack offsets
  std::vector<uint8_t> image;
  std::vector<uint8_t> dtb;
};

// Puts `image` at its text_offset in the domain's memory and the device tree
// in its last 2 MiB. Returns the problem (not an arm64 Image, does not fit) on the
// manifest line it is about.
std::optional<Diagnostic> place_domain(const DomainSpec& spec, std::vector<uint8_t> image, PlacedDomain& out);

// The pack, checked with the core's own reader before it is returned; a
// rejection there is a bug in this builder and throws std::logic_error.
std::vector<uint8_t> build_pack(std::string_view manifest_text, std::span<const PlacedDomain> domains);

}  // namespace septum::boot
