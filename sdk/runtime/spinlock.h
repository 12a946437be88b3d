// A lock shared by the domain's vCPUs.
//
// The runtime keeps the MMU off, so every data access is Device-nGnRnE, and
// whether load/store-exclusive (or LSE atomics) work on Device memory is
// IMPLEMENTATION DEFINED. Lamport's bakery algorithm needs only ordered loads
// and stores (LDAR/STLR), which every memory type supports.
#pragma once

#include <atomic>
#include <cstdint>

#include "kernel/abi/guest_platform.h"

namespace septum::sdk {

class Spinlock final {
 public:
  // Masks IRQs on this vCPU while held, so interrupt handlers may take the
  // lock too. Not recursive.
  void lock();
  void unlock();
  bool held_by_this_vcpu() const;

 private:
  static constexpr uint32_t kParticipants = abi::kMaxVcpusPerDomain;
  std::atomic<bool> choosing_[kParticipants]{};
  std::atomic<uint32_t> ticket_[kParticipants]{};
  bool irq_was_enabled_[kParticipants]{};
};

class SpinlockGuard final {
 public:
  explicit SpinlockGuard(Spinlock& lock) : lock_(lock) { lock_.lock(); }
  ~SpinlockGuard() { lock_.unlock(); }
  SpinlockGuard(const SpinlockGuard&) = delete;
  SpinlockGuard& operator=(const SpinlockGuard&) = delete;

 private:
  Spinlock& lock_;
};

}  // namespace septum::sdk
