// The C++ runtime hooks of the core; the C string functions the compiler may
// call are in kernel/c_string.cc.
#include "kernel/panic.h"

extern "C" {

void __cxa_pure_virtual() { septum::panic("pure virtual function called"); }

}  // extern "C"

// libstdc++ reports precondition failures (e.g. string_view::substr past the
// end) through these; in the core they are bugs.
namespace std {
void __throw_out_of_range_fmt(const char*, ...) { septum::panic("C++ library: index out of range"); }
}  // namespace std
