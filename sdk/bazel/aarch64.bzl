"""Builds a bare-metal AArch64 target from any configuration.

A 1:1 transition sets --platforms to the aarch64-none platform, so host
rules (QEMU scenarios run by `bazel test //...`) can depend on images.
"""

def _to_aarch64_impl(settings, attr):
    return {"//command_line_option:platforms": "//sdk/toolchain:aarch64_none"}

_to_aarch64 = transition(
    implementation = _to_aarch64_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _aarch64_image_impl(ctx):
    binary = ctx.attr.binary[0][DefaultInfo].files.to_list()
    if len(binary) != 1:
        fail("aarch64_image: %s must produce exactly one file" % ctx.attr.binary[0].label)
    image = ctx.actions.declare_file(ctx.label.name + ".elf")
    ctx.actions.symlink(output = image, target_file = binary[0])
    return [DefaultInfo(files = depset([image]), runfiles = ctx.runfiles(files = [image]))]

aarch64_image = rule(
    implementation = _aarch64_image_impl,
    attrs = {
        "binary": attr.label(cfg = _to_aarch64, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
