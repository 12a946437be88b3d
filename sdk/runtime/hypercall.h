// Xen-on-Arm hypercalls (HVC #0xEA1, x16 = number, arguments x0-x4, result
// x0) and the SMCCC/PSCI calls a domain makes with HVC #0. Pointer arguments
// are guest virtual addresses; the runtime keeps the MMU off, so they are IPAs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "kernel/abi/psci.h"
#include "kernel/abi/xen.h"

namespace septum::sdk {

namespace xen {

// Numbers, errors and layouts: the ABI description shared with the core
// (septum::xen, kernel/abi/xen.h), visible here as xen::kSchedOp,
// xen::EvtchnStatus, xen::evtchnop::kSend, ...
using namespace ::septum::xen;

// The hypervisor may clobber x16 and the argument registers; the rest of the
// AAPCS64 callee state survives.
inline int64_t hypercall(uint64_t number, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
                         uint64_t a4 = 0) {
  register uint64_t x0 asm("x0") = a0;
  register uint64_t x1 asm("x1") = a1;
  register uint64_t x2 asm("x2") = a2;
  register uint64_t x3 asm("x3") = a3;
  register uint64_t x4 asm("x4") = a4;
  register uint64_t x16 asm("x16") = number;
  asm volatile("hvc #0xea1" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x16) : : "memory");
  return static_cast<int64_t>(x0);
}
static_assert(kHypercallTag == 0xea1);

// The guest address of an argument (the MMU is off: virtual = IPA).
inline uint64_t address_of(const volatile void* object) { return reinterpret_cast<uint64_t>(object); }
inline uint64_t frame_of(const volatile void* object) { return address_of(object) >> kPageShift; }

// Each hypercall with its arguments as the hypervisor sees them: pointers are
// plain addresses, so a caller can also pass one that is bad on purpose.
inline int64_t xen_version_op(uint64_t cmd, uint64_t arg) { return hypercall(kXenVersion, cmd, arg); }
inline int64_t memory_op(uint64_t cmd, uint64_t arg) { return hypercall(kMemoryOp, cmd, arg); }
inline int64_t multicall(uint64_t entries, uint64_t count) { return hypercall(kMulticall, entries, count); }
inline int64_t console_io(uint64_t cmd, uint64_t count, uint64_t buffer) {
  return hypercall(kConsoleIo, cmd, count, buffer);
}
inline int64_t grant_table_op(uint64_t cmd, uint64_t uops, uint64_t count) {
  return hypercall(kGrantTableOp, cmd, uops, count);
}
inline int64_t vm_assist(uint64_t cmd, uint64_t type) { return hypercall(kVmAssist, cmd, type); }
inline int64_t vcpu_op(uint64_t cmd, uint64_t vcpu, uint64_t arg) { return hypercall(kVcpuOp, cmd, vcpu, arg); }
inline int64_t sched_op(uint64_t cmd, uint64_t arg) { return hypercall(kSchedOp, cmd, arg); }
inline int64_t event_channel_op(uint64_t cmd, uint64_t arg) { return hypercall(kEventChannelOp, cmd, arg); }
inline int64_t hvm_op(uint64_t op, uint64_t arg) { return hypercall(kHvmOp, op, arg); }

// Typed wrappers. They return the hypercall's result; OUT fields land in the
// structures (or references) passed.

// Old names of the xen_version sub-ops.
inline constexpr uint64_t kXenVersionVersion = xenver::kVersion;
inline constexpr uint64_t kXenVersionGetFeatures = xenver::kGetFeatures;

// (major << 16) | minor.
inline int64_t xen_version() { return xen_version_op(xenver::kVersion, 0); }

// Feature bits submap_index*32 .. +31, or the negative error.
inline int64_t xen_features(uint32_t submap_index) {
  FeatureInfo info{submap_index, 0};
  int64_t rc = xen_version_op(xenver::kGetFeatures, address_of(&info));
  return rc < 0 ? rc : info.submap;
}

inline constexpr uint64_t kConsoleIoWrite = consoleio::kWrite;

// Returns 0 on Xen. Release builds of Xen refuse it (-EPERM) to domUs built
// by libxl; dom0less domUs are console domains and may use it.
inline int64_t console_write(std::string_view text) {
  return console_io(consoleio::kWrite, text.size(), address_of(text.data()));
}

// memory_op. Reservation calls return the number of extents done.
inline int64_t add_to_physmap(uint32_t space, uint64_t idx, uint64_t gpfn, DomainId domid = kDomidSelf) {
  AddToPhysmap arg{domid, 0, space, idx, gpfn};
  return memory_op(xenmem::kAddToPhysmap, address_of(&arg));
}
inline int64_t memory_reservation(uint64_t cmd, uint64_t* gpfns, uint64_t count, uint32_t extent_order = 0,
                                  DomainId domid = kDomidSelf) {
  MemoryReservation arg{address_of(gpfns), count, extent_order, 0, domid};
  return memory_op(cmd, address_of(&arg));
}
// Gives the frames back; they read as holes afterwards.
inline int64_t decrease_reservation(uint64_t* gpfns, uint64_t count) {
  return memory_reservation(xenmem::kDecreaseReservation, gpfns, count);
}
// Puts fresh memory at the frames.
inline int64_t populate_physmap(uint64_t* gpfns, uint64_t count) {
  return memory_reservation(xenmem::kPopulatePhysmap, gpfns, count);
}

// vcpu_op.
inline int64_t register_vcpu_info(uint32_t vcpu, uint64_t gfn, uint32_t offset) {
  VcpuRegisterVcpuInfo arg{gfn, offset, 0};
  return vcpu_op(vcpuop::kRegisterVcpuInfo, vcpu, address_of(&arg));
}
inline int64_t register_runstate_memory_area(uint32_t vcpu, const volatile VcpuRunstateInfo* area) {
  VcpuRegisterRunstateMemoryArea arg{address_of(area)};
  return vcpu_op(vcpuop::kRegisterRunstateMemoryArea, vcpu, address_of(&arg));
}

// hvm_op.
inline int64_t hvm_get_param(uint32_t index, uint64_t& value, DomainId domid = kDomidSelf) {
  HvmParam arg{domid, 0, index, 0};
  int64_t rc = hvm_op(hvmop::kGetParam, address_of(&arg));
  if (rc == 0) value = arg.value;
  return rc;
}
inline int64_t hvm_set_param(uint32_t index, uint64_t value, DomainId domid = kDomidSelf) {
  HvmParam arg{domid, 0, index, value};
  return hvm_op(hvmop::kSetParam, address_of(&arg));
}

// event_channel_op.
template <class Arg>
int64_t evtchn_op(uint64_t cmd, Arg& arg) {
  return event_channel_op(cmd, address_of(&arg));
}
inline int64_t evtchn_alloc_unbound(DomainId remote_dom, EvtchnPort& port) {
  EvtchnAllocUnbound arg{kDomidSelf, remote_dom, 0};
  int64_t rc = evtchn_op(evtchnop::kAllocUnbound, arg);
  if (rc == 0) port = arg.port;
  return rc;
}
inline int64_t evtchn_bind_interdomain(DomainId remote_dom, EvtchnPort remote_port, EvtchnPort& local_port) {
  EvtchnBindInterdomain arg{remote_dom, remote_port, 0};
  int64_t rc = evtchn_op(evtchnop::kBindInterdomain, arg);
  if (rc == 0) local_port = arg.local_port;
  return rc;
}
inline int64_t evtchn_bind_virq(uint32_t virq, uint32_t vcpu, EvtchnPort& port) {
  EvtchnBindVirq arg{virq, vcpu, 0};
  int64_t rc = evtchn_op(evtchnop::kBindVirq, arg);
  if (rc == 0) port = arg.port;
  return rc;
}
inline int64_t evtchn_send(EvtchnPort port) {
  EvtchnSend arg{port};
  return evtchn_op(evtchnop::kSend, arg);
}
inline int64_t evtchn_close(EvtchnPort port) {
  EvtchnClose arg{port};
  return evtchn_op(evtchnop::kClose, arg);
}
inline int64_t evtchn_unmask(EvtchnPort port) {
  EvtchnUnmask arg{port};
  return evtchn_op(evtchnop::kUnmask, arg);
}
inline int64_t evtchn_bind_vcpu(EvtchnPort port, uint32_t vcpu) {
  EvtchnBindVcpu arg{port, vcpu};
  return evtchn_op(evtchnop::kBindVcpu, arg);
}
// `status.dom` and `status.port` in; the rest out.
inline int64_t evtchn_status(EvtchnStatus& status) { return evtchn_op(evtchnop::kStatus, status); }
inline int64_t evtchn_init_control(uint64_t control_gfn, uint32_t offset, uint32_t vcpu) {
  EvtchnInitControl arg{control_gfn, offset, vcpu, 0, {}};
  return evtchn_op(evtchnop::kInitControl, arg);
}
inline int64_t evtchn_expand_array(uint64_t array_gfn) {
  EvtchnExpandArray arg{array_gfn};
  return evtchn_op(evtchnop::kExpandArray, arg);
}
inline int64_t evtchn_set_priority(EvtchnPort port, uint32_t priority) {
  EvtchnSetPriority arg{port, priority};
  return evtchn_op(evtchnop::kSetPriority, arg);
}

// grant_table_op: 0 once the batch ran; per-op results in each `status`.
template <class Op>
int64_t gnttab_op(uint64_t cmd, Op* ops, uint32_t count) {
  return grant_table_op(cmd, address_of(ops), count);
}
inline int64_t gnttab_query_size(GnttabQuerySize& arg) { return gnttab_op(gnttabop::kQuerySize, &arg, 1); }
inline int64_t gnttab_set_version(GnttabSetVersion& arg) { return gnttab_op(gnttabop::kSetVersion, &arg, 1); }
inline int64_t gnttab_map(GnttabMapGrantRef* ops, uint32_t count) {
  return gnttab_op(gnttabop::kMapGrantRef, ops, count);
}
inline int64_t gnttab_unmap(GnttabUnmapGrantRef* ops, uint32_t count) {
  return gnttab_op(gnttabop::kUnmapGrantRef, ops, count);
}
inline int64_t gnttab_copy(GnttabCopy* ops, uint32_t count) { return gnttab_op(gnttabop::kCopy, ops, count); }

// multicall: 0 once every entry ran; each entry's x0 in its `result`.
inline int64_t multicall(MulticallEntry* entries, uint32_t count) { return multicall(address_of(entries), count); }

// sched_op subcommands (old names).
inline constexpr uint64_t kSchedYield = schedop::kYield;
inline constexpr uint64_t kSchedBlock = schedop::kBlock;
inline constexpr uint64_t kSchedShutdown = schedop::kShutdown;

inline int64_t sched_yield() { return sched_op(schedop::kYield, 0); }
// Blocks until an event channel is pending; without event channels it returns
// on the next interrupt, like WFI.
inline int64_t sched_block() { return sched_op(schedop::kBlock, 0); }
inline int64_t sched_shutdown(ShutdownReason reason) {
  SchedShutdown arg{static_cast<uint32_t>(reason)};
  return sched_op(schedop::kShutdown, address_of(&arg));
}
// Blocks until one of `ports` is pending or the system time reaches
// `timeout` (ns; 0 = no timeout).
inline int64_t sched_poll(const EvtchnPort* ports, uint32_t count, uint64_t timeout) {
  SchedPoll arg{address_of(ports), count, timeout};
  return sched_op(schedop::kPoll, address_of(&arg));
}

struct NamedValue {
  int64_t value;
  std::string_view name;
};

inline constexpr NamedValue kErrorNames[] = {
    {kEperm, "EPERM"},
    {kEnoent, "ENOENT"},
    {kEsrch, "ESRCH"},
    {kEintr, "EINTR"},
    {kEio, "EIO"},
    {kEnxio, "ENXIO"},
    {kE2big, "E2BIG"},
    {kEbadf, "EBADF"},
    {kEagain, "EAGAIN"},
    {kEnomem, "ENOMEM"},
    {kEacces, "EACCES"},
    {kEfault, "EFAULT"},
    {kEbusy, "EBUSY"},
    {kEexist, "EEXIST"},
    {kExdev, "EXDEV"},
    {kEnodev, "ENODEV"},
    {kEinval, "EINVAL"},
    {kEnospc, "ENOSPC"},
    {kErange, "ERANGE"},
    {kEdeadlk, "EDEADLK"},
    {kEnosys, "ENOSYS"},
    {kEnodata, "ENODATA"},
    {kEoverflow, "EOVERFLOW"},
    {kErestart, "ERESTART"},
    {kEopnotsupp, "EOPNOTSUPP"},
    {kEtimedout, "ETIMEDOUT"},
};

inline constexpr NamedValue kGrantStatusNames[] = {
    {gntst::kOkay, "okay"},
    {gntst::kGeneralError, "general_error"},
    {gntst::kBadDomain, "bad_domain"},
    {gntst::kBadGntref, "bad_gntref"},
    {gntst::kBadHandle, "bad_handle"},
    {gntst::kBadVirtAddr, "bad_virt_addr"},
    {gntst::kBadDevAddr, "bad_dev_addr"},
    {gntst::kNoDeviceSpace, "no_device_space"},
    {gntst::kPermissionDenied, "permission_denied"},
    {gntst::kBadPage, "bad_page"},
    {gntst::kBadCopyArg, "bad_copy_arg"},
    {gntst::kAddressTooBig, "address_too_big"},
    {gntst::kEagain, "eagain"},
    {gntst::kNoSpace, "no_space"},
};

constexpr std::string_view name_of(int64_t value, const NamedValue* table, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (table[i].value == value) return table[i].name;
  }
  return {};
}

// "EINVAL" for kEinval etc.; "" for a value that is not a Xen error.
constexpr std::string_view error_name(int64_t value) {
  return name_of(value, kErrorNames, sizeof kErrorNames / sizeof kErrorNames[0]);
}

// "bad_gntref" for gntst::kBadGntref etc.; "" for an unknown value.
constexpr std::string_view grant_status_name(int64_t status) {
  return name_of(status, kGrantStatusNames, sizeof kGrantStatusNames / sizeof kGrantStatusNames[0]);
}

}  // namespace xen

namespace psci {

// Function IDs and return codes: the description shared with the core
// (septum::psci, kernel/abi/psci.h), visible here as psci::kCpuOn, ...
using namespace septum::psci;

// SMCCC call through HVC #0: function ID in w0, arguments x1-x3, result x0.
// x4-x17 are declared clobbered so SMCCC 1.0 hypervisors are safe too.
inline int64_t hvc_call(uint32_t function, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
  register uint64_t x0 asm("x0") = function;
  register uint64_t x1 asm("x1") = a1;
  register uint64_t x2 asm("x2") = a2;
  register uint64_t x3 asm("x3") = a3;
  asm volatile("hvc #0"
               : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
               :
               : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
  return static_cast<int64_t>(x0);
}

// The same call through SMC #0, which a hypervisor traps (HCR_EL2.TSC).
inline int64_t smc_call(uint32_t function, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0) {
  register uint64_t x0 asm("x0") = function;
  register uint64_t x1 asm("x1") = a1;
  register uint64_t x2 asm("x2") = a2;
  register uint64_t x3 asm("x3") = a3;
  asm volatile("smc #0"
               : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
               :
               : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
  return static_cast<int64_t>(x0);
}

inline int64_t version() { return hvc_call(kVersion); }
inline int64_t features(uint32_t function) { return hvc_call(kFeatures, function); }
// Starts the vCPU with MPIDR `mpidr` at IPA `entry` (EL1h, MMU off) with x0 = context.
inline int64_t cpu_on(uint64_t mpidr, uint64_t entry, uint64_t context) {
  return hvc_call(kCpuOn, mpidr, entry, context);
}
inline int64_t affinity_info(uint64_t mpidr) { return hvc_call(kAffinityInfo, mpidr, 0); }
// Returns only on failure.
inline int64_t cpu_off() { return hvc_call(kCpuOff); }
// Powers off the calling domain; returns only on failure.
inline int64_t system_off() { return hvc_call(kSystemOff); }

}  // namespace psci

}  // namespace septum::sdk
