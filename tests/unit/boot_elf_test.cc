// The boot image writer: the core's loadable segments survive unchanged, the
// pack lands at the next 2 MiB boundary, and malformed core ELFs are refused.
#include "boot/boot_elf.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <vector>

#include "tests/unit/support.h"

namespace septum::boot {
namespace {

struct Segment {
  uint32_t type;
  uint32_t flags;
  uint64_t address;
  std::vector<uint8_t> data;
  uint64_t memory_size;
  uint64_t align = 0x10000;
};

// An AArch64 executable like the core: segments at 64 KiB-congruent offsets
// and a section header table that the boot image drops.
std::vector<uint8_t> core_elf(const std::vector<Segment>& segments) {
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_EXEC;
  header.e_machine = EM_AARCH64;
  header.e_version = EV_CURRENT;
  header.e_entry = 0x40200000;
  header.e_phoff = sizeof header;
  header.e_ehsize = sizeof header;
  header.e_phentsize = sizeof(Elf64_Phdr);
  header.e_phnum = static_cast<uint16_t>(segments.size());
  header.e_shentsize = sizeof(Elf64_Shdr);
  header.e_shnum = 1;
  std::vector<uint8_t> elf(sizeof header + segments.size() * sizeof(Elf64_Phdr));
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    Elf64_Phdr phdr{s.type, s.flags, 0, s.address, s.address, s.data.size(), s.memory_size, s.align};
    if (!s.data.empty()) {
      elf.resize((elf.size() + 0xffff) / 0x10000 * 0x10000 + s.address % 0x10000);
      phdr.p_offset = elf.size();
      elf.insert(elf.end(), s.data.begin(), s.data.end());
    }
    std::memcpy(&elf[sizeof header + i * sizeof phdr], &phdr, sizeof phdr);
  }
  header.e_shoff = elf.size();
  elf.resize(elf.size() + sizeof(Elf64_Shdr));
  std::memcpy(elf.data(), &header, sizeof header);
  return elf;
}

const std::vector<Segment> kCore = {
    {PT_LOAD, PF_R | PF_X, 0x40200000, std::vector<uint8_t>(0x79fc, 0xc1), 0x79fc},
    {PT_LOAD, PF_R, 0x40208000, std::vector<uint8_t>(0x1a90, 0xd2), 0x1a90},
    {PT_GNU_STACK, PF_R | PF_W, 0, {}, 0, 0},
    {PT_LOAD, PF_R | PF_W, 0x4020a000, std::vector<uint8_t>(0x10, 0xe3), 0x4c20},
};
const std::vector<uint8_t> kPack = {'S', 'E', 'P', 'T', 'P', 'A', 'C', 'K', 1, 2, 3};

Elf64_Ehdr header_of(const std::vector<uint8_t>& elf) {
  Elf64_Ehdr header;
  std::memcpy(&header, elf.data(), sizeof header);
  return header;
}

std::vector<Elf64_Phdr> segments_of(const std::vector<uint8_t>& elf) {
  Elf64_Ehdr header = header_of(elf);
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  std::memcpy(segments.data(), &elf[header.e_phoff], segments.size() * sizeof(Elf64_Phdr));
  return segments;
}

TEST(BootElfTest, KeepsTheCoreAndAddsThePackAtTheNext2MiBBoundary) {
  std::vector<uint8_t> core = core_elf(kCore);
  BootElf boot;
  Status status = build_boot_elf(core, kPack, boot);
  ASSERT_TRUE(status.is_ok()) << status.message();
  EXPECT_EQ(boot.pack_address, 0x40400000u);

  Elf64_Ehdr header = header_of(boot.bytes);
  EXPECT_EQ(header.e_entry, 0x40200000u);
  EXPECT_EQ(header.e_machine, EM_AARCH64);
  EXPECT_EQ(header.e_shnum, 0u);
  EXPECT_EQ(header.e_shoff, 0u);
  std::vector<Elf64_Phdr> segments = segments_of(boot.bytes);
  ASSERT_EQ(segments.size(), 4u);  // three PT_LOADs and the pack; PT_GNU_STACK is dropped
  std::vector<Elf64_Phdr> core_segments = segments_of(core);
  core_segments.erase(core_segments.begin() + 2);
  for (size_t i = 0; i < 3; ++i) {
    const Elf64_Phdr& in = core_segments[i];
    const Elf64_Phdr& out = segments[i];
    EXPECT_EQ(out.p_type, PT_LOAD);
    EXPECT_EQ(out.p_flags, in.p_flags);
    EXPECT_EQ(out.p_vaddr, in.p_vaddr);
    EXPECT_EQ(out.p_paddr, in.p_paddr);
    EXPECT_EQ(out.p_filesz, in.p_filesz);
    EXPECT_EQ(out.p_memsz, in.p_memsz);
    EXPECT_EQ(out.p_align, in.p_align);
    EXPECT_EQ(out.p_offset % out.p_align, out.p_vaddr % out.p_align);
    EXPECT_EQ(std::memcmp(&boot.bytes[out.p_offset], &core[in.p_offset], in.p_filesz), 0) << "segment " << i;
  }
  const Elf64_Phdr& pack = segments[3];
  EXPECT_EQ(pack.p_type, PT_LOAD);
  EXPECT_EQ(pack.p_flags, PF_R);
  EXPECT_EQ(pack.p_vaddr, 0x40400000u);
  EXPECT_EQ(pack.p_paddr, 0x40400000u);
  EXPECT_EQ(pack.p_filesz, kPack.size());
  EXPECT_EQ(pack.p_memsz, kPack.size());
  EXPECT_EQ(pack.p_offset % 4096, 0u);
  EXPECT_EQ(pack.p_offset + pack.p_filesz, boot.bytes.size());
  EXPECT_EQ(std::vector<uint8_t>(boot.bytes.begin() + pack.p_offset, boot.bytes.end()), kPack);
}

TEST(BootElfTest, ThePackFollowsTheCoresLastByte) {
  std::vector<Segment> core = {{PT_LOAD, PF_R | PF_X, 0x40200000, {1, 2, 3, 4}, 0x200000}};
  BootElf boot;
  ASSERT_TRUE(build_boot_elf(core_elf(core), kPack, boot).is_ok());
  EXPECT_EQ(boot.pack_address, 0x40400000u);  // the BSS ends right on the boundary
  core[0].memory_size += 1;
  ASSERT_TRUE(build_boot_elf(core_elf(core), kPack, boot).is_ok());
  EXPECT_EQ(boot.pack_address, 0x40600000u);
  // A boot image is itself a core ELF: a second pack goes after the first.
  BootElf again;
  ASSERT_TRUE(build_boot_elf(boot.bytes, kPack, again).is_ok());
  EXPECT_EQ(again.pack_address, 0x40800000u);
}

Status build_edited(const std::function<void(std::vector<uint8_t>&, Elf64_Ehdr&, Elf64_Phdr&)>& edit) {
  std::vector<uint8_t> elf = core_elf(kCore);
  Elf64_Ehdr header = header_of(elf);
  Elf64_Phdr first;
  std::memcpy(&first, &elf[header.e_phoff], sizeof first);
  edit(elf, header, first);
  if (elf.size() >= sizeof header) std::memcpy(elf.data(), &header, sizeof header);
  if (elf.size() >= sizeof header + sizeof first) std::memcpy(&elf[header_of(elf).e_phoff], &first, sizeof first);
  BootElf boot;
  return build_boot_elf(elf, kPack, boot);
}

TEST(BootElfTest, RefusesWhatIsNotAnAArch64Executable) {
  using test::FailsMentioning;
  EXPECT_TRUE(FailsMentioning(build_edited([](auto& elf, auto&, auto&) { elf.resize(63); }),
                              "core ELF: 63 bytes is too small for an ELF header"));
  EXPECT_TRUE(
      FailsMentioning(build_edited([](auto&, auto& h, auto&) { h.e_ident[1] = 'X'; }), "core ELF: no ELF magic"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto& h, auto&) { h.e_ident[EI_CLASS] = ELFCLASS32; }),
                              "not a 64-bit little-endian ELF"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto& h, auto&) { h.e_ident[EI_DATA] = ELFDATA2MSB; }),
                              "not a 64-bit little-endian ELF"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto& h, auto&) { h.e_machine = EM_X86_64; }),
                              "machine 62 type 2, expected an AArch64 (183) executable (2)"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto& h, auto&) { h.e_type = ET_DYN; }), "machine 183 type 3"));
}

TEST(BootElfTest, RefusesSegmentsThatDoNotFit) {
  using test::FailsMentioning;
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto& h, auto&) { h.e_phentsize = 32; }),
                              "4 program headers of 32 bytes at 0x40 do not fit the file"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto& h, auto&) { h.e_phnum = 0xffff; }), "do not fit the file"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto&, auto& p) { p.p_filesz = 0x1000000; }),
                              "segment 0 data [0x10000, +0x1000000) outside the file"));
  EXPECT_TRUE(
      FailsMentioning(build_edited([](auto&, auto&, auto& p) { p.p_offset = ~uint64_t{0}; }), "segment 0 data"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto&, auto& p) { p.p_memsz = 1; }),
                              "segment 0 at 0x40200000 has file size 0x79fc and memory size 0x1"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto&, auto& p) { p.p_paddr = ~uint64_t{0} - 4; }),
                              "has file size 0x79fc and memory size 0x79fc"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto&, auto& p) { p.p_align = 0x200000; }),
                              "segment 0 alignment 0x200000 is over 64 KiB"));
  EXPECT_TRUE(FailsMentioning(build_edited([](auto&, auto&, auto& p) { p.p_paddr = ~uint64_t{0} - 0x100000; }),
                              "no room for the pack after the core's end"));
  BootElf boot;
  EXPECT_TRUE(FailsMentioning(build_boot_elf(core_elf({{PT_GNU_STACK, PF_R, 0, {}, 0}}), kPack, boot),
                              "core ELF: no PT_LOAD segment"));
}

}  // namespace
}  // namespace septum::boot
