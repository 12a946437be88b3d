// The Xen-on-Arm guest ABI as Septum provides it and the SDK uses it:
// hypercall and sub-op numbers, error values, and the AArch64 layout of every
// structure those hypercalls take or share with the guest. Written from the
// documented interface (Xen's public headers xen.h, version.h, memory.h,
// vcpu.h, sched.h, event_channel.h, grant_table.h, hvm/params.h,
// hvm/hvm_op.h, arch-arm.h, features.h, errno.h; ../shared/reference/
// xen-arm-guest-abi.md), not copied from them. Little-endian, AAPCS64
// alignment; a guest handle inside a structure is 8 bytes, 8-byte aligned.
//
// Calling convention: HVC #kHypercallTag, x16 = hypercall number, arguments
// in x0-x4, result in x0 (negative = -errno). Pointer arguments are guest
// virtual addresses, translated by the caller's stage 1 then stage 2.
#pragma once

#include <cstddef>
#include <cstdint>

namespace septum::xen {

inline constexpr uint16_t kHypercallTag = 0xea1;  // the HVC immediate

using DomainId = uint16_t;
using EvtchnPort = uint32_t;
using GrantRef = uint32_t;
using GrantHandle = uint32_t;

// --------------------------------------------------------------- hypercall numbers
inline constexpr uint64_t kPlatformOp = 7;  // dom0 only
inline constexpr uint64_t kMemoryOp = 12;
inline constexpr uint64_t kMulticall = 13;
inline constexpr uint64_t kXenVersion = 17;
inline constexpr uint64_t kConsoleIo = 18;
inline constexpr uint64_t kGrantTableOp = 20;
inline constexpr uint64_t kVmAssist = 21;
inline constexpr uint64_t kVcpuOp = 24;
inline constexpr uint64_t kXsmOp = 27;
inline constexpr uint64_t kSchedOp = 29;
inline constexpr uint64_t kEventChannelOp = 32;
inline constexpr uint64_t kPhysdevOp = 33;
inline constexpr uint64_t kHvmOp = 34;
inline constexpr uint64_t kSysctl = 35;
inline constexpr uint64_t kDomctl = 36;
inline constexpr uint64_t kArgoOp = 39;
inline constexpr uint64_t kDmOp = 41;
inline constexpr uint64_t kHypfsOp = 42;
// Numbers the x86 PV ABI uses and Arm does not (-ENOSYS on Arm).
inline constexpr uint64_t kMmuUpdate = 1;
inline constexpr uint64_t kSchedOpCompat = 6;          // deprecated
inline constexpr uint64_t kEventChannelOpCompat = 16;  // deprecated
inline constexpr uint64_t kPhysdevOpCompat = 19;       // deprecated

// --------------------------------------------------------------- errors
// Xen's errno values (public/errno.h), as returned in x0: negated.
inline constexpr int64_t kEperm = -1;
inline constexpr int64_t kEnoent = -2;
inline constexpr int64_t kEsrch = -3;
inline constexpr int64_t kEintr = -4;
inline constexpr int64_t kEio = -5;
inline constexpr int64_t kEnxio = -6;
inline constexpr int64_t kE2big = -7;
inline constexpr int64_t kEbadf = -9;
inline constexpr int64_t kEagain = -11;
inline constexpr int64_t kEnomem = -12;
inline constexpr int64_t kEacces = -13;
inline constexpr int64_t kEfault = -14;
inline constexpr int64_t kEbusy = -16;
inline constexpr int64_t kEexist = -17;
inline constexpr int64_t kExdev = -18;
inline constexpr int64_t kEnodev = -19;
inline constexpr int64_t kEinval = -22;
inline constexpr int64_t kEnospc = -28;
inline constexpr int64_t kErange = -34;
inline constexpr int64_t kEdeadlk = -35;
inline constexpr int64_t kEnosys = -38;
inline constexpr int64_t kEnodata = -61;
inline constexpr int64_t kEoverflow = -75;
inline constexpr int64_t kErestart = -85;
inline constexpr int64_t kEopnotsupp = -95;
inline constexpr int64_t kEtimedout = -110;

// --------------------------------------------------------------- domain ids
inline constexpr DomainId kDomidFirstReserved = 0x7ff0;
inline constexpr DomainId kDomidSelf = 0x7ff0;
inline constexpr DomainId kDomidIo = 0x7ff1;
inline constexpr DomainId kDomidXen = 0x7ff2;
inline constexpr DomainId kDomidCow = 0x7ff3;
inline constexpr DomainId kDomidInvalid = 0x7ff4;
inline constexpr DomainId kDomidIdle = 0x7fff;
inline constexpr DomainId kDomidMask = 0x7fff;

// --------------------------------------------------------------- xen_version (17)
// xen_version(cmd, arg*).
namespace xenver {
inline constexpr uint64_t kVersion = 0;             // returns (major << 16) | minor; arg unused
inline constexpr uint64_t kExtraversion = 1;        // char[16]
inline constexpr uint64_t kCompileInfo = 2;         // CompileInfo
inline constexpr uint64_t kCapabilities = 3;        // char[1024]
inline constexpr uint64_t kChangeset = 4;           // char[64]
inline constexpr uint64_t kPlatformParameters = 5;  // PlatformParameters
inline constexpr uint64_t kGetFeatures = 6;         // FeatureInfo
inline constexpr uint64_t kPagesize = 7;            // arg must be NULL; returns the page size
inline constexpr uint64_t kGuestHandle = 8;         // uint8_t[16]
inline constexpr uint64_t kCommandline = 9;         // char[1024]
inline constexpr uint64_t kBuildId = 10;            // BuildId + buffer

inline constexpr size_t kExtraversionSize = 16;
inline constexpr size_t kCapabilitiesSize = 1024;
inline constexpr size_t kChangesetSize = 64;
inline constexpr size_t kGuestHandleSize = 16;
inline constexpr size_t kCommandlineSize = 1024;
}  // namespace xenver

struct CompileInfo {
  char compiler[64];
  char compile_by[16];
  char compile_domain[32];
  char compile_date[32];
};
static_assert(sizeof(CompileInfo) == 144);
static_assert(offsetof(CompileInfo, compile_by) == 64 && offsetof(CompileInfo, compile_date) == 112);

struct PlatformParameters {
  uint64_t virt_start;
};
static_assert(sizeof(PlatformParameters) == 8);

struct BuildId {
  uint32_t len;  // IN: size of the buffer that follows; OUT: bytes written
  // unsigned char buf[len] follows.
};
static_assert(sizeof(BuildId) == 4);

struct FeatureInfo {
  uint32_t submap_idx;  // IN: which 32-bit submap
  uint32_t submap;      // OUT
};
static_assert(sizeof(FeatureInfo) == 8);
static_assert(offsetof(FeatureInfo, submap) == 4);

// Feature bits (public/features.h); one submap (index 0) exists.
namespace feature {
inline constexpr uint32_t kWritablePageTables = 0;
inline constexpr uint32_t kWritableDescriptorTables = 1;
inline constexpr uint32_t kAutoTranslatedPhysmap = 2;
inline constexpr uint32_t kSupervisorModeKernel = 3;
inline constexpr uint32_t kPaePgdirAbove4gb = 4;
inline constexpr uint32_t kMmuPtUpdatePreserveAd = 5;
inline constexpr uint32_t kHighmemAssist = 6;
inline constexpr uint32_t kGnttabMapAvailBits = 7;
inline constexpr uint32_t kHvmCallbackVector = 8;
inline constexpr uint32_t kHvmSafePvclock = 9;
inline constexpr uint32_t kHvmPirqs = 10;
inline constexpr uint32_t kDom0 = 11;
inline constexpr uint32_t kGrantMapIdentity = 12;
inline constexpr uint32_t kMemoryOpVnodeSupported = 13;
inline constexpr uint32_t kArmSmcccSupported = 14;
inline constexpr uint32_t kLinuxRsdpUnrestricted = 15;
inline constexpr uint32_t kNotDirectMapped = 16;
inline constexpr uint32_t kDirectMapped = 17;
inline constexpr uint32_t kSubmapCount = 1;

// What Xen 4.17 reports to an auto-translated, not direct-mapped Arm domU:
// writable_page_tables, auto_translated_physmap, memory_op_vnode_supported,
// ARM_SMCCC_supported, not_direct_mapped (= 0x16005). Never dom0.
inline constexpr uint32_t kArmDomU = (1u << kWritablePageTables) | (1u << kAutoTranslatedPhysmap) |
                                     (1u << kMemoryOpVnodeSupported) | (1u << kArmSmcccSupported) |
                                     (1u << kNotDirectMapped);
static_assert(kArmDomU == 0x16005);
}  // namespace feature

// --------------------------------------------------------------- memory_op (12)
// memory_op(cmd, arg*). Bits 6 and up of cmd carry a continuation's start
// extent; guests pass the plain sub-op.
namespace xenmem {
inline constexpr uint64_t kIncreaseReservation = 0;  // MemoryReservation; returns extents done
inline constexpr uint64_t kDecreaseReservation = 1;  // MemoryReservation; returns extents done
inline constexpr uint64_t kMaximumRamPage = 2;
inline constexpr uint64_t kCurrentReservation = 3;  // MemoryDomain
inline constexpr uint64_t kMaximumReservation = 4;  // MemoryDomain
inline constexpr uint64_t kPopulatePhysmap = 6;     // MemoryReservation; returns extents done
inline constexpr uint64_t kAddToPhysmap = 7;        // AddToPhysmap
inline constexpr uint64_t kMemoryMap = 9;
inline constexpr uint64_t kMaximumGpfn = 14;
inline constexpr uint64_t kRemoveFromPhysmap = 15;  // RemoveFromPhysmap
inline constexpr uint64_t kAddToPhysmapBatch = 23;
inline constexpr uint64_t kAcquireResource = 28;

inline constexpr unsigned kExtentShift = 6;  // cmd >> 6 = start extent of a continuation
inline constexpr uint64_t kCmdMask = (1u << kExtentShift) - 1;
}  // namespace xenmem

// AddToPhysmap.space.
namespace mapspace {
inline constexpr uint32_t kSharedInfo = 0;  // idx must be 0
inline constexpr uint32_t kGrantTable = 1;  // idx = grant frame number
inline constexpr uint32_t kGmfn = 2;
inline constexpr uint32_t kGmfnRange = 3;
inline constexpr uint32_t kGmfnForeign = 4;
inline constexpr uint32_t kDevMmio = 5;
inline constexpr uint64_t kGrantTableStatusIdx = 0x80000000;  // idx flag: a v2 status frame
}  // namespace mapspace

struct AddToPhysmap {
  DomainId domid;  // DOMID_SELF for the caller
  uint16_t size;   // pages, kGmfnRange only
  uint32_t space;  // mapspace::
  uint64_t idx;    // index into the space
  uint64_t gpfn;   // where to map it (guest frame number)
};
static_assert(sizeof(AddToPhysmap) == 24);
static_assert(offsetof(AddToPhysmap, size) == 2 && offsetof(AddToPhysmap, space) == 4);
static_assert(offsetof(AddToPhysmap, idx) == 8 && offsetof(AddToPhysmap, gpfn) == 16);

struct RemoveFromPhysmap {
  DomainId domid;
  uint64_t gpfn;
};
static_assert(sizeof(RemoveFromPhysmap) == 16 && offsetof(RemoveFromPhysmap, gpfn) == 8);

struct MemoryDomain {
  DomainId domid;
};
static_assert(sizeof(MemoryDomain) == 2);

struct MemoryReservation {
  uint64_t extent_start;  // handle: array of nr_extents guest frame numbers (IN; OUT for populate)
  uint64_t nr_extents;
  uint32_t extent_order;  // log2 pages per extent; Linux uses 0
  uint32_t mem_flags;     // kMemf* (also read as address_bits); 0
  DomainId domid;
};
static_assert(sizeof(MemoryReservation) == 32);
static_assert(offsetof(MemoryReservation, nr_extents) == 8 && offsetof(MemoryReservation, extent_order) == 16);
static_assert(offsetof(MemoryReservation, mem_flags) == 20 && offsetof(MemoryReservation, domid) == 24);

inline constexpr uint32_t kMemfPopulateOnDemand = 1u << 16;
inline constexpr uint32_t kMemfExactNodeRequest = 1u << 17;
inline constexpr uint32_t kMemfVnode = 1u << 18;

// --------------------------------------------------------------- vcpu_op (24)
// vcpu_op(cmd, vcpuid, arg*). Xen on Arm accepts only the two register ops
// and answers every other command with -EINVAL.
namespace vcpuop {
inline constexpr uint64_t kInitialise = 0;
inline constexpr uint64_t kUp = 1;
inline constexpr uint64_t kDown = 2;
inline constexpr uint64_t kIsUp = 3;
inline constexpr uint64_t kGetRunstateInfo = 4;
inline constexpr uint64_t kRegisterRunstateMemoryArea = 5;  // VcpuRegisterRunstateMemoryArea
inline constexpr uint64_t kSetPeriodicTimer = 6;
inline constexpr uint64_t kStopPeriodicTimer = 7;
inline constexpr uint64_t kSetSingleshotTimer = 8;
inline constexpr uint64_t kStopSingleshotTimer = 9;
inline constexpr uint64_t kRegisterVcpuInfo = 10;  // VcpuRegisterVcpuInfo
inline constexpr uint64_t kSendNmi = 11;
inline constexpr uint64_t kGetPhysid = 12;
inline constexpr uint64_t kRegisterVcpuTimeMemoryArea = 13;
}  // namespace vcpuop

struct VcpuRegisterVcpuInfo {
  uint64_t mfn;     // guest frame of the page that holds the VcpuInfo
  uint32_t offset;  // in that page; 8-byte aligned, VcpuInfo must not cross the page
  uint32_t rsvd;
};
static_assert(sizeof(VcpuRegisterVcpuInfo) == 16);
static_assert(offsetof(VcpuRegisterVcpuInfo, offset) == 8 && offsetof(VcpuRegisterVcpuInfo, rsvd) == 12);

// VcpuRunstateInfo.state.
namespace runstate {
inline constexpr int32_t kRunning = 0;
inline constexpr int32_t kRunnable = 1;
inline constexpr int32_t kBlocked = 2;
inline constexpr int32_t kOffline = 3;
inline constexpr uint32_t kCount = 4;
// Set in state_entry_time while the hypervisor rewrites the area, if the
// guest enabled vmasst::kRunstateUpdateFlag.
inline constexpr uint64_t kUpdate = uint64_t{1} << 63;
}  // namespace runstate

struct VcpuRunstateInfo {
  int32_t state;                    // runstate::
  uint64_t state_entry_time;        // system time (ns) of the last state change
  uint64_t time[runstate::kCount];  // ns spent in each state
};
static_assert(sizeof(VcpuRunstateInfo) == 48);
static_assert(offsetof(VcpuRunstateInfo, state_entry_time) == 8 && offsetof(VcpuRunstateInfo, time) == 16);

struct VcpuRegisterRunstateMemoryArea {
  uint64_t addr;  // guest virtual address of a VcpuRunstateInfo; 0 unregisters
};
static_assert(sizeof(VcpuRegisterRunstateMemoryArea) == 8);

// --------------------------------------------------------------- shared memory
// pvclock-style time record inside VcpuInfo; never written by Xen on Arm
// (guests use the architected timer).
struct VcpuTimeInfo {
  uint32_t version;  // odd while an update is in progress
  uint32_t pad0;
  uint64_t tsc_timestamp;
  uint64_t system_time;
  uint32_t tsc_to_system_mul;
  int8_t tsc_shift;
  uint8_t flags;
  uint8_t pad1[2];
};
static_assert(sizeof(VcpuTimeInfo) == 32);
static_assert(offsetof(VcpuTimeInfo, tsc_timestamp) == 8 && offsetof(VcpuTimeInfo, system_time) == 16);
static_assert(offsetof(VcpuTimeInfo, tsc_to_system_mul) == 24 && offsetof(VcpuTimeInfo, tsc_shift) == 28);
static_assert(offsetof(VcpuTimeInfo, flags) == 29);

// Arm's arch_vcpu_info and arch_shared_info are empty: 0 bytes in C, so they
// are left out here (an empty C++ member would take a byte and shift what follows).
struct VcpuInfo {
  uint8_t evtchn_upcall_pending;  // set by the hypervisor, cleared by the guest
  uint8_t pad0;                   // evtchn_upcall_mask on x86; unused on Arm
  uint64_t evtchn_pending_sel;    // 2-level: bit w = word w of evtchn_pending has work
  VcpuTimeInfo time;
};
static_assert(sizeof(VcpuInfo) == 48);
static_assert(offsetof(VcpuInfo, pad0) == 1 && offsetof(VcpuInfo, evtchn_pending_sel) == 8);
static_assert(offsetof(VcpuInfo, time) == 16);

inline constexpr uint32_t kLegacyMaxVcpus = 1;  // vcpu_info slots inside SharedInfo on Arm
inline constexpr uint32_t kEvtchn2lWords = 64;  // 64-bit words of each 2-level bitmap
inline constexpr uint32_t kEvtchn2lPorts = kEvtchn2lWords * 64;

// The page mapped with add_to_physmap(mapspace::kSharedInfo).
struct SharedInfo {
  VcpuInfo vcpu_info[kLegacyMaxVcpus];
  uint64_t evtchn_pending[kEvtchn2lWords];
  uint64_t evtchn_mask[kEvtchn2lWords];
  uint32_t wc_version;  // odd while the wall clock below is updated
  uint32_t wc_sec;      // wall-clock time when the domain's virtual counter read 0
  uint32_t wc_nsec;
  uint32_t wc_sec_hi;
};
static_assert(sizeof(SharedInfo) == 1088);
static_assert(offsetof(SharedInfo, evtchn_pending) == 48 && offsetof(SharedInfo, evtchn_mask) == 560);
static_assert(offsetof(SharedInfo, wc_version) == 1072 && offsetof(SharedInfo, wc_sec) == 1076);
static_assert(offsetof(SharedInfo, wc_nsec) == 1080 && offsetof(SharedInfo, wc_sec_hi) == 1084);

// --------------------------------------------------------------- vm_assist (21)
// vm_assist(cmd, type).
namespace vmasst {
inline constexpr uint64_t kEnable = 0;
inline constexpr uint64_t kDisable = 1;
inline constexpr uint64_t kTypeWritablePagetables = 2;  // x86
inline constexpr uint64_t kTypeRunstateUpdateFlag = 5;  // the only type valid on Arm
inline constexpr uint64_t kTypeM2pStrict = 32;          // x86
}  // namespace vmasst

// --------------------------------------------------------------- hvm_op (34)
// hvm_op(op, arg*).
namespace hvmop {
inline constexpr uint64_t kSetParam = 0;  // HvmParam; the domain builder's
inline constexpr uint64_t kGetParam = 1;  // HvmParam
inline constexpr uint64_t kGuestRequestVmEvent = 24;
}  // namespace hvmop

struct HvmParam {
  DomainId domid;  // DOMID_SELF for the caller
  uint16_t pad;
  uint32_t index;  // hvm_param::
  uint64_t value;  // IN for set, OUT for get
};
static_assert(sizeof(HvmParam) == 16);
static_assert(offsetof(HvmParam, index) == 4 && offsetof(HvmParam, value) == 8);

// HvmParam.index values Arm guests use; a domain may read the first five
// (0 when unset) but set none of them.
namespace hvm_param {
inline constexpr uint32_t kCallbackIrq = 0;
inline constexpr uint32_t kStorePfn = 1;
inline constexpr uint32_t kStoreEvtchn = 2;
inline constexpr uint32_t kTimerMode = 10;  // x86
inline constexpr uint32_t kConsolePfn = 17;
inline constexpr uint32_t kConsoleEvtchn = 18;
inline constexpr uint32_t kMonitorRingPfn = 28;  // toolstack only
inline constexpr uint32_t kCount = 39;           // HVM_NR_PARAMS

// kCallbackIrq value on Arm: (kCallbackTypePpi << 56) | (flags << 8) | INTID.
inline constexpr uint64_t kCallbackTypeShift = 56;
inline constexpr uint64_t kCallbackTypePpi = 2;
inline constexpr uint64_t kCallbackPpiFlagEdge = 1;      // << 8
inline constexpr uint64_t kCallbackPpiFlagLowLevel = 2;  // << 8
// The store PFN value that means "xenstore will come later; wait for an event".
inline constexpr uint64_t kStorePfnDeferred = ~uint64_t{0};
}  // namespace hvm_param

// --------------------------------------------------------------- console_io (18)
// console_io(cmd, count, buffer*).
namespace consoleio {
inline constexpr uint64_t kWrite = 0;
inline constexpr uint64_t kRead = 1;
}  // namespace consoleio

// --------------------------------------------------------------- sched_op (29)
// sched_op(cmd, arg*).
namespace schedop {
inline constexpr uint64_t kYield = 0;           // arg NULL
inline constexpr uint64_t kBlock = 1;           // arg NULL; returns once an event is pending
inline constexpr uint64_t kShutdown = 2;        // SchedShutdown
inline constexpr uint64_t kPoll = 3;            // SchedPoll
inline constexpr uint64_t kRemoteShutdown = 4;  // SchedRemoteShutdown
inline constexpr uint64_t kShutdownCode = 5;    // SchedShutdown
inline constexpr uint64_t kWatchdog = 6;
inline constexpr uint64_t kPinOverride = 7;
}  // namespace schedop

enum class ShutdownReason : uint32_t {
  poweroff = 0,
  reboot = 1,
  suspend = 2,
  crash = 3,
  watchdog = 4,
  soft_reset = 5,
};
inline constexpr uint32_t kShutdownReasonMax = 5;

struct SchedShutdown {
  uint32_t reason;  // ShutdownReason
};
static_assert(sizeof(SchedShutdown) == 4);

struct SchedPoll {
  uint64_t ports;     // handle: array of nr_ports EvtchnPort
  uint32_t nr_ports;  // at most kSchedPollMaxPorts
  uint64_t timeout;   // absolute system time (ns); 0 = none
};
static_assert(sizeof(SchedPoll) == 24);
static_assert(offsetof(SchedPoll, nr_ports) == 8 && offsetof(SchedPoll, timeout) == 16);
inline constexpr uint32_t kSchedPollMaxPorts = 128;

struct SchedRemoteShutdown {
  DomainId domain_id;
  uint32_t reason;
};
static_assert(sizeof(SchedRemoteShutdown) == 8 && offsetof(SchedRemoteShutdown, reason) == 4);

// --------------------------------------------------------------- event_channel_op (32)
// event_channel_op(cmd, arg*). Port 0 is never valid.
namespace evtchnop {
inline constexpr uint64_t kBindInterdomain = 0;  // EvtchnBindInterdomain
inline constexpr uint64_t kBindVirq = 1;         // EvtchnBindVirq
inline constexpr uint64_t kBindPirq = 2;
inline constexpr uint64_t kClose = 3;         // EvtchnClose
inline constexpr uint64_t kSend = 4;          // EvtchnSend
inline constexpr uint64_t kStatus = 5;        // EvtchnStatus
inline constexpr uint64_t kAllocUnbound = 6;  // EvtchnAllocUnbound
inline constexpr uint64_t kBindIpi = 7;       // EvtchnBindIpi
inline constexpr uint64_t kBindVcpu = 8;      // EvtchnBindVcpu
inline constexpr uint64_t kUnmask = 9;        // EvtchnUnmask
inline constexpr uint64_t kReset = 10;        // EvtchnReset
inline constexpr uint64_t kInitControl = 11;  // EvtchnInitControl (FIFO)
inline constexpr uint64_t kExpandArray = 12;  // EvtchnExpandArray (FIFO)
inline constexpr uint64_t kSetPriority = 13;  // EvtchnSetPriority (FIFO)
}  // namespace evtchnop

struct EvtchnAllocUnbound {
  DomainId dom;         // IN: DOMID_SELF unless privileged
  DomainId remote_dom;  // IN: who may bind to it (DOMID_SELF allowed)
  EvtchnPort port;      // OUT
};
static_assert(sizeof(EvtchnAllocUnbound) == 8);
static_assert(offsetof(EvtchnAllocUnbound, remote_dom) == 2 && offsetof(EvtchnAllocUnbound, port) == 4);

// The new local port is left pending.
struct EvtchnBindInterdomain {
  DomainId remote_dom;     // IN (DOMID_SELF allowed: loopback)
  EvtchnPort remote_port;  // IN: unbound, and offered to the caller
  EvtchnPort local_port;   // OUT
};
static_assert(sizeof(EvtchnBindInterdomain) == 12);
static_assert(offsetof(EvtchnBindInterdomain, remote_port) == 4);
static_assert(offsetof(EvtchnBindInterdomain, local_port) == 8);

struct EvtchnBindVirq {
  uint32_t virq;    // IN: virq::
  uint32_t vcpu;    // IN: 0 for global VIRQs
  EvtchnPort port;  // OUT
};
static_assert(sizeof(EvtchnBindVirq) == 12);
static_assert(offsetof(EvtchnBindVirq, vcpu) == 4 && offsetof(EvtchnBindVirq, port) == 8);

struct EvtchnBindIpi {
  uint32_t vcpu;
  EvtchnPort port;  // OUT
};
static_assert(sizeof(EvtchnBindIpi) == 8 && offsetof(EvtchnBindIpi, port) == 4);

// kClose, kSend and kUnmask take just a port.
struct EvtchnPortArg {
  EvtchnPort port;
};
static_assert(sizeof(EvtchnPortArg) == 4);
using EvtchnClose = EvtchnPortArg;
using EvtchnSend = EvtchnPortArg;
using EvtchnUnmask = EvtchnPortArg;

// EvtchnStatus.status.
namespace evtchnstat {
inline constexpr uint32_t kClosed = 0;
inline constexpr uint32_t kUnbound = 1;
inline constexpr uint32_t kInterdomain = 2;
inline constexpr uint32_t kPirq = 3;
inline constexpr uint32_t kVirq = 4;
inline constexpr uint32_t kIpi = 5;
}  // namespace evtchnstat

struct EvtchnStatus {
  DomainId dom;     // IN: DOMID_SELF unless privileged
  EvtchnPort port;  // IN
  uint32_t status;  // OUT: evtchnstat::
  uint32_t vcpu;    // OUT: the vCPU it notifies
  union {
    struct {
      DomainId dom;
    } unbound;  // kUnbound: who may bind
    struct {
      DomainId dom;
      EvtchnPort port;
    } interdomain;  // kInterdomain: the other end
    uint32_t pirq;
    uint32_t virq;
  } u;
};
static_assert(sizeof(EvtchnStatus) == 24);
static_assert(offsetof(EvtchnStatus, port) == 4 && offsetof(EvtchnStatus, status) == 8);
static_assert(offsetof(EvtchnStatus, vcpu) == 12 && offsetof(EvtchnStatus, u) == 16);
static_assert(offsetof(EvtchnStatus, u.interdomain.port) == 20);

struct EvtchnBindVcpu {
  EvtchnPort port;
  uint32_t vcpu;
};
static_assert(sizeof(EvtchnBindVcpu) == 8 && offsetof(EvtchnBindVcpu, vcpu) == 4);

struct EvtchnReset {
  DomainId dom;
};
static_assert(sizeof(EvtchnReset) == 2);

// Switches the domain to the FIFO ABI (first call) and places one vCPU's
// control block at control_gfn + offset.
struct EvtchnInitControl {
  uint64_t control_gfn;  // IN
  uint32_t offset;       // IN: 8-byte aligned, <= page size - sizeof(EvtchnFifoControlBlock)
  uint32_t vcpu;         // IN
  uint8_t link_bits;     // OUT: kEvtchnFifoLinkBits
  uint8_t pad[7];
};
static_assert(sizeof(EvtchnInitControl) == 24);
static_assert(offsetof(EvtchnInitControl, offset) == 8 && offsetof(EvtchnInitControl, vcpu) == 12);
static_assert(offsetof(EvtchnInitControl, link_bits) == 16);

// Adds one page of 1024 event words to the FIFO event array.
struct EvtchnExpandArray {
  uint64_t array_gfn;
};
static_assert(sizeof(EvtchnExpandArray) == 8);

struct EvtchnSetPriority {
  EvtchnPort port;
  uint32_t priority;  // kEvtchnFifoPriorityMax (0, highest) .. kEvtchnFifoPriorityMin (15)
};
static_assert(sizeof(EvtchnSetPriority) == 8 && offsetof(EvtchnSetPriority, priority) == 4);

// FIFO ABI: an event word (uint32_t) per port, 1024 per array page.
using EventWord = uint32_t;
inline constexpr uint32_t kEvtchnFifoPending = 31;  // bit numbers
inline constexpr uint32_t kEvtchnFifoMasked = 30;
inline constexpr uint32_t kEvtchnFifoLinked = 29;
inline constexpr uint32_t kEvtchnFifoBusy = 28;
inline constexpr uint32_t kEvtchnFifoLinkBits = 17;
inline constexpr uint32_t kEvtchnFifoLinkMask = (1u << kEvtchnFifoLinkBits) - 1;  // next port in the queue
inline constexpr uint32_t kEvtchnFifoPorts = 1u << kEvtchnFifoLinkBits;
inline constexpr uint32_t kEvtchnFifoWordsPerPage = 4096 / sizeof(EventWord);
inline constexpr uint32_t kEvtchnFifoPriorityMax = 0;
inline constexpr uint32_t kEvtchnFifoPriorityDefault = 7;
inline constexpr uint32_t kEvtchnFifoPriorityMin = 15;
inline constexpr uint32_t kEvtchnFifoQueues = kEvtchnFifoPriorityMin + 1;

struct EvtchnFifoControlBlock {
  uint32_t ready;  // bit q: queue q is not empty
  uint32_t rsvd;
  uint32_t head[kEvtchnFifoQueues];  // first port of each queue
};
static_assert(sizeof(EvtchnFifoControlBlock) == 72);
static_assert(offsetof(EvtchnFifoControlBlock, head) == 8);

// Virtual IRQs (EvtchnBindVirq.virq). TIMER, DEBUG, XENOPROF and XENPMU are
// per vCPU; the others are global (bound on vCPU 0, movable with kBindVcpu).
namespace virq {
inline constexpr uint32_t kTimer = 0;
inline constexpr uint32_t kDebug = 1;
inline constexpr uint32_t kConsole = 2;
inline constexpr uint32_t kDomExc = 3;
inline constexpr uint32_t kTbuf = 4;
inline constexpr uint32_t kDebugger = 6;
inline constexpr uint32_t kXenoprof = 7;
inline constexpr uint32_t kConRing = 8;
inline constexpr uint32_t kPcpuState = 9;
inline constexpr uint32_t kMemEvent = 10;
inline constexpr uint32_t kArgo = 11;
inline constexpr uint32_t kEnomem = 12;
inline constexpr uint32_t kXenpmu = 13;
inline constexpr uint32_t kArch0 = 16;  // .. kArch0 + 7
inline constexpr uint32_t kCount = 24;  // NR_VIRQS
constexpr bool is_per_vcpu(uint32_t v) { return v == kTimer || v == kDebug || v == kXenoprof || v == kXenpmu; }
}  // namespace virq

// --------------------------------------------------------------- grant_table_op (20)
// grant_table_op(cmd, uops*, count). Returns 0 once the batch was processed;
// each op's own result is in its `status` (gntst::).
namespace gnttabop {
inline constexpr uint64_t kMapGrantRef = 0;    // GnttabMapGrantRef[count]
inline constexpr uint64_t kUnmapGrantRef = 1;  // GnttabUnmapGrantRef[count]
inline constexpr uint64_t kSetupTable = 2;
inline constexpr uint64_t kDumpTable = 3;
inline constexpr uint64_t kTransfer = 4;
inline constexpr uint64_t kCopy = 5;       // GnttabCopy[count]
inline constexpr uint64_t kQuerySize = 6;  // GnttabQuerySize, count 1
inline constexpr uint64_t kUnmapAndReplace = 7;
inline constexpr uint64_t kSetVersion = 8;  // GnttabSetVersion, count 1
inline constexpr uint64_t kGetStatusFrames = 9;
inline constexpr uint64_t kGetVersion = 10;  // GnttabGetVersion, count 1
inline constexpr uint64_t kSwapGrantRef = 11;
inline constexpr uint64_t kCacheFlush = 12;
}  // namespace gnttabop

// Version 1 grant entry; 512 per 4 KiB frame. The granting guest writes
// domid and frame, then (after a barrier) flags.
struct GrantEntryV1 {
  uint16_t flags;  // gtf::
  DomainId domid;  // the grantee
  uint32_t frame;  // guest frame number granted
};
static_assert(sizeof(GrantEntryV1) == 8);
static_assert(offsetof(GrantEntryV1, domid) == 2 && offsetof(GrantEntryV1, frame) == 4);
inline constexpr uint32_t kGrantEntriesPerFrameV1 = 4096 / sizeof(GrantEntryV1);

inline constexpr GrantRef kGnttabReservedEntries = 8;  // refs below 8 belong to the toolstack
inline constexpr GrantRef kGnttabReservedConsole = 0;
inline constexpr GrantRef kGnttabReservedXenstore = 1;

namespace gtf {
inline constexpr uint16_t kInvalid = 0;
inline constexpr uint16_t kPermitAccess = 1;
inline constexpr uint16_t kAcceptTransfer = 2;
inline constexpr uint16_t kTransitive = 3;
inline constexpr uint16_t kTypeMask = 3;
inline constexpr uint16_t kReadonly = 1u << 2;  // grantee may only read
inline constexpr uint16_t kReading = 1u << 3;   // set by the hypervisor while mapped/copied
inline constexpr uint16_t kWriting = 1u << 4;   // set by the hypervisor while mapped r/w
inline constexpr uint16_t kPwt = 1u << 5;
inline constexpr uint16_t kPcd = 1u << 6;
inline constexpr uint16_t kPat = 1u << 7;
inline constexpr uint16_t kSubPage = 1u << 8;
inline constexpr uint16_t kTransferCommitted = 1u << 2;
inline constexpr uint16_t kTransferCompleted = 1u << 3;
}  // namespace gtf

namespace gntmap {
inline constexpr uint32_t kDeviceMap = 1u << 0;
inline constexpr uint32_t kHostMap = 1u << 1;  // the only mapping kind on Arm
inline constexpr uint32_t kReadonly = 1u << 2;
inline constexpr uint32_t kApplicationMap = 1u << 3;
inline constexpr uint32_t kContainsPte = 1u << 4;
}  // namespace gntmap

// Per-op status values.
namespace gntst {
inline constexpr int16_t kOkay = 0;
inline constexpr int16_t kGeneralError = -1;
inline constexpr int16_t kBadDomain = -2;
inline constexpr int16_t kBadGntref = -3;
inline constexpr int16_t kBadHandle = -4;
inline constexpr int16_t kBadVirtAddr = -5;
inline constexpr int16_t kBadDevAddr = -6;
inline constexpr int16_t kNoDeviceSpace = -7;
inline constexpr int16_t kPermissionDenied = -8;
inline constexpr int16_t kBadPage = -9;
inline constexpr int16_t kBadCopyArg = -10;
inline constexpr int16_t kAddressTooBig = -11;
inline constexpr int16_t kEagain = -12;
inline constexpr int16_t kNoSpace = -13;
}  // namespace gntst

struct GnttabMapGrantRef {
  uint64_t host_addr;     // IN: on Arm the guest-physical address to map at
  uint32_t flags;         // IN: gntmap::
  GrantRef ref;           // IN
  DomainId dom;           // IN: the granting domain (a real id, not DOMID_SELF)
  int16_t status;         // OUT: gntst::
  GrantHandle handle;     // OUT
  uint64_t dev_bus_addr;  // OUT
};
static_assert(sizeof(GnttabMapGrantRef) == 32);
static_assert(offsetof(GnttabMapGrantRef, flags) == 8 && offsetof(GnttabMapGrantRef, ref) == 12);
static_assert(offsetof(GnttabMapGrantRef, dom) == 16 && offsetof(GnttabMapGrantRef, status) == 18);
static_assert(offsetof(GnttabMapGrantRef, handle) == 20 && offsetof(GnttabMapGrantRef, dev_bus_addr) == 24);

struct GnttabUnmapGrantRef {
  uint64_t host_addr;
  uint64_t dev_bus_addr;
  GrantHandle handle;
  int16_t status;  // OUT
};
static_assert(sizeof(GnttabUnmapGrantRef) == 24);
static_assert(offsetof(GnttabUnmapGrantRef, dev_bus_addr) == 8 && offsetof(GnttabUnmapGrantRef, handle) == 16);
static_assert(offsetof(GnttabUnmapGrantRef, status) == 20);

namespace gntcopy {
inline constexpr uint16_t kSourceGref = 1u << 0;  // source.u.ref is a grant of source.domid
inline constexpr uint16_t kDestGref = 1u << 1;
}  // namespace gntcopy

// One side of a copy: a grant reference, or (domid = DOMID_SELF) a local frame.
struct GnttabCopyPtr {
  union {
    GrantRef ref;
    uint64_t gmfn;
  } u;
  DomainId domid;
  uint16_t offset;
};
static_assert(sizeof(GnttabCopyPtr) == 16);
static_assert(offsetof(GnttabCopyPtr, domid) == 8 && offsetof(GnttabCopyPtr, offset) == 10);

struct GnttabCopy {
  GnttabCopyPtr source;
  GnttabCopyPtr dest;
  uint16_t len;    // neither side may cross its page
  uint16_t flags;  // gntcopy::
  int16_t status;  // OUT
};
static_assert(sizeof(GnttabCopy) == 40);
static_assert(offsetof(GnttabCopy, dest) == 16 && offsetof(GnttabCopy, len) == 32);
static_assert(offsetof(GnttabCopy, flags) == 34 && offsetof(GnttabCopy, status) == 36);

struct GnttabQuerySize {
  DomainId dom;            // IN
  uint32_t nr_frames;      // OUT: current
  uint32_t max_nr_frames;  // OUT
  int16_t status;          // OUT
};
static_assert(sizeof(GnttabQuerySize) == 16);
static_assert(offsetof(GnttabQuerySize, nr_frames) == 4 && offsetof(GnttabQuerySize, max_nr_frames) == 8);
static_assert(offsetof(GnttabQuerySize, status) == 12);

struct GnttabSetVersion {
  uint32_t version;  // IN: 1 or 2; OUT: the version in force
};
static_assert(sizeof(GnttabSetVersion) == 4);

struct GnttabGetVersion {
  DomainId dom;  // IN
  uint16_t pad;
  uint32_t version;  // OUT
};
static_assert(sizeof(GnttabGetVersion) == 8 && offsetof(GnttabGetVersion, version) == 4);

struct GnttabSetupTable {
  DomainId dom;
  uint32_t nr_frames;
  int16_t status;
  uint64_t frame_list;  // handle: xen_pfn_t array
};
static_assert(sizeof(GnttabSetupTable) == 24 && offsetof(GnttabSetupTable, frame_list) == 16);

// --------------------------------------------------------------- multicall (13)
// multicall(entries*, count): runs each entry as hypercall `op` with `args`
// and stores its x0 in `result`; returns 0 once all ran.
struct MulticallEntry {
  uint64_t op;
  uint64_t result;
  uint64_t args[6];
};
static_assert(sizeof(MulticallEntry) == 64);
static_assert(offsetof(MulticallEntry, result) == 8 && offsetof(MulticallEntry, args) == 16);

// --------------------------------------------------------------- Arm guest layout
// What libxl gives a Xen-on-Arm guest (arch-arm.h); Septum's own layout is
// in guest_platform.h, and guests must read either from their device tree.
inline constexpr uint32_t kGuestEvtchnPpi = 31;  // event upcall PPI (INTID)
inline constexpr uint64_t kGuestGnttabBase = 0x38000000;
inline constexpr uint64_t kGuestGnttabSize = 0x01000000;
inline constexpr uint64_t kGuestMagicBase = 0x39000000;
inline constexpr uint64_t kGuestMagicSize = 0x01000000;

inline constexpr uint64_t kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;

}  // namespace septum::xen
