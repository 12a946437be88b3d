// Flattened device tree (DTB) reader. open() validates the whole blob once:
// header, memory reservation block, every structure token, node name,
// property and string offset. After that, lookups cannot step outside the
// blob, so a corrupt or hostile DTB becomes one clear error at boot instead of
// a wild access later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "kernel/status.h"

namespace septum {

// Layout of a flattened device tree (devicetree specification, chapter 5).
namespace fdt_layout {
inline constexpr uint32_t kBeginNode = 1;
inline constexpr uint32_t kEndNode = 2;
inline constexpr uint32_t kProp = 3;
inline constexpr uint32_t kNop = 4;
inline constexpr uint32_t kEnd = 9;

// Header field offsets (all big-endian u32).
inline constexpr size_t kTotalSize = 4;
inline constexpr size_t kOffStruct = 8;
inline constexpr size_t kOffStrings = 12;
inline constexpr size_t kOffMemRsvmap = 16;
inline constexpr size_t kVersion = 20;
inline constexpr size_t kLastCompVersion = 24;
inline constexpr size_t kSizeStrings = 32;
inline constexpr size_t kSizeStruct = 36;
}  // namespace fdt_layout

class Fdt final {
 public:
  static constexpr uint32_t kMagic = 0xd00dfeed;
  static constexpr size_t kHeaderSize = 40;
  static constexpr unsigned kMaxDepth = 32;

  struct Node {
    uint32_t offset;  // of the FDT_BEGIN_NODE token, within the structure block
    bool operator==(const Node&) const = default;
  };

  struct Reservation {
    uint64_t address;
    uint64_t size;
  };

  // Cursor over a property's big-endian cells.
  class Cells final {
   public:
    explicit Cells(std::span<const uint8_t> bytes) : bytes_(bytes) {}
    // Reads a value of `count` cells (1 or 2); nullopt when exhausted or count > 2.
    std::optional<uint64_t> read(uint32_t count);
    bool empty() const { return bytes_.empty(); }
    size_t remaining_bytes() const { return bytes_.size(); }

   private:
    std::span<const uint8_t> bytes_;
  };

  // `available` bounds the readable bytes at `blob`; the header's totalsize
  // must fit inside it.
  static Status open(const void* blob, size_t available, Fdt& out);

  uint32_t total_size() const { return total_size_; }
  // FDT_NOP tokens may precede the root node, so it need not be at offset 0.
  Node root() const { return {root_offset_}; }
  std::optional<Node> first_child(Node node) const;
  std::optional<Node> next_sibling(Node node) const;
  std::optional<Node> parent(Node node) const;
  // Absolute path without unit-address matching rules beyond exact names,
  // except that a component without '@' also matches "name@unit".
  std::optional<Node> find_path(std::string_view path) const;
  // First node, in document order, whose "compatible" list contains
  // `compatible`; next_compatible continues after `after` (its subtree included).
  std::optional<Node> find_compatible(std::string_view compatible) const;
  std::optional<Node> next_compatible(Node after, std::string_view compatible) const;

  std::string_view name(Node node) const;
  std::optional<std::span<const uint8_t>> property(Node node, std::string_view name) const;
  // The first string of a string or string-list property.
  std::optional<std::string_view> string_property(Node node, std::string_view name) const;
  std::optional<uint32_t> u32_property(Node node, std::string_view name) const;
  bool is_compatible(Node node, std::string_view compatible) const;
  // "okay"/"ok" or absent status means enabled.
  bool is_enabled(Node node) const;

  size_t reservation_count() const { return reservation_count_; }
  Reservation reservation(size_t index) const;

 private:
  uint32_t be32(size_t struct_offset) const;
  // Offset just past the node's name (aligned), i.e. its first property or child.
  uint32_t body(Node node) const;
  // Offset just past the node's FDT_END_NODE.
  uint32_t skip_subtree(Node node) const;
  // First node at or after structure offset `pos` (document order) with `compatible`.
  std::optional<Node> scan_compatible(uint32_t pos, std::string_view compatible) const;

  const uint8_t* blob_ = nullptr;
  const uint8_t* structure_ = nullptr;
  const char* strings_ = nullptr;
  uint32_t total_size_ = 0;
  uint32_t structure_size_ = 0;
  uint32_t strings_size_ = 0;
  uint32_t root_offset_ = 0;
  uint32_t reservation_offset_ = 0;
  size_t reservation_count_ = 0;
};

}  // namespace septum
