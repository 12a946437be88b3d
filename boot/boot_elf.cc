#include "boot/boot_elf.h"

#include <elf.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "kernel/abi/boot_pack.h"

namespace septum::boot {

namespace {

constexpr uint64_t kPackFileAlignment = 4096;
constexpr uint64_t kMaxSegmentAlignment = 64 << 10;

uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

template <class T>
T read_at(std::span<const uint8_t> bytes, uint64_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof value);
  return value;
}

template <class T>
void append(std::vector<uint8_t>& out, const T& value) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof value);
}

Status read_core(std::span<const uint8_t> elf, Elf64_Ehdr& header, std::vector<Elf64_Phdr>& loads) {
  if (elf.size() < sizeof header) return Status::error("core ELF: {} bytes is too small for an ELF header", elf.size());
  header = read_at<Elf64_Ehdr>(elf, 0);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) return Status::error("core ELF: no ELF magic");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB) {
    return Status::error("core ELF: not a 64-bit little-endian ELF");
  }
  if (header.e_machine != EM_AARCH64 || header.e_type != ET_EXEC) {
    return Status::error("core ELF: machine {} type {}, expected an AArch64 ({}) executable ({})", header.e_machine,
                         header.e_type, EM_AARCH64, ET_EXEC);
  }
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phoff > elf.size() ||
      uint64_t{header.e_phnum} * sizeof(Elf64_Phdr) > elf.size() - header.e_phoff) {
    return Status::error("core ELF: {} program headers of {} bytes at {:#x} do not fit the file", header.e_phnum,
                         header.e_phentsize, header.e_phoff);
  }
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    auto segment = read_at<Elf64_Phdr>(elf, header.e_phoff + i * sizeof(Elf64_Phdr));
    if (segment.p_type != PT_LOAD) continue;
    if (segment.p_offset > elf.size() || segment.p_filesz > elf.size() - segment.p_offset) {
      return Status::error("core ELF: segment {} data [{:#x}, +{:#x}) outside the file", i, segment.p_offset,
                           segment.p_filesz);
    }
    if (segment.p_filesz > segment.p_memsz || segment.p_memsz > ~uint64_t{0} - segment.p_paddr) {
      return Status::error("core ELF: segment {} at {:#x} has file size {:#x} and memory size {:#x}", i,
                           segment.p_paddr, segment.p_filesz, segment.p_memsz);
    }
    // The output keeps file offsets congruent to addresses modulo the
    // alignment, so a huge alignment would mean huge padding; 64 KiB is the
    // largest page size of AArch64.
    if (segment.p_align > kMaxSegmentAlignment) {
      return Status::error("core ELF: segment {} alignment {:#x} is over 64 KiB", i, segment.p_align);
    }
    loads.push_back(segment);
  }
  if (loads.empty()) return Status::error("core ELF: no PT_LOAD segment");
  if (loads.size() + 1 >= PN_XNUM) return Status::error("core ELF: {} PT_LOAD segments leave no room", loads.size());
  return Status::ok();
}

}  // namespace

Status build_boot_elf(std::span<const uint8_t> core_elf, std::span<const uint8_t> pack, BootElf& out) {
  Elf64_Ehdr header;
  std::vector<Elf64_Phdr> loads;
  SEPTUM_TRY(read_core(core_elf, header, loads));

  uint64_t core_end = 0;
  for (const Elf64_Phdr& segment : loads) core_end = std::max(core_end, segment.p_paddr + segment.p_memsz);
  if (core_end > ~uint64_t{0} - abi::kBootPackAlignment - pack.size()) {
    return Status::error("core ELF: no room for the pack after the core's end {:#x}", core_end);
  }
  out.pack_address = align_up(core_end, abi::kBootPackAlignment);

  header.e_phoff = sizeof header;
  header.e_phnum = static_cast<uint16_t>(loads.size() + 1);
  header.e_shoff = 0;
  header.e_shnum = 0;
  header.e_shstrndx = SHN_UNDEF;

  std::vector<Elf64_Phdr> placed = loads;
  uint64_t offset = sizeof header + header.e_phnum * sizeof(Elf64_Phdr);
  for (Elf64_Phdr& segment : placed) {
    uint64_t alignment = std::has_single_bit(segment.p_align) ? segment.p_align : 1;
    offset += (segment.p_vaddr - offset) % alignment;  // keeps offset and address congruent
    segment.p_offset = offset;
    offset += segment.p_filesz;
  }
  Elf64_Phdr pack_segment{};
  pack_segment.p_type = PT_LOAD;
  pack_segment.p_flags = PF_R;
  pack_segment.p_offset = align_up(offset, kPackFileAlignment);
  pack_segment.p_vaddr = pack_segment.p_paddr = out.pack_address;
  pack_segment.p_filesz = pack_segment.p_memsz = pack.size();
  pack_segment.p_align = kPackFileAlignment;

  std::vector<uint8_t>& bytes = out.bytes;
  bytes.clear();
  append(bytes, header);
  for (const Elf64_Phdr& segment : placed) append(bytes, segment);
  append(bytes, pack_segment);
  for (size_t i = 0; i < loads.size(); ++i) {
    bytes.resize(placed[i].p_offset);
    auto data = core_elf.subspan(loads[i].p_offset, loads[i].p_filesz);
    bytes.insert(bytes.end(), data.begin(), data.end());
  }
  bytes.resize(pack_segment.p_offset);
  bytes.insert(bytes.end(), pack.begin(), pack.end());
  return Status::ok();
}

}  // namespace septum::boot
