// The C++ runtime hooks of a domain; the C string functions are in
// kernel/c_string.cc.

#include "sdk/runtime/console.h"
#include "sdk/runtime/domain.h"

extern "C" {

void __cxa_pure_virtual() {
  septum::sdk::print("sdk: pure virtual function called\n");
  septum::sdk::domain_exit();
}

}  // extern "C"

// libstdc++ reports precondition failures (e.g. string_view::substr past the
// end) through this; in a domain they are bugs.
namespace std {
void __throw_out_of_range_fmt(const char*, ...) {
  septum::sdk::print("sdk: C++ library: index out of range\n");
  septum::sdk::domain_exit();
}
}  // namespace std
