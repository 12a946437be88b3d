"""clang-14 + ld.lld toolchain for freestanding AArch64 images (no libc).

C++20 library headers come from Debian's libstdc++-12-dev-arm64-cross, used in
freestanding mode; the host's /usr/include is never searched.
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)

_CLANG_INCLUDE = "/usr/lib/llvm-14/lib/clang/14.0.6/include"
_CXX_INCLUDE = "/usr/aarch64-linux-gnu/include/c++/12"

# libstdc++'s configuration headers include glibc's <features.h>; nothing
# else from the C library is used.
_LIBC_INCLUDE = "/usr/aarch64-linux-gnu/include"

_COMPILE_ACTIONS = [
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
]

_CXX_ACTIONS = [ACTION_NAMES.cpp_compile]

_LINK_ACTIONS = [ACTION_NAMES.cpp_link_executable]

def _impl(ctx):
    tool_paths = [
        tool_path(name = "gcc", path = "/usr/bin/clang-14"),
        tool_path(name = "ld", path = "/usr/bin/ld.lld"),
        tool_path(name = "ar", path = "/usr/bin/llvm-ar-14"),
        tool_path(name = "cpp", path = "/usr/bin/clang-cpp-14"),
        tool_path(name = "gcov", path = "/bin/false"),
        tool_path(name = "nm", path = "/usr/bin/llvm-nm-14"),
        tool_path(name = "objdump", path = "/usr/bin/llvm-objdump-14"),
        tool_path(name = "strip", path = "/usr/bin/llvm-strip-14"),
    ]
    freestanding = feature(
        name = "freestanding",
        enabled = True,
        flag_sets = [
            flag_set(
                actions = _COMPILE_ACTIONS,
                flag_groups = [flag_group(flags = [
                    "--target=aarch64-linux-gnu",
                    "-ffreestanding",
                    "-nostdinc",
                    "-isystem",
                    _CXX_INCLUDE,
                    "-isystem",
                    _CXX_INCLUDE + "/aarch64-linux-gnu",
                    "-isystem",
                    _CLANG_INCLUDE,
                    "-idirafter",
                    _LIBC_INCLUDE,
                    "-fno-pic",
                    "-mno-outline-atomics",
                    "-mstrict-align",
                    "-fno-stack-protector",
                    "-ffunction-sections",
                    "-fdata-sections",
                    "-fno-common",
                    "-O2",
                    "-g",
                    "-Wall",
                    "-Wextra",
                    "-Werror",
                    "-Wno-unused-parameter",
                    "-no-canonical-prefixes",
                    "-fdebug-prefix-map=" + "/proc/self/cwd=.",
                ])],
            ),
            flag_set(
                actions = _CXX_ACTIONS,
                flag_groups = [flag_group(flags = [
                    "-std=c++20",
                    "-fno-exceptions",
                    "-fno-rtti",
                    "-fno-threadsafe-statics",
                    "-fno-use-cxa-atexit",
                ])],
            ),
            flag_set(
                actions = _LINK_ACTIONS,
                flag_groups = [flag_group(flags = [
                    "--target=aarch64-linux-gnu",
                    "-fuse-ld=lld",
                    "-nostdlib",
                    "-static",
                    "-Wl,--gc-sections",
                    "-Wl,-z,norelro",
                    "-Wl,--build-id=none",
                ])],
            ),
        ],
    )
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "aarch64-none-clang",
        host_system_name = "x86_64-linux-gnu",
        target_system_name = "aarch64-none-elf",
        target_cpu = "aarch64",
        target_libc = "none",
        compiler = "clang",
        abi_version = "none",
        abi_libc_version = "none",
        tool_paths = tool_paths,
        features = [freestanding],
        cxx_builtin_include_directories = [
            _CLANG_INCLUDE,
            "/usr/lib/clang/14.0.6/include",
            "/usr/lib/clang/14/include",
            _CXX_INCLUDE,
            _LIBC_INCLUDE,
        ],
    )

cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
