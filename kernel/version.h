#pragma once

namespace septum {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace septum
