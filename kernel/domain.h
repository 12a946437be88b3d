// Domains and their vCPUs as the core keeps them. A domain owns its RAM
// (physically contiguous chunks, mapped by its stage-2 table), a virtual GIC
// and up to abi::kMaxVcpusPerDomain vCPUs; each vCPU is pinned to one
// physical CPU chosen from its hard affinity when the domain is created.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "kernel/abi/boot_pack.h"
#include "kernel/abi/guest_platform.h"
#include "kernel/arch/aarch64/vcpu_context.h"
#include "kernel/dispatcher.h"
#include "kernel/page_table.h"
#include "kernel/platform.h"
#include "kernel/vgic.h"

namespace septum {

struct Domain;

enum class VcpuPower : uint8_t { off, on };

struct Vcpu {
  Domain* domain = nullptr;
  uint32_t index = 0;
  uint32_t pcpu = 0;
  VcpuPower power = VcpuPower::off;
  bool waiting_for_interrupt = false;  // blocked in a trapped WFI
  SchedEntity sched;
  aarch64::VcpuContext context{};
  // Physical counter value at which the descheduled vCPU's virtual timer
  // fires (0: not armed).
  uint64_t timer_deadline = 0;
  // The EL1 physical timer, emulated in software (CNTP_CTL_EL0 and
  // CNTP_CVAL_EL0 as the guest wrote them); it fires once per arming.
  uint64_t physical_timer_ctl = 0;
  uint64_t physical_timer_cval = 0;
  bool physical_timer_armed = false;
};

// dead: ended, some vCPU may still be loaded; destroying: its memory is
// being scrubbed; free: the slot holds nothing.
enum class DomainState : uint8_t { free, running, dead, destroying };

enum class ShutdownReason : uint32_t { poweroff = 0, reboot = 1, suspend = 2, crash = 3, watchdog = 4 };

struct MemoryChunk {
  uint64_t ipa;
  uint64_t pa;
  uint64_t size;
};

struct Domain {
  static constexpr size_t kMaxChunks = 128;
  static constexpr size_t kConsoleLineLength = 160;

  uint32_t id = 0;
  uint16_t vmid = 0;
  char name[32] = {};
  abi::DomainRole role = abi::DomainRole::guest;
  bool critical = false;
  DomainState state = DomainState::free;
  ShutdownReason reason = ShutdownReason::poweroff;

  uint64_t ipa_base = 0;
  uint64_t memory_size = 0;
  MemoryChunk chunks[kMaxChunks] = {};
  size_t chunk_count = 0;
  std::optional<PageTable> stage2;
  uint64_t cntvoff = 0;

  VirtualGic vgic;
  Vcpu vcpus[abi::kMaxVcpusPerDomain];
  // Which vCPU last ran on each physical CPU (kNoVcpu: none), to flush that
  // CPU's TLB when another vCPU of the domain follows it.
  // Set to kNoVcpu when the domain is created.
  static constexpr uint8_t kNoVcpu = 0xff;
  uint8_t last_vcpu_on[Platform::kMaxCpus] = {};
  uint32_t vcpu_count = 0;

  // Console output is emitted a line at a time, prefixed with the name.
  char console_line[kConsoleLineLength] = {};
  size_t console_length = 0;

  bool contains(uint64_t ipa, uint64_t size) const {
    return ipa >= ipa_base && size <= memory_size && ipa - ipa_base <= memory_size - size;
  }
  // Physical address of guest RAM at `ipa` (which must be inside it).
  uint64_t ram_pa(uint64_t ipa) const;
};

}  // namespace septum
