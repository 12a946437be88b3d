// conformance: exercises the Xen hypercalls a Septum domain can make, on
// itself, including their error cases, and prints one line per case:
//
//   conformance: <case-name>: <result>
//
// <result> is the hypercall's return value ("-22 EINVAL" for errors) and any
// output that is the same on every run (ports, handles, status fields;
// "nonzero", "advanced" for addresses and times). The run ends with
// "conformance: done (N cases)"; then the domain shuts itself down with
// SCHEDOP_shutdown. The same image runs as a Xen 4.17 dom0less domU and on
// Septum; tests/conformance compares the two (see its README).
//
// Needs 2 vCPUs: vCPU 0 runs every case, vCPU 1 stays offline (the target of
// per-vCPU registrations and event bindings). The cases run in a fixed order
// and later ones depend on earlier ones (shared_info and vcpu_info before
// event channels, the 2-level ABI before the switch to FIFO, ...).
//
// Addresses given to the hypervisor are IPAs (the runtime keeps the MMU off).
// A "bad" pointer is the first address past the domain's RAM (`outside`), or
// 0, or a structure whose last bytes lie past the end of RAM (`straddle`,
// only for structures the hypervisor reads). Caches are not maintained: the
// runtime's Device-memory accesses are coherent with the hypervisor's only
// where the platform does not model caches (QEMU).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/hypercall.h"
#include "sdk/runtime/sysreg.h"
#include "sdk/runtime/timer.h"

using namespace septum::sdk;
namespace x = septum::sdk::xen;

namespace {

// ---------------------------------------------------------------- memory the cases use

struct alignas(4096) Page {
  uint8_t bytes[4096];
};

enum PageIndex : uint32_t {
  kSharedInfoPage,   // replaced by shared_info
  kSpareGfnPage,     // where a second mapping of shared_info / a grant frame is tried
  kVcpuInfoPage,     // vcpu_info of vCPU 0 at 0, of vCPU 1 at kVcpu1InfoOffset
  kRunstatePage,     // runstate areas of vCPU 0 and 1
  kGrantFrame0,      // replaced by grant frame 0
  kGrantFrame1,      // replaced by grant frame 1
  kFifoControlPage,  // FIFO control blocks of vCPU 0 at 0, of vCPU 1 at kFifoControl1Offset
  kEventArrayPage,   // FIFO event array page 0
  kGrantedPage,      // what the grant entries grant
  kCopyPage,         // local side of grant copies
  kHole0,            // given back with decrease_reservation, then repopulated
  kHole1,            // holes where grants are mapped
  kHole2,
  kPageCount,
};

constexpr uint32_t kVcpu1InfoOffset = 64;
constexpr uint32_t kFifoControl1Offset = 512;

constinit Page pages[kPageCount]{};

uint64_t address(PageIndex page) { return x::address_of(&pages[page]); }
uint64_t gfn(PageIndex page) { return address(page) >> x::kPageShift; }

template <class T>
volatile T* at(PageIndex page, uint64_t offset = 0) {
  return reinterpret_cast<volatile T*>(address(page) + offset);
}

volatile x::SharedInfo* shared_info() { return at<x::SharedInfo>(kSharedInfoPage); }
volatile x::VcpuInfo* vcpu_info(uint32_t vcpu) {
  return at<x::VcpuInfo>(kVcpuInfoPage, vcpu == 0 ? 0 : kVcpu1InfoOffset);
}
volatile x::VcpuRunstateInfo* runstate(uint32_t vcpu) {
  return at<x::VcpuRunstateInfo>(kRunstatePage, vcpu * sizeof(x::VcpuRunstateInfo));
}
volatile x::GrantEntryV1* grant_entry(x::GrantRef ref) {
  return at<x::GrantEntryV1>(ref < x::kGrantEntriesPerFrameV1 ? kGrantFrame0 : kGrantFrame1,
                             ref % x::kGrantEntriesPerFrameV1 * sizeof(x::GrantEntryV1));
}
volatile x::EvtchnFifoControlBlock* fifo_control(uint32_t vcpu) {
  return at<x::EvtchnFifoControlBlock>(kFifoControlPage, vcpu == 0 ? 0 : kFifoControl1Offset);
}
volatile x::EventWord* event_word(x::EvtchnPort port) { return at<x::EventWord>(kEventArrayPage, port * 4); }

// Addresses that are no memory of the domain.
constinit uint64_t outside = 0;   // first address past the last RAM bank
constinit uint64_t straddle = 0;  // 2 bytes before it
constexpr uint64_t kNull = 0;

// Domain ids that name no domain on Xen or Septum.
constexpr x::DomainId kNoSuchDomain = 0x7000;

// The caller's own domain id, learnt from an event channel's status.
constinit x::DomainId self_id = x::kDomidSelf;

// Ports that are never valid, and a valid but closed one.
constexpr x::EvtchnPort kBadPort = 4095;
constexpr x::EvtchnPort kClosedPort = 50;

// ---------------------------------------------------------------- one line per case

constinit uint32_t case_count = 0;

// Collects one result line and prints it when it goes out of scope.
class Case {
 public:
  explicit Case(std::string_view name) : sink_(text_, sizeof text_) { septum::format(sink_, "conformance: {}:", name); }
  Case(const Case&) = delete;
  Case& operator=(const Case&) = delete;
  ~Case() {
    ++case_count;
    if (sink_.truncated() || sink_.view().size() > kMaxLine) {
      print("conformance: line-too-long: FAILED (case {})\n", case_count);
      return;
    }
    print("{}\n", sink_.view());
  }

  // A hypercall's return value, with the error's name when it is one.
  Case& rc(int64_t value) {
    std::string_view name = x::error_name(value);
    if (name.empty()) return add(" {}", value);
    return add(" {} {}", value, name);
  }
  // A grant op's status.
  Case& status(int64_t value) { return add(" status={} {}", value, x::grant_status_name(value)); }
  Case& dom(std::string_view key, x::DomainId id) {
    if (id == x::kDomidSelf) return add(" {}=DOMID_SELF", key);
    if (id == self_id) return add(" {}=self", key);
    return add(" {}={:#x}", key, id);
  }
  Case& yes_no(std::string_view key, bool value) { return add(" {}={}", key, value ? "yes" : "no"); }

  template <class... Args>
  Case& add(std::string_view fmt, const Args&... args) {
    septum::format(sink_, fmt, args...);
    return *this;
  }

 private:
  // Xen's vpl011 splits long lines; its prefix "(XEN) DOM1: " comes on top.
  static constexpr size_t kMaxLine = 110;
  char text_[160];
  septum::BufferSink sink_;
};

// ---------------------------------------------------------------- helpers

uint64_t addr(const volatile void* object) { return x::address_of(object); }

// Whether the hypervisor finds memory at `address`, asked without touching it
// (a stage-2 fault would end the domain on Septum): EVTCHNOP_send reads its
// port from there. The pages asked about never hold a valid port number.
std::string_view hypervisor_reads(uint64_t address) {
  return x::event_channel_op(x::evtchnop::kSend, address) == x::kEfault ? "no" : "yes";
}

// 2-level bitmaps in shared_info.
bool bit(const volatile uint64_t* words, x::EvtchnPort port) { return (words[port / 64] >> (port % 64)) & 1; }
void set_bit(volatile uint64_t* words, x::EvtchnPort port) {
  words[port / 64] = words[port / 64] | (1ull << (port % 64));
}
void clear_bit(volatile uint64_t* words, x::EvtchnPort port) {
  words[port / 64] = words[port / 64] & ~(1ull << (port % 64));
}
bool pending(x::EvtchnPort port) { return bit(shared_info()->evtchn_pending, port); }
bool masked(x::EvtchnPort port) { return bit(shared_info()->evtchn_mask, port); }
void clear_pending(x::EvtchnPort port) { clear_bit(shared_info()->evtchn_pending, port); }

// What a guest's upcall handler would do: take the notification.
void clear_notification(uint32_t vcpu) {
  vcpu_info(vcpu)->evtchn_upcall_pending = 0;
  vcpu_info(vcpu)->evtchn_pending_sel = 0;
}
void clear_notifications() {
  clear_notification(0);
  clear_notification(1);
}
void add_notification(Case& c, uint32_t vcpu) {
  c.add(" vcpu{}: sel={:#x} upcall={}", vcpu, vcpu_info(vcpu)->evtchn_pending_sel,
        vcpu_info(vcpu)->evtchn_upcall_pending);
}

int64_t status_of(x::EvtchnPort port, x::EvtchnStatus& s, x::DomainId dom = x::kDomidSelf) {
  s = {};
  s.dom = dom;
  s.port = port;
  return x::evtchn_status(s);
}

constexpr std::string_view kRunstateNames[] = {"running", "runnable", "blocked", "offline"};
std::string_view runstate_name(int32_t state) {
  return state >= 0 && state < 4 ? kRunstateNames[state] : std::string_view("invalid");
}

constexpr std::string_view kStatusNames[] = {"closed", "unbound", "interdomain", "pirq", "virq", "ipi"};

// "rc status=... vcpu=... <details>" of EVTCHNOP_status.
void report_status(std::string_view name, x::EvtchnPort port, x::DomainId dom = x::kDomidSelf) {
  x::EvtchnStatus s;
  int64_t rc = status_of(port, s, dom);
  Case c(name);
  c.rc(rc);
  if (rc != 0) return;
  if (s.status < sizeof kStatusNames / sizeof kStatusNames[0]) {
    c.add(" status={}", kStatusNames[s.status]);
  } else {
    c.add(" status={}", s.status);
  }
  c.add(" vcpu={}", s.vcpu);
  if (s.status == x::evtchnstat::kUnbound) c.dom("remote", s.u.unbound.dom);
  if (s.status == x::evtchnstat::kInterdomain)
    c.dom("remote", s.u.interdomain.dom).add(" port={}", s.u.interdomain.port);
  if (s.status == x::evtchnstat::kVirq) c.add(" virq={}", s.u.virq);
}

int64_t evtchn_raw(uint64_t cmd, uint64_t arg) { return x::event_channel_op(cmd, arg); }

template <class Arg>
int64_t evtchn(uint64_t cmd, Arg arg) {
  return x::event_channel_op(cmd, addr(&arg));
}

x::EvtchnPort port_or_zero(int64_t rc, x::EvtchnPort port) { return rc == 0 ? port : 0; }

// ---------------------------------------------------------------- unknown hypercalls

void unknown_hypercalls() {
  struct {
    std::string_view name;
    uint64_t number;
  } constexpr kCalls[] = {
      {"hypercall-unknown-63", 63},
      {"hypercall-unknown-1000", 1000},
      {"hypercall-unknown-all-ones", ~uint64_t{0}},
      {"hypercall-unknown-arch-0", 48},
      {"hypercall-x86-mmu-update", x::kMmuUpdate},
      {"hypercall-deprecated-sched-op-compat", x::kSchedOpCompat},
      {"hypercall-deprecated-event-channel-op-compat", x::kEventChannelOpCompat},
      {"hypercall-deprecated-physdev-op-compat", x::kPhysdevOpCompat},
  };
  for (const auto& call : kCalls) Case(call.name).rc(x::hypercall(call.number));
}

// ---------------------------------------------------------------- xen_version

bool nonempty(const volatile char* text) { return text[0] != 0; }

void xen_version() {
  int64_t version = x::xen_version_op(x::xenver::kVersion, 0);
  Case("xen-version-version").add(" {:#x}", version);

  x::FeatureInfo features{0, 0};
  int64_t rc = x::xen_version_op(x::xenver::kGetFeatures, addr(&features));
  Case("xen-version-get-features-0").rc(rc).add(" submap={:#x}", features.submap);
  features = {1, 0};
  Case("xen-version-get-features-1").rc(x::xen_version_op(x::xenver::kGetFeatures, addr(&features)));
  Case("xen-version-get-features-outside-ram").rc(x::xen_version_op(x::xenver::kGetFeatures, outside));
  Case("xen-version-get-features-null").rc(x::xen_version_op(x::xenver::kGetFeatures, kNull));
  Case("xen-version-get-features-straddling-ram-end").rc(x::xen_version_op(x::xenver::kGetFeatures, straddle));

  char extraversion[x::xenver::kExtraversionSize] = {};
  rc = x::xen_version_op(x::xenver::kExtraversion, addr(extraversion));
  Case("xen-version-extraversion").rc(rc).yes_no("nonempty", nonempty(extraversion));
  Case("xen-version-extraversion-outside-ram").rc(x::xen_version_op(x::xenver::kExtraversion, outside));

  x::CompileInfo compile_info{};
  rc = x::xen_version_op(x::xenver::kCompileInfo, addr(&compile_info));
  Case("xen-version-compile-info").rc(rc).yes_no("compiler", nonempty(compile_info.compiler));

  static constinit char capabilities[x::xenver::kCapabilitiesSize] = {};
  rc = x::xen_version_op(x::xenver::kCapabilities, addr(capabilities));
  capabilities[48] = 0;  // enough to show it, short enough for one line
  Case("xen-version-capabilities").rc(rc).add(" \"{}\"", static_cast<const char*>(capabilities));

  char changeset[x::xenver::kChangesetSize] = {};
  rc = x::xen_version_op(x::xenver::kChangeset, addr(changeset));
  Case("xen-version-changeset").rc(rc).yes_no("nonempty", nonempty(changeset));

  x::PlatformParameters parameters{};
  rc = x::xen_version_op(x::xenver::kPlatformParameters, addr(&parameters));
  Case("xen-version-platform-parameters").rc(rc).add(" virt_start={:#x}", parameters.virt_start);

  Case("xen-version-pagesize").rc(x::xen_version_op(x::xenver::kPagesize, kNull));
  Case("xen-version-pagesize-non-null").rc(x::xen_version_op(x::xenver::kPagesize, addr(&parameters)));

  uint8_t handle[x::xenver::kGuestHandleSize] = {};
  rc = x::xen_version_op(x::xenver::kGuestHandle, addr(handle));
  bool zero = true;
  for (uint8_t b : handle) zero = zero && b == 0;
  Case("xen-version-guest-handle").rc(rc).add(" handle={}", zero ? "zero" : "nonzero");

  static constinit char commandline[x::xenver::kCommandlineSize] = {};
  rc = x::xen_version_op(x::xenver::kCommandline, addr(commandline));
  commandline[32] = 0;
  Case("xen-version-commandline").rc(rc).add(" \"{}\"", static_cast<const char*>(commandline));

  struct {
    x::BuildId header;
    uint8_t buffer[64];
  } build_id{{64}, {}};
  Case("xen-version-build-id").rc(x::xen_version_op(x::xenver::kBuildId, addr(&build_id)));
  Case("xen-version-unknown-99").rc(x::xen_version_op(99, addr(&parameters)));
}

// ---------------------------------------------------------------- vm_assist

void vm_assist() {
  using namespace x::vmasst;
  Case("vm-assist-enable-runstate-update-flag").rc(x::vm_assist(kEnable, kTypeRunstateUpdateFlag));
  Case("vm-assist-disable-runstate-update-flag").rc(x::vm_assist(kDisable, kTypeRunstateUpdateFlag));
  Case("vm-assist-enable-writable-pagetables").rc(x::vm_assist(kEnable, kTypeWritablePagetables));
  Case("vm-assist-enable-m2p-strict").rc(x::vm_assist(kEnable, kTypeM2pStrict));
  Case("vm-assist-enable-type-64").rc(x::vm_assist(kEnable, 64));
  Case("vm-assist-unknown-cmd").rc(x::vm_assist(2, kTypeRunstateUpdateFlag));
  // Left on for the runstate cases.
  Case("vm-assist-enable-runstate-update-flag-again").rc(x::vm_assist(kEnable, kTypeRunstateUpdateFlag));
}

// ---------------------------------------------------------------- hvm_op

void get_param(std::string_view name, uint32_t index, x::DomainId domid = x::kDomidSelf) {
  x::HvmParam param{domid, 0, index, 0};
  int64_t rc = x::hvm_op(x::hvmop::kGetParam, addr(&param));
  Case c(name);
  c.rc(rc);
  if (rc == 0) c.add(" value={:#x}", param.value);
}

void hvm_op() {
  using namespace x::hvm_param;
  get_param("hvm-get-param-callback-irq", kCallbackIrq);
  get_param("hvm-get-param-store-pfn", kStorePfn);
  get_param("hvm-get-param-store-evtchn", kStoreEvtchn);
  get_param("hvm-get-param-console-pfn", kConsolePfn);
  get_param("hvm-get-param-console-evtchn", kConsoleEvtchn);
  get_param("hvm-get-param-monitor-ring-pfn", kMonitorRingPfn);
  get_param("hvm-get-param-timer-mode", kTimerMode);
  get_param("hvm-get-param-index-39", kCount);
  get_param("hvm-get-param-index-all-ones", ~0u);
  get_param("hvm-get-param-no-such-domain", kStorePfn, kNoSuchDomain);
  Case("hvm-get-param-outside-ram").rc(x::hvm_op(x::hvmop::kGetParam, outside));
  Case("hvm-get-param-null").rc(x::hvm_op(x::hvmop::kGetParam, kNull));
  Case("hvm-set-param-store-pfn").rc(x::hvm_set_param(kStorePfn, 0x1234));
  Case("hvm-set-param-callback-irq").rc(x::hvm_set_param(kCallbackIrq, 0));
  Case("hvm-set-param-timer-mode").rc(x::hvm_set_param(kTimerMode, 1));
  Case("hvm-set-param-no-such-domain").rc(x::hvm_set_param(kStorePfn, 0x1234, kNoSuchDomain));
  Case("hvm-set-param-outside-ram").rc(x::hvm_op(x::hvmop::kSetParam, outside));
  get_param("hvm-get-param-store-pfn-after-set", kStorePfn);
  Case("hvm-op-unknown-99").rc(x::hvm_op(99, kNull));
}

// ---------------------------------------------------------------- memory_op: shared_info, grant frames

int64_t add_to_physmap_raw(x::DomainId domid, uint32_t space, uint64_t idx, uint64_t gpfn) {
  x::AddToPhysmap arg{domid, 0, space, idx, gpfn};
  return x::memory_op(x::xenmem::kAddToPhysmap, addr(&arg));
}

uint32_t count_bits(const volatile uint64_t* words, uint32_t count) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < count; ++i) n += __builtin_popcountll(words[i]);
  return n;
}

void query_size(std::string_view name, x::DomainId dom = x::kDomidSelf) {
  x::GnttabQuerySize q{};
  q.dom = dom;
  q.status = 99;
  int64_t rc = x::gnttab_query_size(q);
  Case c(name);
  c.rc(rc);
  if (rc == 0) {
    c.status(q.status);
    if (q.status == x::gntst::kOkay) c.add(" frames={} max={}", q.nr_frames, q.max_nr_frames);
  }
}

void shared_info_and_grant_frames() {
  using namespace x::mapspace;
  Case("memory-add-to-physmap-shared-info-idx-1")
      .rc(add_to_physmap_raw(x::kDomidSelf, kSharedInfo, 1, gfn(kSharedInfoPage)));
  Case("memory-add-to-physmap-no-such-domain")
      .rc(add_to_physmap_raw(kNoSuchDomain, kSharedInfo, 0, gfn(kSharedInfoPage)));
  Case("memory-add-to-physmap-outside-ram").rc(x::memory_op(x::xenmem::kAddToPhysmap, outside));
  Case("memory-add-to-physmap-straddling-ram-end").rc(x::memory_op(x::xenmem::kAddToPhysmap, straddle));
  Case("memory-add-to-physmap-unknown-space").rc(add_to_physmap_raw(x::kDomidSelf, 99, 0, gfn(kSpareGfnPage)));

  Case("memory-add-to-physmap-shared-info").rc(add_to_physmap_raw(x::kDomidSelf, kSharedInfo, 0, gfn(kSharedInfoPage)));
  volatile x::SharedInfo* s = shared_info();
  Case("shared-info-initial")
      .add(" pending={} masked={} upcall={} wc_version={}", count_bits(s->evtchn_pending, x::kEvtchn2lWords),
           count_bits(s->evtchn_mask, x::kEvtchn2lWords), s->vcpu_info[0].evtchn_upcall_pending,
           s->wc_version % 2 ? "odd" : "even");
  Case("memory-add-to-physmap-shared-info-again-same-gfn")
      .rc(add_to_physmap_raw(x::kDomidSelf, kSharedInfo, 0, gfn(kSharedInfoPage)));
  Case("memory-add-to-physmap-shared-info-again-other-gfn")
      .rc(add_to_physmap_raw(x::kDomidSelf, kSharedInfo, 0, gfn(kSpareGfnPage)));

  query_size("grant-query-size-initial");
  Case("memory-add-to-physmap-grant-frame-100000")
      .rc(add_to_physmap_raw(x::kDomidSelf, kGrantTable, 100000, gfn(kSpareGfnPage)));
  Case("memory-add-to-physmap-grant-frame-0").rc(add_to_physmap_raw(x::kDomidSelf, kGrantTable, 0, gfn(kGrantFrame0)));
  Case("memory-add-to-physmap-grant-frame-1").rc(add_to_physmap_raw(x::kDomidSelf, kGrantTable, 1, gfn(kGrantFrame1)));
  query_size("grant-query-size-after-frame-1");
  Case("memory-add-to-physmap-grant-frame-0-again-other-gfn")
      .rc(add_to_physmap_raw(x::kDomidSelf, kGrantTable, 0, gfn(kSpareGfnPage)));
  bool zero = true;
  for (x::GrantRef ref = 0; ref < x::kGnttabReservedEntries; ++ref) {
    zero = zero && grant_entry(ref)->flags == 0 && grant_entry(ref)->domid == 0 && grant_entry(ref)->frame == 0;
  }
  Case("grant-reserved-entries-initial").add(" {}", zero ? "zero" : "nonzero");
}

// ---------------------------------------------------------------- memory_op: reservations

int64_t reservation(uint64_t cmd, uint64_t extents, uint64_t count, uint32_t order = 0,
                    x::DomainId domid = x::kDomidSelf) {
  x::MemoryReservation arg{extents, count, order, 0, domid};
  return x::memory_op(cmd, addr(&arg));
}

bool usable(PageIndex page) {
  volatile uint64_t* word = at<uint64_t>(page, 8);
  *word = 0x5e9f0a11c0ffee00ull;
  return *word == 0x5e9f0a11c0ffee00ull;
}

void reservations() {
  using namespace x::xenmem;
  uint64_t holes[] = {gfn(kHole0), gfn(kHole1), gfn(kHole2)};
  Case("memory-decrease-reservation-3").rc(reservation(kDecreaseReservation, addr(holes), 3));
  Case("memory-decreased-page").add(" mapped={}", hypervisor_reads(address(kHole0)));
  Case("memory-decrease-reservation-hole").rc(reservation(kDecreaseReservation, addr(holes), 1));
  uint64_t outside_gfn[] = {outside >> x::kPageShift};
  Case("memory-decrease-reservation-outside-ram").rc(reservation(kDecreaseReservation, addr(outside_gfn), 1));
  Case("memory-decrease-reservation-extents-outside-ram").rc(reservation(kDecreaseReservation, outside, 1));
  Case("memory-decrease-reservation-outside-ram-arg").rc(x::memory_op(kDecreaseReservation, outside));
  uint64_t granted[] = {gfn(kGrantedPage)};
  Case("memory-decrease-reservation-no-such-domain")
      .rc(reservation(kDecreaseReservation, addr(granted), 1, 0, kNoSuchDomain));
  Case("memory-decrease-reservation-order-30").rc(reservation(kDecreaseReservation, addr(granted), 1, 30));
  Case("memory-decrease-reservation-0-extents").rc(reservation(kDecreaseReservation, addr(granted), 0));

  int64_t rc = reservation(kPopulatePhysmap, addr(holes), 1);
  Case("memory-populate-physmap-1").rc(rc).add(" usable={}", rc != 1 ? "untried" : usable(kHole0) ? "yes" : "no");
  Case("memory-populate-physmap-extents-outside-ram").rc(reservation(kPopulatePhysmap, outside, 1));
  Case("memory-populate-physmap-outside-ram-arg").rc(x::memory_op(kPopulatePhysmap, outside));
  Case("memory-populate-physmap-no-such-domain")
      .rc(reservation(kPopulatePhysmap, addr(holes) + 8, 1, 0, kNoSuchDomain));
  Case("memory-populate-physmap-order-30").rc(reservation(kPopulatePhysmap, addr(holes) + 8, 1, 30));
  Case("memory-op-unknown-99").rc(x::memory_op(99, kNull));
}

// After the grant cases: the holes go back, then the domain is at its limit.
void repopulate() {
  using namespace x::xenmem;
  uint64_t holes[] = {gfn(kHole1), gfn(kHole2)};
  int64_t rc = reservation(kPopulatePhysmap, addr(holes), 2);
  Case("memory-populate-physmap-2")
      .rc(rc)
      .add(" usable={}", rc != 2                            ? "untried"
                         : usable(kHole1) && usable(kHole2) ? "yes"
                                                            : "no");
  uint64_t outside_gfn[] = {outside >> x::kPageShift};
  Case("memory-populate-physmap-beyond-allocation").rc(reservation(kPopulatePhysmap, addr(outside_gfn), 1));
}

// ---------------------------------------------------------------- vcpu_op

void vcpu_op() {
  using namespace x::vcpuop;
  auto register_info = [](uint32_t vcpu, uint64_t frame, uint32_t offset) {
    x::VcpuRegisterVcpuInfo arg{frame, offset, 0};
    return x::vcpu_op(kRegisterVcpuInfo, vcpu, addr(&arg));
  };
  Case("vcpu-register-vcpu-info-outside-ram-arg").rc(x::vcpu_op(kRegisterVcpuInfo, 0, outside));
  Case("vcpu-register-vcpu-info-no-such-vcpu").rc(register_info(100, gfn(kVcpuInfoPage), 0));
  Case("vcpu-register-vcpu-info-crossing-page").rc(register_info(0, gfn(kVcpuInfoPage), 4090));
  Case("vcpu-register-vcpu-info-misaligned").rc(register_info(0, gfn(kVcpuInfoPage), 4));
  Case("vcpu-register-vcpu-info-outside-ram").rc(register_info(0, outside >> x::kPageShift, 0));

  Case("vcpu-register-vcpu-info-0").rc(register_info(0, gfn(kVcpuInfoPage), 0));
  {
    Case c("vcpu-info-0-after-register");
    add_notification(c, 0);
  }
  Case("vcpu-register-vcpu-info-0-again").rc(register_info(0, gfn(kVcpuInfoPage), 0));
  Case("vcpu-register-vcpu-info-1-offline").rc(register_info(1, gfn(kVcpuInfoPage), kVcpu1InfoOffset));
  {
    Case c("vcpu-info-1-after-register");
    add_notification(c, 1);
  }
  clear_notifications();

  auto register_area = [](uint32_t vcpu, uint64_t area) {
    x::VcpuRegisterRunstateMemoryArea arg{area};
    return x::vcpu_op(kRegisterRunstateMemoryArea, vcpu, addr(&arg));
  };
  Case("vcpu-register-runstate-outside-ram-arg").rc(x::vcpu_op(kRegisterRunstateMemoryArea, 0, outside));
  Case("vcpu-register-runstate-no-such-vcpu").rc(register_area(100, addr(runstate(0))));
  Case("vcpu-register-runstate-area-outside-ram").rc(register_area(0, outside));
  Case("vcpu-register-runstate-area-null").rc(register_area(0, kNull));
  runstate(0)->state = -1;
  Case("vcpu-register-runstate-0").rc(register_area(0, addr(runstate(0))));
  Case("runstate-0-after-register")
      .add(" state={} entry_time={}", runstate_name(runstate(0)->state),
           (runstate(0)->state_entry_time & ~x::runstate::kUpdate) ? "nonzero" : "zero");
  runstate(1)->state = -1;
  Case("vcpu-register-runstate-1-offline").rc(register_area(1, addr(runstate(1))));
  Case("runstate-1-after-register").add(" state={}", runstate_name(runstate(1)->state));

  Case("vcpu-op-up").rc(x::vcpu_op(kUp, 1, kNull));
  Case("vcpu-op-down").rc(x::vcpu_op(kDown, 1, kNull));
  Case("vcpu-op-is-up").rc(x::vcpu_op(kIsUp, 1, kNull));
  x::VcpuRunstateInfo info{};
  Case("vcpu-op-get-runstate-info").rc(x::vcpu_op(kGetRunstateInfo, 0, addr(&info)));
  Case("vcpu-op-set-periodic-timer").rc(x::vcpu_op(kSetPeriodicTimer, 0, addr(&info)));
  Case("vcpu-op-unknown-99").rc(x::vcpu_op(99, 0, kNull));
}

// ---------------------------------------------------------------- event channels, 2-level ABI

// Ports the later sections use.
constinit x::EvtchnPort loop_a = 0;  // unbound, offered to the domain itself
constinit x::EvtchnPort loop_b = 0;  // bound to loop_a
constinit x::EvtchnPort spare = 0;   // unbound, offered to the domain itself

void preallocated_ports() {
  Case c("evtchn-preallocated-ports");
  uint32_t found = 0;
  for (x::EvtchnPort port = 1; port < 64; ++port) {
    x::EvtchnStatus s;
    if (status_of(port, s) == 0 && s.status != x::evtchnstat::kClosed) {
      c.add(" {}", port);
      ++found;
    }
  }
  if (found == 0) c.add(" none");
}

void alloc_and_bind() {
  preallocated_ports();
  x::EvtchnAllocUnbound alloc{x::kDomidSelf, x::kDomidSelf, 0};
  int64_t rc = x::event_channel_op(x::evtchnop::kAllocUnbound, addr(&alloc));
  loop_a = port_or_zero(rc, alloc.port);
  Case("evtchn-alloc-unbound-loopback").rc(rc).add(" port={}", loop_a);
  {
    x::EvtchnStatus s;
    rc = status_of(loop_a, s);
    Case c("evtchn-status-unbound-loopback");
    c.rc(rc);
    if (rc == 0) {
      c.add(" status={} vcpu={} remote={}", kStatusNames[s.status % 6], s.vcpu,
            s.u.unbound.dom == x::kDomidSelf ? "DOMID_SELF" : "own-id");
      self_id = s.u.unbound.dom;
    }
  }

  alloc = {x::kDomidSelf, kNoSuchDomain, 0};
  rc = x::event_channel_op(x::evtchnop::kAllocUnbound, addr(&alloc));
  Case("evtchn-alloc-unbound-remote-no-such-domain").rc(rc);
  if (rc == 0) x::evtchn_close(alloc.port);  // the same ports are free either way
  alloc = {x::kDomidSelf, x::kDomidSelf, 0};
  rc = x::event_channel_op(x::evtchnop::kAllocUnbound, addr(&alloc));
  spare = port_or_zero(rc, alloc.port);
  Case("evtchn-alloc-unbound-spare").rc(rc).add(" port={}", spare);

  alloc = {kNoSuchDomain, x::kDomidSelf, 0};
  Case("evtchn-alloc-unbound-in-no-such-domain").rc(evtchn(x::evtchnop::kAllocUnbound, alloc));
  alloc = {self_id, x::kDomidSelf, 0};
  rc = x::event_channel_op(x::evtchnop::kAllocUnbound, addr(&alloc));
  Case("evtchn-alloc-unbound-own-id").rc(rc).add(" port={}", port_or_zero(rc, alloc.port));
  if (rc == 0) Case("evtchn-close-unbound").rc(x::evtchn_close(alloc.port));
  Case("evtchn-alloc-unbound-outside-ram").rc(evtchn_raw(x::evtchnop::kAllocUnbound, outside));

  x::EvtchnBindInterdomain bind{x::kDomidSelf, loop_a, 0};
  rc = x::event_channel_op(x::evtchnop::kBindInterdomain, addr(&bind));
  loop_b = port_or_zero(rc, bind.local_port);
  Case("evtchn-bind-interdomain-loopback").rc(rc).add(" port={}", loop_b).yes_no("pending", pending(loop_b));
  report_status("evtchn-status-interdomain", loop_b);
  report_status("evtchn-status-interdomain-peer", loop_a);
  report_status("evtchn-status-own-id", loop_a, self_id);

  auto bind_interdomain = [](x::DomainId dom, x::EvtchnPort port) {
    return evtchn(x::evtchnop::kBindInterdomain, x::EvtchnBindInterdomain{dom, port, 0});
  };
  Case("evtchn-bind-interdomain-already-bound").rc(bind_interdomain(x::kDomidSelf, loop_a));
  Case("evtchn-bind-interdomain-no-such-domain").rc(bind_interdomain(kNoSuchDomain, 1));
  Case("evtchn-bind-interdomain-bad-port").rc(bind_interdomain(x::kDomidSelf, kBadPort));
  Case("evtchn-bind-interdomain-port-0").rc(bind_interdomain(x::kDomidSelf, 0));
  Case("evtchn-bind-interdomain-closed-port").rc(bind_interdomain(x::kDomidSelf, kClosedPort));
  Case("evtchn-bind-interdomain-outside-ram").rc(evtchn_raw(x::evtchnop::kBindInterdomain, outside));
}

void send_and_unmask() {
  volatile x::SharedInfo* s = shared_info();
  clear_pending(loop_a);
  clear_pending(loop_b);
  clear_notifications();
  {
    Case c("evtchn-send-loopback");
    c.rc(x::evtchn_send(loop_b)).yes_no("peer-pending", pending(loop_a)).yes_no("own-pending", pending(loop_b));
    add_notification(c, 0);
  }
  clear_pending(loop_a);
  clear_notifications();
  set_bit(s->evtchn_mask, loop_a);
  {
    Case c("evtchn-send-masked");
    c.rc(x::evtchn_send(loop_b)).yes_no("peer-pending", pending(loop_a));
    add_notification(c, 0);
  }
  {
    Case c("evtchn-unmask-pending");
    c.rc(x::evtchn_unmask(loop_a)).yes_no("masked", masked(loop_a));
    add_notification(c, 0);
  }
  clear_pending(loop_a);
  clear_notifications();
  {
    Case c("evtchn-unmask-not-pending");
    c.rc(x::evtchn_unmask(loop_a));
    add_notification(c, 0);
  }
  Case("evtchn-send-reverse").rc(x::evtchn_send(loop_a)).yes_no("peer-pending", pending(loop_b));
  clear_pending(loop_b);
  clear_notifications();
  Case("evtchn-send-unbound").rc(x::evtchn_send(spare)).yes_no("pending", pending(spare));
  Case("evtchn-send-bad-port").rc(x::evtchn_send(kBadPort));
  Case("evtchn-send-port-0").rc(x::evtchn_send(0));
  Case("evtchn-send-closed-port").rc(x::evtchn_send(kClosedPort));
  Case("evtchn-send-port-all-ones").rc(x::evtchn_send(~0u));
  Case("evtchn-send-outside-ram").rc(evtchn_raw(x::evtchnop::kSend, outside));
  Case("evtchn-send-straddling-ram-end").rc(evtchn_raw(x::evtchnop::kSend, straddle));
  Case("evtchn-unmask-bad-port").rc(x::evtchn_unmask(kBadPort));
  Case("evtchn-unmask-port-0").rc(x::evtchn_unmask(0));
  Case("evtchn-unmask-outside-ram").rc(evtchn_raw(x::evtchnop::kUnmask, outside));
  clear_notifications();
}

constinit x::EvtchnPort timer_0 = 0;
constinit x::EvtchnPort timer_1 = 0;
constinit x::EvtchnPort console = 0;

void bind_virq_and_vcpu() {
  auto bind_virq = [](std::string_view name, uint32_t virq, uint32_t vcpu) -> x::EvtchnPort {
    x::EvtchnBindVirq arg{virq, vcpu, 0};
    int64_t rc = x::event_channel_op(x::evtchnop::kBindVirq, addr(&arg));
    Case c(name);
    c.rc(rc);
    if (rc != 0) return 0;
    c.add(" port={}", arg.port);
    return arg.port;
  };
  timer_0 = bind_virq("evtchn-bind-virq-timer-vcpu-0", x::virq::kTimer, 0);
  bind_virq("evtchn-bind-virq-timer-vcpu-0-again", x::virq::kTimer, 0);
  timer_1 = bind_virq("evtchn-bind-virq-timer-vcpu-1", x::virq::kTimer, 1);
  bind_virq("evtchn-bind-virq-timer-no-such-vcpu", x::virq::kTimer, 100);
  console = bind_virq("evtchn-bind-virq-console", x::virq::kConsole, 0);
  bind_virq("evtchn-bind-virq-console-again", x::virq::kConsole, 0);
  bind_virq("evtchn-bind-virq-console-vcpu-1", x::virq::kConsole, 1);
  bind_virq("evtchn-bind-virq-24", x::virq::kCount, 0);
  bind_virq("evtchn-bind-virq-all-ones", ~0u, 0);
  Case("evtchn-bind-virq-outside-ram").rc(evtchn_raw(x::evtchnop::kBindVirq, outside));
  report_status("evtchn-status-virq-timer-vcpu-1", timer_1);
  report_status("evtchn-status-virq-console", console);

  Case("evtchn-bind-vcpu-1").rc(x::evtchn_bind_vcpu(loop_a, 1));
  report_status("evtchn-status-after-bind-vcpu-1", loop_a);
  clear_notifications();
  {
    Case c("evtchn-send-to-vcpu-1");
    c.rc(x::evtchn_send(loop_b)).yes_no("peer-pending", pending(loop_a));
    add_notification(c, 0);
    add_notification(c, 1);
  }
  clear_pending(loop_a);
  clear_notifications();
  Case("evtchn-bind-vcpu-no-such-vcpu").rc(x::evtchn_bind_vcpu(loop_a, 100));
  Case("evtchn-bind-vcpu-per-vcpu-virq").rc(x::evtchn_bind_vcpu(timer_0, 1));
  Case("evtchn-bind-vcpu-global-virq").rc(x::evtchn_bind_vcpu(console, 1));
  Case("evtchn-bind-vcpu-unbound").rc(x::evtchn_bind_vcpu(spare, 1));
  Case("evtchn-bind-vcpu-closed-port").rc(x::evtchn_bind_vcpu(kClosedPort, 1));
  Case("evtchn-bind-vcpu-bad-port").rc(x::evtchn_bind_vcpu(kBadPort, 0));
  Case("evtchn-bind-vcpu-outside-ram").rc(evtchn_raw(x::evtchnop::kBindVcpu, outside));
  Case("evtchn-bind-vcpu-0").rc(x::evtchn_bind_vcpu(loop_a, 0));
  x::evtchn_bind_vcpu(spare, 0);
}

// ---------------------------------------------------------------- sched_op

constinit volatile uint32_t ticks = 0;

void on_tick(uint64_t) { ticks = ticks + 1; }

void poll_cases() {
  clear_pending(loop_a);
  x::evtchn_send(loop_b);
  x::EvtchnPort ports[x::kSchedPollMaxPorts + 1] = {};
  ports[0] = loop_a;
  Case("sched-poll-pending-port").rc(x::sched_poll(ports, 1, 0));
  ports[0] = spare;
  Case("sched-poll-timeout-in-the-past").rc(x::sched_poll(ports, 1, 1));
  ports[1] = loop_a;
  Case("sched-poll-second-port-pending").rc(x::sched_poll(ports, 2, 0));
  Case("sched-poll-no-ports-timeout-in-the-past").rc(x::sched_poll(ports, 0, 1));
  Case("sched-poll-129-ports").rc(x::sched_poll(ports, x::kSchedPollMaxPorts + 1, 1));
  ports[0] = kBadPort;
  Case("sched-poll-bad-port").rc(x::sched_poll(ports, 1, 1));
  x::SchedPoll poll{outside, 1, 1};
  Case("sched-poll-ports-outside-ram").rc(x::sched_op(x::schedop::kPoll, addr(&poll)));
  Case("sched-poll-outside-ram").rc(x::sched_op(x::schedop::kPoll, outside));
  clear_pending(loop_a);
  clear_notifications();
}

void sched_op() {
  Case("sched-yield").rc(x::sched_yield());

  x::VcpuRunstateInfo before{};
  before.state = runstate(0)->state;
  before.state_entry_time = runstate(0)->state_entry_time;
  for (uint32_t i = 0; i < x::runstate::kCount; ++i) before.time[i] = runstate(0)->time[i];
  // The timer's interrupt ends the block.
  ticks = 0;
  int64_t rc = 0;
  if (timer::start_periodic(100, on_tick).is_ok()) {
    rc = x::sched_block();
    while (ticks == 0) cpu_relax();
    timer::stop();
  }
  Case("sched-block").rc(rc);
  Case("runstate-0-after-block")
      .add(" state={} update-flag={}", runstate_name(runstate(0)->state),
           (runstate(0)->state_entry_time & x::runstate::kUpdate) ? "set" : "clear");
  Case("runstate-0-times-after-block")
      .add(" entry={} blocked={} running={}",
           runstate(0)->state_entry_time > before.state_entry_time ? "advanced" : "same",
           runstate(0)->time[x::runstate::kBlocked] > before.time[x::runstate::kBlocked] ? "advanced" : "same",
           runstate(0)->time[x::runstate::kRunning] > before.time[x::runstate::kRunning] ? "advanced" : "same");
  Case("runstate-1-offline")
      .add(" state={} running={}", runstate_name(runstate(1)->state),
           runstate(1)->time[x::runstate::kRunning] ? "nonzero" : "zero");

  poll_cases();

  Case("sched-shutdown-outside-ram").rc(x::sched_op(x::schedop::kShutdown, outside));
  Case("sched-shutdown-straddling-ram-end").rc(x::sched_op(x::schedop::kShutdown, straddle));
  x::SchedRemoteShutdown remote{kNoSuchDomain, 0};
  Case("sched-remote-shutdown-no-such-domain").rc(x::sched_op(x::schedop::kRemoteShutdown, addr(&remote)));
  Case("sched-remote-shutdown-outside-ram").rc(x::sched_op(x::schedop::kRemoteShutdown, outside));
  Case("sched-op-unknown-99").rc(x::sched_op(99, kNull));
}

// ---------------------------------------------------------------- closing ports

void close_ports() {
  Case("evtchn-close-interdomain").rc(x::evtchn_close(loop_b));
  report_status("evtchn-status-after-peer-closed", loop_a);
  report_status("evtchn-status-closed", loop_b);
  Case("evtchn-close-closed").rc(x::evtchn_close(loop_b));
  Case("evtchn-close-port-0").rc(x::evtchn_close(0));
  Case("evtchn-close-bad-port").rc(x::evtchn_close(kBadPort));
  Case("evtchn-close-outside-ram").rc(evtchn_raw(x::evtchnop::kClose, outside));
  Case("evtchn-close-virq").rc(x::evtchn_close(timer_0));
  x::evtchn_close(timer_1);
  x::evtchn_close(console);

  x::EvtchnPort port = 0;
  int64_t rc = x::evtchn_alloc_unbound(x::kDomidSelf, port);
  Case("evtchn-alloc-unbound-after-close").rc(rc).add(" port={}", port);
  if (rc == 0) x::evtchn_close(port);

  report_status("evtchn-status-port-0", 0);
  report_status("evtchn-status-bad-port", kBadPort);
  report_status("evtchn-status-no-such-domain", loop_a, kNoSuchDomain);
  Case("evtchn-status-outside-ram").rc(evtchn_raw(x::evtchnop::kStatus, outside));
  Case("evtchn-op-unknown-99").rc(evtchn_raw(99, kNull));

  // A fresh loopback pair for the FIFO cases.
  rc = x::evtchn_bind_interdomain(x::kDomidSelf, loop_a, loop_b);
  Case("evtchn-bind-interdomain-rebind").rc(rc).add(" port={}", rc == 0 ? loop_b : 0);
}

// ---------------------------------------------------------------- event channels, FIFO ABI

void add_fifo_state(Case& c, x::EvtchnPort port) {
  c.add(" word={:#x}", *event_word(port));
  for (uint32_t vcpu = 0; vcpu < 2; ++vcpu) {
    volatile x::EvtchnFifoControlBlock* cb = fifo_control(vcpu);
    c.add(" ready{}={:#x}", vcpu, cb->ready);
    for (uint32_t q = 0; q < x::kEvtchnFifoQueues; ++q) {
      if (cb->head[q]) c.add(" head{}.{}={}", vcpu, q, cb->head[q]);
    }
  }
}

// What the guest does after taking the event: unlink it, empty the queues.
void consume_fifo(x::EvtchnPort port) {
  *event_word(port) = *event_word(port) & (1u << x::kEvtchnFifoMasked);
  for (uint32_t vcpu = 0; vcpu < 2; ++vcpu) {
    fifo_control(vcpu)->ready = 0;
    for (uint32_t q = 0; q < x::kEvtchnFifoQueues; ++q) fifo_control(vcpu)->head[q] = 0;
  }
}

void fifo() {
  Case("evtchn-set-priority-2-level").rc(x::evtchn_set_priority(loop_a, 3));
  Case("evtchn-expand-array-2-level").rc(x::evtchn_expand_array(gfn(kEventArrayPage)));

  Case("evtchn-init-control-no-such-vcpu").rc(x::evtchn_init_control(gfn(kFifoControlPage), 0, 100));
  Case("evtchn-init-control-offset-too-big").rc(x::evtchn_init_control(gfn(kFifoControlPage), 4096 - 64, 0));
  Case("evtchn-init-control-misaligned").rc(x::evtchn_init_control(gfn(kFifoControlPage), 4, 0));
  Case("evtchn-init-control-gfn-outside-ram").rc(x::evtchn_init_control(outside >> x::kPageShift, 0, 0));
  Case("evtchn-init-control-outside-ram").rc(evtchn_raw(x::evtchnop::kInitControl, outside));

  x::EvtchnInitControl init{gfn(kFifoControlPage), 0, 0, 0, {}};
  int64_t rc = x::event_channel_op(x::evtchnop::kInitControl, addr(&init));
  Case("evtchn-init-control-vcpu-0").rc(rc).add(" link_bits={}", init.link_bits);
  Case("evtchn-init-control-vcpu-0-again").rc(x::evtchn_init_control(gfn(kFifoControlPage), 0, 0));
  init = {gfn(kFifoControlPage), kFifoControl1Offset, 1, 0, {}};
  rc = x::event_channel_op(x::evtchnop::kInitControl, addr(&init));
  Case("evtchn-init-control-vcpu-1").rc(rc).add(" link_bits={}", init.link_bits);

  Case("evtchn-expand-array-gfn-outside-ram").rc(x::evtchn_expand_array(outside >> x::kPageShift));
  Case("evtchn-expand-array-outside-ram").rc(evtchn_raw(x::evtchnop::kExpandArray, outside));
  {
    Case c("evtchn-expand-array");
    c.rc(x::evtchn_expand_array(gfn(kEventArrayPage)));
    add_fifo_state(c, loop_b);
  }
  consume_fifo(loop_a);
  consume_fifo(loop_b);
  {
    Case c("evtchn-fifo-send");
    c.rc(x::evtchn_send(loop_a));
    add_fifo_state(c, loop_b);
  }
  {
    Case c("evtchn-fifo-send-again");
    c.rc(x::evtchn_send(loop_a));
    add_fifo_state(c, loop_b);
  }
  consume_fifo(loop_b);
  *event_word(loop_b) = 1u << x::kEvtchnFifoMasked;
  {
    Case c("evtchn-fifo-send-masked");
    c.rc(x::evtchn_send(loop_a));
    add_fifo_state(c, loop_b);
  }
  *event_word(loop_b) = *event_word(loop_b) & ~(1u << x::kEvtchnFifoMasked);
  {
    Case c("evtchn-fifo-unmask-pending");
    c.rc(x::evtchn_unmask(loop_b));
    add_fifo_state(c, loop_b);
  }
  consume_fifo(loop_b);
  Case("evtchn-set-priority-3").rc(x::evtchn_set_priority(loop_b, 3));
  {
    Case c("evtchn-fifo-send-priority-3");
    c.rc(x::evtchn_send(loop_a));
    add_fifo_state(c, loop_b);
  }
  consume_fifo(loop_b);
  Case("evtchn-set-priority-16").rc(x::evtchn_set_priority(loop_b, 16));
  Case("evtchn-set-priority-bad-port").rc(x::evtchn_set_priority(kBadPort, 7));
  Case("evtchn-set-priority-outside-ram").rc(evtchn_raw(x::evtchnop::kSetPriority, outside));
  Case("evtchn-fifo-bind-vcpu-1").rc(x::evtchn_bind_vcpu(loop_b, 1));
  {
    Case c("evtchn-fifo-send-to-vcpu-1");
    c.rc(x::evtchn_send(loop_a));
    add_fifo_state(c, loop_b);
  }
  consume_fifo(loop_b);
  {
    Case c("evtchn-fifo-send-reverse");
    c.rc(x::evtchn_send(loop_b));
    add_fifo_state(c, loop_a);
  }
  consume_fifo(loop_a);
  Case("evtchn-fifo-close").rc(x::evtchn_close(loop_b));
  x::EvtchnPort ports[] = {kBadPort};
  Case("sched-poll-fifo-bad-port").rc(x::sched_poll(ports, 1, 1));
}

// ---------------------------------------------------------------- grant tables

constexpr x::GrantRef kRefReadWrite = 8;
constexpr x::GrantRef kRefReadOnly = 9;
constexpr x::GrantRef kRefOtherGrantee = 10;
constexpr x::GrantRef kRefInvalid = 11;
constexpr x::GrantRef kRefFrameOutsideRam = 12;
constexpr x::GrantRef kRefCopyTarget = 13;
constexpr x::GrantRef kRefInFrame1 = x::kGrantEntriesPerFrameV1 + 8;
constexpr x::GrantRef kRefBeyondFrames = 2 * x::kGrantEntriesPerFrameV1;

void grant(x::GrantRef ref, x::DomainId grantee, uint64_t frame, uint16_t flags) {
  volatile x::GrantEntryV1* e = grant_entry(ref);
  e->domid = grantee;
  e->frame = static_cast<uint32_t>(frame);
  septum::sdk::dsb_sy();  // domid and frame before flags
  e->flags = flags;
}

uint16_t flags(x::GrantRef ref) { return grant_entry(ref)->flags; }

struct MapResult {
  int64_t rc;
  x::GnttabMapGrantRef op;
};

MapResult map(x::GrantRef ref, uint64_t host_addr, uint32_t map_flags, x::DomainId dom) {
  MapResult r{0, {host_addr, map_flags, ref, dom, 99, 0xffffffff, 0}};
  r.rc = x::gnttab_map(&r.op, 1);
  return r;
}

void map_case(std::string_view name, x::GrantRef ref, uint64_t host_addr, uint32_t map_flags, x::DomainId dom,
              bool unmap_after = true) {
  MapResult r = map(ref, host_addr, map_flags, dom);
  Case c(name);
  c.rc(r.rc);
  if (r.rc != 0) return;
  c.status(r.op.status);
  if (r.op.status == x::gntst::kOkay) {
    c.add(" flags={:#x}", ref < kRefBeyondFrames ? flags(ref) : 0);
    if (unmap_after) {
      x::GnttabUnmapGrantRef u{host_addr, 0, r.op.handle, 99};
      x::gnttab_unmap(&u, 1);
      c.add(" unmap={}", u.status);
    }
  }
}

int16_t unmap(uint64_t host_addr, x::GrantHandle handle, int64_t* rc = nullptr) {
  x::GnttabUnmapGrantRef u{host_addr, 0, handle, 99};
  int64_t r = x::gnttab_unmap(&u, 1);
  if (rc) *rc = r;
  return u.status;
}

void version_cases() {
  query_size("grant-query-size");
  query_size("grant-query-size-no-such-domain", kNoSuchDomain);
  query_size("grant-query-size-own-id", self_id);
  x::GnttabQuerySize q{x::kDomidSelf, 0, 0, 0};
  Case("grant-query-size-count-2").rc(x::gnttab_op(x::gnttabop::kQuerySize, &q, 2));
  Case("grant-query-size-count-0").rc(x::gnttab_op(x::gnttabop::kQuerySize, &q, 0));
  Case("grant-query-size-outside-ram").rc(x::grant_table_op(x::gnttabop::kQuerySize, outside, 1));

  x::GnttabGetVersion get{x::kDomidSelf, 0, 0};
  int64_t rc = x::gnttab_op(x::gnttabop::kGetVersion, &get, 1);
  Case("grant-get-version").rc(rc).add(" version={}", get.version);
  get = {kNoSuchDomain, 0, 0};
  Case("grant-get-version-no-such-domain").rc(x::gnttab_op(x::gnttabop::kGetVersion, &get, 1));
  struct {
    std::string_view name;
    uint32_t version;
  } constexpr kVersions[] = {
      {"grant-set-version-1", 1}, {"grant-set-version-2", 2}, {"grant-set-version-0", 0}, {"grant-set-version-3", 3}};
  for (const auto& v : kVersions) {
    x::GnttabSetVersion set{v.version};
    rc = x::gnttab_set_version(set);
    Case(v.name).rc(rc).add(" version={}", set.version);
  }
  Case("grant-set-version-outside-ram").rc(x::grant_table_op(x::gnttabop::kSetVersion, outside, 1));
}

void map_cases() {
  using namespace x::gntmap;
  using x::gtf::kPermitAccess;
  volatile uint64_t* granted = at<uint64_t>(kGrantedPage);
  for (uint32_t i = 0; i < 512; ++i) granted[i] = 0x0123456789abcdefull + i;
  grant(kRefReadWrite, self_id, gfn(kGrantedPage), kPermitAccess);
  grant(kRefReadOnly, self_id, gfn(kGrantedPage), kPermitAccess | x::gtf::kReadonly);
  grant(kRefOtherGrantee, kNoSuchDomain, gfn(kGrantedPage), kPermitAccess);
  grant(kRefInvalid, self_id, gfn(kGrantedPage), x::gtf::kInvalid);
  grant(kRefFrameOutsideRam, self_id, outside >> x::kPageShift, kPermitAccess);
  grant(kRefCopyTarget, self_id, gfn(kCopyPage), kPermitAccess);
  grant(kRefInFrame1, self_id, gfn(kGrantedPage), kPermitAccess);

  // A read/write and a read-only mapping of the same grant, at holes.
  MapResult rw = map(kRefReadWrite, address(kHole1), kHostMap, self_id);
  Case("grant-map-read-write")
      .rc(rw.rc)
      .status(rw.op.status)
      .add(" handle={} flags={:#x}", rw.op.handle, flags(kRefReadWrite))
      .add(" dev_bus_addr={}", rw.op.dev_bus_addr ? "nonzero" : "zero");
  bool mapped = rw.rc == 0 && rw.op.status == x::gntst::kOkay;
  if (mapped) {
    volatile uint64_t* view = at<uint64_t>(kHole1);
    Case("grant-map-read-write-access").yes_no("reads-grant", view[2] == granted[2]).yes_no("writes-grant", [&] {
      view[3] = 0xfeedf00d;
      return granted[3] == 0xfeedf00d;
    }());
  }

  MapResult ro = map(kRefReadWrite, address(kHole2), kHostMap | kReadonly, self_id);
  Case("grant-map-read-only-same-grant")
      .rc(ro.rc)
      .status(ro.op.status)
      .add(" handle={} flags={:#x}", ro.op.handle, flags(kRefReadWrite));
  if (ro.rc == 0 && ro.op.status == x::gntst::kOkay) {
    Case("grant-map-read-only-access").yes_no("reads-grant", at<uint64_t>(kHole2)[2] == granted[2]);
  }

  int64_t rc = 0;
  if (mapped) {
    int16_t status = unmap(address(kHole1), rw.op.handle, &rc);
    Case("grant-unmap-read-write").rc(rc).status(status).add(" flags={:#x}", flags(kRefReadWrite));
    Case("grant-unmapped-page").add(" mapped={}", hypervisor_reads(address(kHole1)));
    status = unmap(address(kHole1), rw.op.handle, &rc);
    Case("grant-unmap-read-write-again").rc(rc).status(status);
  }
  if (ro.rc == 0 && ro.op.status == x::gntst::kOkay) {
    int16_t status = unmap(address(kHole1), ro.op.handle, &rc);
    Case("grant-unmap-wrong-host-addr").rc(rc).status(status).add(" flags={:#x}", flags(kRefReadWrite));
    Case("grant-read-only-page-after-wrong-unmap").add(" mapped={}", hypervisor_reads(address(kHole2)));
    status = unmap(address(kHole2), ro.op.handle, &rc);
    Case("grant-unmap-read-only").rc(rc).status(status).add(" flags={:#x}", flags(kRefReadWrite));
  }
  int16_t status = unmap(address(kHole1), 100000, &rc);
  Case("grant-unmap-bad-handle").rc(rc).status(status);
  Case("grant-unmap-outside-ram").rc(x::grant_table_op(x::gnttabop::kUnmapGrantRef, outside, 1));

  map_case("grant-map-read-only-grant-for-writing", kRefReadOnly, address(kHole1), kHostMap, self_id);
  map_case("grant-map-read-only-grant-read-only", kRefReadOnly, address(kHole1), kHostMap | kReadonly, self_id);
  Case("grant-read-only-grant-after-unmap").add(" flags={:#x}", flags(kRefReadOnly));
  map_case("grant-map-other-grantee", kRefOtherGrantee, address(kHole1), kHostMap, self_id);
  map_case("grant-map-invalid-entry", kRefInvalid, address(kHole1), kHostMap, self_id);
  map_case("grant-map-frame-outside-ram", kRefFrameOutsideRam, address(kHole1), kHostMap, self_id);
  map_case("grant-map-ref-in-frame-1", kRefInFrame1, address(kHole1), kHostMap, self_id);
  map_case("grant-map-ref-beyond-frames", kRefBeyondFrames, address(kHole1), kHostMap, self_id);
  map_case("grant-map-ref-100000", 100000, address(kHole1), kHostMap, self_id);
  map_case("grant-map-no-such-domain", kRefReadWrite, address(kHole1), kHostMap, kNoSuchDomain);
  map_case("grant-map-domid-self", kRefReadWrite, address(kHole1), kHostMap, x::kDomidSelf);
  map_case("grant-map-no-flags", kRefReadWrite, address(kHole1), 0, self_id);
  map_case("grant-map-device-map", kRefReadWrite, address(kHole1), kDeviceMap | kHostMap, self_id);
  map_case("grant-map-contains-pte", kRefReadWrite, address(kHole1), kContainsPte | kHostMap, self_id);
  map_case("grant-map-at-ipa-outside-ram", kRefReadWrite, outside, kHostMap, self_id);
  map_case("grant-map-at-ipa-2-pow-60", kRefReadWrite, uint64_t{1} << 60, kHostMap, self_id);
  Case("grant-map-read-write-after-failures").add(" flags={:#x}", flags(kRefReadWrite));

  Case("grant-map-outside-ram").rc(x::grant_table_op(x::gnttabop::kMapGrantRef, outside, 1));
  Case("grant-map-count-0").rc(x::grant_table_op(x::gnttabop::kMapGrantRef, outside, 0));
  x::GnttabMapGrantRef batch[2] = {{address(kHole1), kHostMap, kRefReadWrite, self_id, 99, 0, 0},
                                   {address(kHole2), kHostMap, 100000, self_id, 99, 0, 0}};
  rc = x::gnttab_map(batch, 2);
  Case("grant-map-batch").rc(rc).add(" status={},{}", batch[0].status, batch[1].status);
  if (rc == 0 && batch[0].status == x::gntst::kOkay) unmap(address(kHole1), batch[0].handle);
  Case("grant-flags-after-map-cases").add(" flags={:#x}", flags(kRefReadWrite));
}

void copy_cases() {
  using x::gntcopy::kDestGref;
  using x::gntcopy::kSourceGref;
  volatile uint64_t* granted = at<uint64_t>(kGrantedPage);
  volatile uint64_t* local = at<uint64_t>(kCopyPage);
  auto gref = [](x::GrantRef ref, uint16_t offset) {
    x::GnttabCopyPtr p{};
    p.u.ref = ref;
    p.domid = self_id;
    p.offset = offset;
    return p;
  };
  auto frame = [](uint64_t gmfn, uint16_t offset, x::DomainId domid = x::kDomidSelf) {
    x::GnttabCopyPtr p{};
    p.u.gmfn = gmfn;
    p.domid = domid;
    p.offset = offset;
    return p;
  };
  auto copy = [](std::string_view name, x::GnttabCopyPtr source, x::GnttabCopyPtr dest, uint16_t len,
                 uint16_t copy_flags) {
    x::GnttabCopy op{source, dest, len, copy_flags, 99};
    int64_t rc = x::gnttab_copy(&op, 1);
    Case c(name);
    c.rc(rc);
    if (rc == 0) c.status(op.status);
    return rc == 0 && op.status == x::gntst::kOkay;
  };

  for (uint32_t i = 0; i < 512; ++i) local[i] = 0;
  bool ok = copy("grant-copy-from-gref", gref(kRefReadWrite, 64), frame(gfn(kCopyPage), 128), 64, kSourceGref);
  bool same = true;
  for (uint32_t i = 0; i < 8; ++i) same = same && local[16 + i] == granted[8 + i];
  Case("grant-copy-from-gref-result").yes_no("copied", ok && same).add(" flags={:#x}", flags(kRefReadWrite));

  for (uint32_t i = 0; i < 8; ++i) granted[40 + i] = 0xc0c0c0c000000000ull + i;
  ok = copy("grant-copy-to-gref", frame(gfn(kGrantedPage), 320), gref(kRefCopyTarget, 1024), 64, kDestGref);
  same = true;
  for (uint32_t i = 0; i < 8; ++i) same = same && local[128 + i] == granted[40 + i];
  Case("grant-copy-to-gref-result").yes_no("copied", ok && same).add(" flags={:#x}", flags(kRefCopyTarget));

  copy("grant-copy-gref-to-gref", gref(kRefReadWrite, 0), gref(kRefCopyTarget, 0), 8, kSourceGref | kDestGref);
  copy("grant-copy-to-read-only-gref", frame(gfn(kCopyPage), 0), gref(kRefReadOnly, 0), 8, kDestGref);
  copy("grant-copy-from-read-only-gref", gref(kRefReadOnly, 0), frame(gfn(kCopyPage), 0), 8, kSourceGref);
  copy("grant-copy-crossing-page", gref(kRefReadWrite, 4090), frame(gfn(kCopyPage), 0), 16, kSourceGref);
  copy("grant-copy-dest-crossing-page", gref(kRefReadWrite, 0), frame(gfn(kCopyPage), 4090), 16, kSourceGref);
  copy("grant-copy-bad-gref", gref(100000, 0), frame(gfn(kCopyPage), 0), 8, kSourceGref);
  copy("grant-copy-other-grantee", gref(kRefOtherGrantee, 0), frame(gfn(kCopyPage), 0), 8, kSourceGref);
  copy("grant-copy-invalid-entry", gref(kRefInvalid, 0), frame(gfn(kCopyPage), 0), 8, kSourceGref);
  copy("grant-copy-frame-outside-ram-grant", gref(kRefFrameOutsideRam, 0), frame(gfn(kCopyPage), 0), 8, kSourceGref);
  copy("grant-copy-local-frame-own-id", gref(kRefReadWrite, 0), frame(gfn(kCopyPage), 0, self_id), 8, kSourceGref);
  copy("grant-copy-local-frame-outside-ram", gref(kRefReadWrite, 0), frame(outside >> x::kPageShift, 0), 8,
       kSourceGref);
  x::GnttabCopyPtr nobody = gref(kRefReadWrite, 0);
  nobody.domid = kNoSuchDomain;
  copy("grant-copy-no-such-domain", nobody, frame(gfn(kCopyPage), 0), 8, kSourceGref);
  copy("grant-copy-local-to-local", frame(gfn(kGrantedPage), 0), frame(gfn(kCopyPage), 0), 8, 0);
  copy("grant-copy-length-0", gref(kRefReadWrite, 0), frame(gfn(kCopyPage), 0), 0, kSourceGref);
  Case("grant-copy-outside-ram").rc(x::grant_table_op(x::gnttabop::kCopy, outside, 1));
  Case("grant-copy-count-0").rc(x::grant_table_op(x::gnttabop::kCopy, outside, 0));
  Case("grant-flags-after-copy-cases")
      .add(" rw={:#x} ro={:#x} target={:#x}", flags(kRefReadWrite), flags(kRefReadOnly), flags(kRefCopyTarget));
  Case("grant-op-setup-table-outside-ram").rc(x::grant_table_op(x::gnttabop::kSetupTable, outside, 1));
  Case("grant-op-unknown-99").rc(x::grant_table_op(99, kNull, 1));
}

// ---------------------------------------------------------------- multicall

void multicall() {
  x::EvtchnSend bad_send{kBadPort};
  x::MulticallEntry calls[4] = {
      {x::kXenVersion, 99, {x::xenver::kVersion, 0, 0, 0, 0, 0}},
      {x::kSchedOp, 99, {x::schedop::kYield, 0, 0, 0, 0, 0}},
      {x::kEventChannelOp, 99, {x::evtchnop::kSend, addr(&bad_send), 0, 0, 0, 0}},
      {x::kEventChannelOp, 99, {x::evtchnop::kStatus, outside, 0, 0, 0, 0}},
  };
  int64_t rc = x::multicall(calls, 4);
  Case("multicall-4")
      .rc(rc)
      .add(" results={:#x},{},{},{}", calls[0].result, static_cast<int64_t>(calls[1].result),
           static_cast<int64_t>(calls[2].result), static_cast<int64_t>(calls[3].result));

  x::MulticallEntry unknown[2] = {{99, 99, {}}, {63, 99, {}}};
  rc = x::multicall(unknown, 2);
  Case("multicall-unknown-ops")
      .rc(rc)
      .add(" results={},{}", static_cast<int64_t>(unknown[0].result), static_cast<int64_t>(unknown[1].result));

  x::MulticallEntry inner[1] = {{x::kXenVersion, 99, {x::xenver::kVersion, 0, 0, 0, 0, 0}}};
  x::MulticallEntry nested[1] = {{x::kMulticall, 99, {addr(inner), 1, 0, 0, 0, 0}}};
  rc = x::multicall(nested, 1);
  Case("multicall-nested")
      .rc(rc)
      .add(" result={} inner={}", static_cast<int64_t>(nested[0].result), static_cast<int64_t>(inner[0].result));
  Case("multicall-count-0").rc(x::multicall(outside, 0));
  Case("multicall-outside-ram").rc(x::multicall(outside, 1));
}

// ---------------------------------------------------------------- console_io

void console_io() {
  constexpr std::string_view kText = "console_io probe\n";
  using namespace x::consoleio;
  Case("console-io-write").rc(x::console_io(kWrite, kText.size(), addr(kText.data())));
  Case("console-io-write-0-bytes").rc(x::console_io(kWrite, 0, addr(kText.data())));
  Case("console-io-write-outside-ram").rc(x::console_io(kWrite, 8, outside));
  char buffer[16] = {};
  Case("console-io-read").rc(x::console_io(kRead, sizeof buffer, addr(buffer)));
  Case("console-io-unknown-99").rc(x::console_io(99, 0, kNull));
}

}  // namespace

void domain_main() {
  const septum::Platform& p = platform();
  for (size_t i = 0; i < p.memory_count; ++i) outside = p.memory[i].end() > outside ? p.memory[i].end() : outside;
  straddle = outside - 2;
  Case("setup-vcpus").add(" {}", vcpu_count());
  if (vcpu_count() < 2) print("conformance: setup: FAILED: needs 2 vCPUs\n");

  unknown_hypercalls();
  xen_version();
  vm_assist();
  hvm_op();
  shared_info_and_grant_frames();
  reservations();
  vcpu_op();
  alloc_and_bind();
  send_and_unmask();
  bind_virq_and_vcpu();
  sched_op();
  close_ports();
  version_cases();
  map_cases();
  copy_cases();
  repopulate();
  multicall();
  console_io();
  fifo();

  print("conformance: done ({} cases)\n", case_count);
  x::sched_shutdown(x::ShutdownReason::poweroff);
  print("conformance: sched-shutdown-poweroff: FAILED: returned\n");
}
