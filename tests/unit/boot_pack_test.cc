// The core's boot pack reader: a well-formed pack is read back exactly, and
// every field it validates is rejected, naming the domain and the field.
#include "kernel/boot_pack.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kernel/abi/guest_platform.h"
#include "tests/unit/support.h"

namespace septum {
namespace {

using abi::BootPackDomain;
using abi::BootPackHeader;

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kRamBase = 0x40000000;
constexpr BootPackLimits kLimits{40, 0xf};  // 1 TiB of IPA space, CPUs 0-3 online

void store_le64(uint8_t* p, uint64_t value) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

void store_be32(uint8_t* p, uint32_t value) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(value >> (24 - 8 * i));
}

// An arm64 Image header (booting.rst) and one instruction.
std::vector<uint8_t> arm64_image(uint64_t text_offset = 0, uint64_t image_size = 0x1000, uint64_t flags = 0xa) {
  std::vector<uint8_t> image(Arm64Image::kHeaderSize + 4);
  store_le64(&image[8], text_offset);
  store_le64(&image[16], image_size);
  store_le64(&image[24], flags);
  std::memcpy(&image[56], "ARM\x64", 4);
  return image;
}

// Just enough of a device tree for the core's checks: magic and totalsize.
std::vector<uint8_t> device_tree(size_t size = 64) {
  std::vector<uint8_t> dtb(size);
  store_be32(&dtb[0], 0xd00dfeed);
  store_be32(&dtb[4], static_cast<uint32_t>(size));
  return dtb;
}

struct TestDomain {
  BootPackDomain record{};
  std::vector<uint8_t> image = arm64_image();
  std::vector<uint8_t> dtb = device_tree();
};

// A valid domain: the image at the start of 4 MiB of RAM, the device tree at its end.
TestDomain test_domain(const char* name, uint64_t ipa_base = kRamBase) {
  TestDomain d;
  std::strncpy(d.record.name, name, sizeof d.record.name);
  d.record.role = static_cast<uint32_t>(abi::DomainRole::guest);
  d.record.vcpus = 2;
  d.record.ipa_base = ipa_base;
  d.record.memory_size = 4 * kMiB;
  d.record.image_size = d.image.size();
  d.record.image_ipa = ipa_base;
  d.record.entry_ipa = ipa_base;
  d.record.dtb_size = d.dtb.size();
  d.record.dtb_ipa = ipa_base + 4 * kMiB - d.dtb.size();
  return d;
}

constexpr std::string_view kManifest = "[domain web]\nimage = web.Image\nmemory = 4M\n";

// Header, table, manifest, then each image and device tree 8-byte aligned;
// the pack offsets of every record are filled in.
std::vector<uint8_t> serialize(std::vector<TestDomain> domains) {
  std::vector<uint8_t> pack(sizeof(BootPackHeader) + domains.size() * sizeof(BootPackDomain));
  BootPackHeader header{};
  std::memcpy(header.magic, abi::kBootPackMagic, sizeof header.magic);
  header.version = abi::kBootPackVersion;
  header.header_size = sizeof(BootPackHeader);
  header.domain_size = sizeof(BootPackDomain);
  header.domain_count = static_cast<uint32_t>(domains.size());
  header.manifest_offset = pack.size();
  header.manifest_size = kManifest.size();
  pack.insert(pack.end(), kManifest.begin(), kManifest.end());
  auto append = [&](const std::vector<uint8_t>& blob) {
    pack.resize((pack.size() + 7) / 8 * 8);
    uint64_t offset = pack.size();
    pack.insert(pack.end(), blob.begin(), blob.end());
    return offset;
  };
  for (size_t i = 0; i < domains.size(); ++i) {
    domains[i].record.image_offset = append(domains[i].image);
    domains[i].record.dtb_offset = append(domains[i].dtb);
    std::memcpy(&pack[sizeof header + i * sizeof(BootPackDomain)], &domains[i].record, sizeof(BootPackDomain));
  }
  header.total_size = pack.size();
  std::memcpy(pack.data(), &header, sizeof header);
  return pack;
}

std::vector<uint8_t> with_header(std::vector<uint8_t> pack, const std::function<void(BootPackHeader&)>& edit) {
  BootPackHeader header;
  std::memcpy(&header, pack.data(), sizeof header);
  edit(header);
  std::memcpy(pack.data(), &header, sizeof header);
  return pack;
}

std::vector<uint8_t> with_record(std::vector<uint8_t> pack, size_t index,
                                 const std::function<void(BootPackDomain&)>& edit) {
  BootPackDomain record;
  uint8_t* at = pack.data() + sizeof(BootPackHeader) + index * sizeof(BootPackDomain);
  std::memcpy(&record, at, sizeof record);
  edit(record);
  std::memcpy(at, &record, sizeof record);
  return pack;
}

Status open(const std::vector<uint8_t>& pack, BootPackLimits limits = kLimits) {
  BootPack reader;
  return BootPack::open(pack.data(), pack.size(), limits, reader);
}

// A one-domain pack after `edit` changed the domain before serialization.
Status open_domain(const std::function<void(TestDomain&)>& edit) {
  TestDomain d = test_domain("web");
  edit(d);
  return open(serialize({d}));
}

TEST(BootPackTest, ReadsBackWhatWasWritten) {
  TestDomain web = test_domain("web");
  web.record.flags = abi::kDomainFlagCritical;
  web.record.affinity = 0x6;
  web.record.budget_us = 2000;
  web.record.period_us = 10000;
  TestDomain db = test_domain("db-2", 0x8000000000);  // 512 GiB
  db.record.role = static_cast<uint32_t>(abi::DomainRole::xenstore);
  std::vector<uint8_t> bytes = serialize({web, db});

  BootPack pack;
  Status status = BootPack::open(bytes.data(), bytes.size(), kLimits, pack);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(pack.total_size(), bytes.size());
  EXPECT_EQ(pack.manifest(), kManifest);
  ASSERT_EQ(pack.domain_count(), 2u);
  EXPECT_STREQ(pack.domain(0).name, "web");
  EXPECT_EQ(pack.domain(0).flags, abi::kDomainFlagCritical);
  EXPECT_EQ(pack.domain(0).affinity, 0x6u);
  EXPECT_EQ(pack.domain(0).budget_us, 2000u);
  EXPECT_STREQ(pack.domain(1).name, "db-2");
  EXPECT_EQ(pack.domain(1).role, static_cast<uint32_t>(abi::DomainRole::xenstore));
  EXPECT_EQ(pack.domain(1).ipa_base, 0x8000000000u);
  EXPECT_EQ(std::vector<uint8_t>(pack.image(1).begin(), pack.image(1).end()), db.image);
  EXPECT_EQ(std::vector<uint8_t>(pack.device_tree(1).begin(), pack.device_tree(1).end()), db.dtb);
}

TEST(BootPackTest, AcceptsNoDomainsAndAnUnalignedPack) {
  EXPECT_TRUE(open(serialize({})).is_ok());
  std::vector<uint8_t> bytes = serialize({test_domain("web")});
  std::vector<uint8_t> shifted(1);
  shifted.insert(shifted.end(), bytes.begin(), bytes.end());
  BootPack pack;
  Status status = BootPack::open(shifted.data() + 1, bytes.size(), kLimits, pack);
  EXPECT_TRUE(status.is_ok()) << status.message();
}

TEST(BootPackTest, RejectsABadHeader) {
  std::vector<uint8_t> good = serialize({test_domain("web")});
  EXPECT_TRUE(test::FailsMentioning(open({good.begin(), good.begin() + 47}), "47 bytes is too small for a header"));
  EXPECT_TRUE(test::FailsMentioning(open(with_header(good, [](auto& h) { h.magic[7] = 'X'; })), "no SEPTPACK magic"));
  EXPECT_TRUE(test::FailsMentioning(open(with_header(good, [](auto& h) { h.version = 2; })),
                                    "version 2, the core reads version 1"));
  EXPECT_TRUE(test::FailsMentioning(open(with_header(good, [](auto& h) { h.domain_size = 136; })),
                                    "header_size 48 and domain_size 136, expected 48 and 144"));
  EXPECT_TRUE(test::FailsMentioning(open(with_header(good, [](auto& h) { h.header_size = 56; })), "header_size 56"));
  EXPECT_TRUE(
      test::FailsMentioning(open(with_header(good, [](auto& h) { h.domain_count = 17; })), "17 domains, at most 16"));
}

TEST(BootPackTest, RejectsATotalSizeOutsideTheAvailableBytes) {
  std::vector<uint8_t> good = serialize({test_domain("web")});
  std::vector<uint8_t> truncated(good.begin(), good.end() - 1);
  EXPECT_TRUE(test::FailsMentioning(open(truncated), "total_size"));
  EXPECT_TRUE(test::FailsMentioning(open(with_header(good, [](auto& h) { h.total_size = 48 + 143; })),
                                    "total_size 0xbf outside [0xc0, "));
}

TEST(BootPackTest, RejectsAManifestOutsideThePayload) {
  std::vector<uint8_t> good = serialize({test_domain("web")});
  EXPECT_TRUE(test::FailsMentioning(open(with_header(good, [](auto& h) { h.manifest_offset = 8; })),
                                    "manifest [0x8, +0x2b) outside the payload [0xc0, "));
  EXPECT_TRUE(test::FailsMentioning(open(with_header(good, [](auto& h) { h.manifest_size = ~uint64_t{0} - 100; })),
                                    "manifest"));
}

TEST(BootPackTest, RejectsBadNames) {
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { std::memset(d.record.name, 'a', 32); }),
                                    "domain 0: name is not NUL-terminated within 32 bytes"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.name[0] = '\0'; }),
                                    "domain 0: name is empty or has characters outside [a-z0-9_-]"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.name[0] = 'W'; }), "domain 0: name"));
  EXPECT_TRUE(test::FailsMentioning(open(serialize({test_domain("web"), test_domain("db"), test_domain("web")})),
                                    "domains 0 and 2 are both named \"web\""));
}

TEST(BootPackTest, RejectsBlobsOutsideThePackOrMisaligned) {
  std::vector<uint8_t> good = serialize({test_domain("web")});
  EXPECT_TRUE(test::FailsMentioning(open(with_record(good, 0, [](auto& r) { r.image_offset += 4; })),
                                    "domain \"web\": image bytes [0x"));
  EXPECT_TRUE(test::FailsMentioning(open(with_record(good, 0, [](auto& r) { r.image_offset = 0; })),
                                    "image bytes [0x0, +0x44) misaligned or outside the pack payload [0xc0, "));
  EXPECT_TRUE(test::FailsMentioning(open(with_record(good, 0, [](auto& r) { r.dtb_size = ~uint64_t{0}; })),
                                    "device tree bytes"));
}

TEST(BootPackTest, RejectsBadSettings) {
  EXPECT_TRUE(
      test::FailsMentioning(open_domain([](auto& d) { d.record.role = 11; }), "domain \"web\": unknown role 11"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.flags = 2; }), "unknown flags 0x2"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.vcpus = 0; }), "vcpus 0 outside 1..8"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.vcpus = 9; }), "vcpus 9 outside 1..8"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.reserved = 1; }), "reserved field is 0x1"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.affinity = 0x11; }),
                                    "affinity 0x11 includes CPUs that are not online (0xf)"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.budget_us = 5; }),
                                    "budget 5 us and period 0 us: give both or neither"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.period_us = 5; }), "give both or neither"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.budget_us = 6, d.record.period_us = 5; }),
                                    "budget 6 us exceeds the period 5 us"));
  EXPECT_TRUE(open_domain([](auto& d) { d.record.budget_us = 5, d.record.period_us = 5; }).is_ok());
  EXPECT_TRUE(open_domain([](auto& d) { d.record.affinity = 0xf; }).is_ok());
}

TEST(BootPackTest, RejectsBadMemory) {
  EXPECT_TRUE(
      test::FailsMentioning(open(serialize({test_domain("web", 0)})), "ipa_base 0x0 is 0 or not 2 MiB aligned"));
  EXPECT_TRUE(test::FailsMentioning(open(serialize({test_domain("web", kRamBase + 0x1000)})),
                                    "ipa_base 0x40001000 is 0 or not 2 MiB aligned"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.memory_size = 3 * kMiB; }),
                                    "memory_size 0x300000 is 0 or not a multiple of 2 MiB"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.memory_size = 0; }), "memory_size 0x0"));
  // Ends 2 MiB past 1 TiB; and one that wraps around the address space.
  EXPECT_TRUE(test::FailsMentioning(open(serialize({test_domain("web", (uint64_t{1} << 40) - 2 * kMiB)})),
                                    "memory [0xffffe00000, +0x400000) exceeds the 40-bit IPA space"));
  EXPECT_TRUE(test::FailsMentioning(open(serialize({test_domain("web", ~uint64_t{0} - 2 * kMiB + 1)}), {64, 1}),
                                    "exceeds the 64-bit IPA space"));
  EXPECT_TRUE(open(serialize({test_domain("web", (uint64_t{1} << 40) - 4 * kMiB)})).is_ok());
}

TEST(BootPackTest, RejectsMemoryOverTheVirtualGic) {
  EXPECT_TRUE(test::FailsMentioning(open(serialize({test_domain("web", abi::kGuestGicdBase)})),
                                    "memory [0x8000000, 0x8400000) overlaps the virtual GIC [0x8000000, 0x81a0000)"));
  EXPECT_TRUE(test::FailsMentioning(open(serialize({test_domain("web", abi::kGuestGicdBase - 2 * kMiB)})),
                                    "overlaps the virtual GIC"));
  // Right below the distributor and from the first 2 MiB boundary above the redistributors.
  EXPECT_TRUE(open(serialize({test_domain("web", abi::kGuestGicdBase - 4 * kMiB)})).is_ok());
  EXPECT_TRUE(open(serialize({test_domain("web", abi::kGuestGicdBase + 2 * kMiB)})).is_ok());
}

TEST(BootPackTest, RejectsAnImageThatIsNotWhereBootingRstWantsIt) {
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.image[56] = 'X'; }),
                                    "domain \"web\": not an arm64 Image (no \"ARM\\x64\" magic at offset 56)"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.image_ipa -= 0x1000; }),
                                    "image [0x3ffff000, 0x40000000) outside its memory [0x40000000, 0x40400000)"));
  // The header's image_size (BSS included) counts, not just the bytes in the pack.
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.image = arm64_image(0, 8 * kMiB); }),
                                    "image [0x40000000, 0x40800000) outside its memory"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) {
                                      d.record.image_ipa += 0x1000;
                                      d.record.entry_ipa += 0x1000;
                                    }),
                                    "image at 0x40001000 is not text_offset 0x0 past a 2 MiB boundary"));
  // text_offset 0x80000, as an image without image_size must assume.
  EXPECT_TRUE(open_domain([](auto& d) {
                d.image = arm64_image(0x1234, 0);
                d.record.image_ipa = d.record.entry_ipa = kRamBase + 0x80000;
              }).is_ok());
  EXPECT_TRUE(open_domain([](auto& d) {
                d.image = arm64_image(0x200000);
                d.record.image_ipa = d.record.entry_ipa = kRamBase + 0x200000;
              }).is_ok());
}

TEST(BootPackTest, RejectsAnEntryOutsideTheImage) {
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.entry_ipa += 68; }),
                                    "entry 0x40000044 is not an instruction of the image [0x40000000, 0x40000044)"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.entry_ipa += 2; }), "entry 0x40000002"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.entry_ipa -= 4; }), "entry 0x3ffffffc"));
  EXPECT_TRUE(open_domain([](auto& d) { d.record.entry_ipa += 64; }).is_ok());
}

TEST(BootPackTest, RejectsABadDeviceTree) {
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.dtb[0] = 0; }),
                                    "device tree of 64 bytes has no FDT magic or a different totalsize"));
  EXPECT_TRUE(
      test::FailsMentioning(open_domain([](auto& d) { d.dtb[7] = 65; }), "no FDT magic or a different totalsize"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) {
                                      d.dtb = device_tree(2 * kMiB + 8);
                                      d.record.dtb_size = d.dtb.size();
                                      d.record.memory_size = 8 * kMiB;
                                      d.record.dtb_ipa = kRamBase + 4 * kMiB;
                                    }),
                                    "device tree of 0x200008 bytes is larger than 2 MiB"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.dtb_ipa -= 4; }),
                                    "device tree [0x403fffbc, 0x403ffffc) misaligned"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.dtb_ipa += 8; }),
                                    "device tree [0x403fffc8, 0x40400008) misaligned or outside its memory"));
  EXPECT_TRUE(test::FailsMentioning(open_domain([](auto& d) { d.record.dtb_ipa = kRamBase + 2 * kMiB - 32; }),
                                    "device tree [0x401fffe0, 0x40200020) crosses a 2 MiB boundary"));
  EXPECT_TRUE(
      test::FailsMentioning(open_domain([](auto& d) { d.record.dtb_ipa = kRamBase + 0x800; }),
                            "device tree [0x40000800, 0x40000840) overlaps the image [0x40000000, 0x40001000)"));
  EXPECT_TRUE(open_domain([](auto& d) { d.record.dtb_ipa = kRamBase + 0x1000; }).is_ok());
}

TEST(BootPackTest, ReadsArm64ImageHeaders) {
  Arm64Image image;
  ASSERT_TRUE(read_arm64_image(arm64_image(0x80000, 0x20000), image).is_ok());
  EXPECT_EQ(image.text_offset, 0x80000u);
  EXPECT_EQ(image.effective_size, 0x20000u);
  // The effective size is never below the bytes there are.
  ASSERT_TRUE(read_arm64_image(arm64_image(0, 16), image).is_ok());
  EXPECT_EQ(image.effective_size, Arm64Image::kHeaderSize + 4);
  EXPECT_TRUE(test::FailsMentioning(read_arm64_image(arm64_image(0, 0x1000, 0xb), image),
                                    "big-endian arm64 Images are not supported"));
  EXPECT_TRUE(
      test::FailsMentioning(read_arm64_image(arm64_image(0x10), image), "text_offset 0x10 is not a multiple of 4 KiB"));
  std::vector<uint8_t> short_image = arm64_image();
  short_image.resize(63);
  EXPECT_TRUE(test::FailsMentioning(read_arm64_image(short_image, image),
                                    "image of 63 bytes is too small for an arm64 Image header"));
}

TEST(BootPackTest, NamesAndRoles) {
  EXPECT_EQ(domain_role_from_name("guest"), abi::DomainRole::guest);
  EXPECT_EQ(domain_role_from_name("vtpm"), abi::DomainRole::vtpm);
  EXPECT_EQ(domain_role_from_name("test"), abi::DomainRole::test);
  EXPECT_EQ(domain_role_from_name("Guest"), std::nullopt);
  EXPECT_TRUE(is_valid_domain_name("a"));
  EXPECT_TRUE(is_valid_domain_name("web_2-db"));
  EXPECT_TRUE(is_valid_domain_name(std::string(31, 'x')));
  EXPECT_FALSE(is_valid_domain_name(std::string(32, 'x')));
  EXPECT_FALSE(is_valid_domain_name(""));
  EXPECT_FALSE(is_valid_domain_name("Web"));
  EXPECT_FALSE(is_valid_domain_name("a b"));
  EXPECT_FALSE(is_valid_domain_name("a.b"));
}

}  // namespace
}  // namespace septum
