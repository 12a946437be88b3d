// hostile: tries what a domain must not be able to do, one step at a time,
// and prints what it tries and the outcome it observed if it survives.
// `step=a,b,...` picks the steps and their order (default: every step in
// kSteps but "crash"); on Septum the *-outside steps are expected to end
// the domain.
#include <string_view>

#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"
#include "sdk/runtime/exceptions.h"
#include "sdk/runtime/hypercall.h"

using namespace septum::sdk;

namespace {

// GIC registers the gic-foreign step pokes.
constexpr uint64_t kGicdIsenabler = 0x0100;
constexpr uint64_t kGicdIrouter = 0x6000;
constexpr uint64_t kGicrTyper = 0x0008;
constexpr uint64_t kGicrIsenabler0 = 0x10000 + 0x0100;
constexpr uint64_t kGicrFrame = 0x20000;
constexpr uint32_t kForeignSpi = 40;  // neither Xen's vpl011 (32) nor anything else the domain owns

// Lines stay short: Xen's vpl011 splits lines longer than 127 characters.
void report(std::string_view step, std::string_view what, const Probe& probe) {
  if (!probe.faulted) {
    print("hostile: {}: {} -> completed, value {:#x}\n", step, what, probe.value);
    return;
  }
  char text[160];
  septum::BufferSink sink(text, sizeof text);
  describe_exception(sink, probe.esr, probe.far);
  print("hostile: {}: {} -> exception\n  {}\n", step, what, sink.view());
}

void expect(std::string_view step, std::string_view call, uint64_t id, int64_t got, int64_t wanted) {
  print("hostile: {}: {} {:#x} -> {} ({})\n", step, call, id, got, got == wanted ? "as expected" : "UNEXPECTED");
}

void unknown_hvc(std::string_view step) {
  for (uint32_t function : {0x8400ffffu, 0xc300abcdu, 0x86001234u}) {
    expect(step, "SMCCC via HVC #0", function, psci::hvc_call(function), psci::kNotSupported);
  }
  for (uint64_t number : {63ull, 1000ull, 0xffffffffull}) {
    expect(step, "hypercall", number, xen::hypercall(number), xen::kEnosys);
  }
}

void unknown_smc(std::string_view step) {
  constexpr uint32_t kFunction = 0x8400ffff;
  print("hostile: {}: SMC #0 with function {:#x}\n", step, kFunction);
  report(step, "SMC #0", probe_smc(kFunction));
}

void gic_foreign(std::string_view step) {
  const septum::Platform& p = platform();
  uint64_t gicd = p.gic_distributor.base;
  uint64_t enabler = gicd + kGicdIsenabler + kForeignSpi / 32 * 4;
  print("hostile: {}: enabling SPI {} at GICD {:#x}\n", step, kForeignSpi, enabler);
  report(step, "GICD_ISENABLER write", probe_write32(enabler, 1u << (kForeignSpi % 32)));
  report(step, "GICD_ISENABLER read back", probe_read32(enabler));
  report(step, "GICD_IROUTER write", probe_write64(gicd + kGicdIrouter + 8 * kForeignSpi, 0));

  // Xen's region spans 128 frames; Septum's device tree lists only the
  // domain's own, so there the frame lies just past the region.
  uint64_t frame = p.gic_redistributors[0].base + vcpu_count() * kGicrFrame;
  print("hostile: {}: redistributor frame {:#x}, beyond its {} vCPUs\n", step, frame, vcpu_count());
  report(step, "GICR_TYPER read", probe_read64(frame + kGicrTyper));
  report(step, "GICR_ISENABLER0 write", probe_write32(frame + kGicrIsenabler0, ~0u));
}

// `address=`, or the first address past every memory bank.
uint64_t outside_memory() {
  if (boot_arg("address")) return boot_arg_number("address", 0);
  uint64_t end = 0;
  const septum::Platform& p = platform();
  for (size_t i = 0; i < p.memory_count; ++i) end = p.memory[i].end() > end ? p.memory[i].end() : end;
  return end;
}

void read_outside(std::string_view step) {
  uint64_t address = outside_memory();
  print("hostile: {}: reading {:#x}, outside its memory\n", step, address);
  report(step, "read", probe_read64(address));
}

void write_outside(std::string_view step) {
  uint64_t address = outside_memory();
  print("hostile: {}: writing {:#x}, outside its memory\n", step, address);
  report(step, "write", probe_write64(address, 0x5e9f0a11));
}

// Not probed: shows the runtime's crash report, which ends the domain.
void crash(std::string_view step) {
  print("hostile: {}: executing an undefined instruction\n", step);
  asm volatile("udf #0");
}

struct Step {
  std::string_view name;
  void (*run)(std::string_view);
  bool by_default;
};

constexpr Step kSteps[] = {
    {"unknown-hvc", unknown_hvc, true},   {"unknown-smc", unknown_smc, true},     {"gic-foreign", gic_foreign, true},
    {"read-outside", read_outside, true}, {"write-outside", write_outside, true}, {"crash", crash, false},
};

void run_step(std::string_view name) {
  for (const Step& step : kSteps) {
    if (step.name == name) {
      step.run(name);
      return;
    }
  }
  print("hostile: unknown step '{}'\n", name);
}

}  // namespace

void domain_main() {
  if (auto steps = boot_arg("step")) {
    for (std::string_view rest = *steps; !rest.empty();) {
      size_t comma = rest.find(',');
      run_step(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  } else {
    for (const Step& step : kSteps) {
      if (step.by_default) step.run(step.name);
    }
  }
  print("hostile: survived every step\n");
}
