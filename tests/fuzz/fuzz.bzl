"""Builds a libFuzzer binary with its whole dependency graph instrumented.

Coverage feedback and AddressSanitizer only help if the code under test (the
kernel libraries) is compiled with them, not just the fuzzer's own file. A
transition on --copt/--linkopt rebuilds every C++ dependency of `binary` with
-fsanitize=fuzzer-no-link,address, without changing the kernel's BUILD file or
the flags of any other target.
"""

_COPTS = [
    "-fsanitize=fuzzer-no-link,address",
    "-fno-omit-frame-pointer",
    "-O1",
    "-g",
]

# lld: gold warns about every local ASan symbol it cannot export.
_LINKOPTS = [
    "-fsanitize=fuzzer,address",
    "-fuse-ld=lld",
]

def _instrumented_impl(settings, attr):
    return {
        "//command_line_option:copt": settings["//command_line_option:copt"] + _COPTS,
        "//command_line_option:linkopt": settings["//command_line_option:linkopt"] + _LINKOPTS,
    }

_instrumented = transition(
    implementation = _instrumented_impl,
    inputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
    outputs = ["//command_line_option:copt", "//command_line_option:linkopt"],
)

def _fuzz_binary_impl(ctx):
    binary = ctx.attr.binary[0][DefaultInfo]
    executable = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(
        output = executable,
        target_file = binary.files_to_run.executable,
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = [executable]).merge(binary.default_runfiles)
    return [DefaultInfo(executable = executable, runfiles = runfiles)]

fuzz_binary = rule(
    implementation = _fuzz_binary_impl,
    doc = "The cc_binary `binary` (a LLVMFuzzerTestOneInput without main), built instrumented.",
    executable = True,
    attrs = {
        "binary": attr.label(cfg = _instrumented, executable = True, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
