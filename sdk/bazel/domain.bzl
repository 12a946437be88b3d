"""septum_domain: builds an EL1 domain as an arm64 Linux Image.

    load("//sdk/bazel:domain.bzl", "septum_domain")
    septum_domain(name = "hello", srcs = ["hello.cc"])

gives `:hello` (default output hello.img, the flat Image that Xen and Septum
load) and `:hello.elf` (the same program as an ELF, for debugging). The code
is compiled for AArch64 through a transition, so a plain `bazel build //...`
builds it from the host configuration.
"""

# Every library linked into the image (also //kernel:format and
# //kernel:device_tree) must be position independent: the image relocates
# itself to wherever the hypervisor loads it.
_PIE_COPT = "-fpie"

DOMAIN_COPTS = [
    _PIE_COPT,
    "-mgeneral-regs-only",  # no FP/SIMD: nothing to enable or context-switch
]

def _to_domain_config_impl(settings, attr):
    copts = settings["//command_line_option:copt"]
    if _PIE_COPT not in copts:
        copts = copts + [_PIE_COPT]
    return {
        "//command_line_option:platforms": "//sdk/toolchain:aarch64_none",
        "//command_line_option:copt": copts,
    }

_to_domain_config = transition(
    implementation = _to_domain_config_impl,
    inputs = ["//command_line_option:copt"],
    outputs = [
        "//command_line_option:platforms",
        "//command_line_option:copt",
    ],
)

def _domain_image_impl(ctx):
    elf = ctx.attr.binary[0][DefaultInfo].files.to_list()
    if len(elf) != 1:
        fail("septum_domain: %s must produce exactly one file" % ctx.attr.binary[0].label)
    ctx.actions.symlink(output = ctx.outputs.elf, target_file = elf[0])
    image = ctx.actions.declare_file(ctx.label.name + ".img")
    ctx.actions.run(
        executable = "/usr/bin/llvm-objcopy-14",
        arguments = ["-O", "binary", elf[0].path, image.path],
        inputs = elf,
        outputs = [image],
        mnemonic = "DomainImage",
        progress_message = "Flattening domain image %s" % image.short_path,
    )
    return [
        DefaultInfo(files = depset([image]), runfiles = ctx.runfiles(files = [image])),
        OutputGroupInfo(elf = depset([ctx.outputs.elf])),
    ]

_domain_image = rule(
    implementation = _domain_image_impl,
    attrs = {
        "binary": attr.label(cfg = _to_domain_config, mandatory = True),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    outputs = {"elf": "%{name}.elf"},
)

def septum_domain(name, srcs, deps = [], copts = [], **kwargs):
    """An EL1 domain: `name` is the flat Image (name.img), `name.elf` its ELF."""
    program = name + "_program"
    native.cc_binary(
        name = program,
        srcs = srcs,
        deps = deps + ["//sdk/runtime"],
        copts = DOMAIN_COPTS + copts,
        additional_linker_inputs = ["//sdk/runtime:domain.ld"],
        linkopts = [
            "-static-pie",
            "-Wl,-T,$(location //sdk/runtime:domain.ld)",
        ],
        target_compatible_with = ["@platforms//os:none"],
        visibility = ["//visibility:private"],
    )
    _domain_image(name = name, binary = ":" + program, **kwargs)
