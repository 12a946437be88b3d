"""boot_image: packs the core, a boot manifest and its domain images into NAME.elf.

    boot_image(
        name = "demo",
        manifest = "demo.manifest",
        images = ["//tests/domains:ipi"],
    )

The manifest names each image by its label ("image = //tests/domains:ipi");
every target in `images` must produce exactly one file, an arm64 Image built
for AArch64 (an aarch64_image-like rule does the transition). The core is
//kernel:core, already built for AArch64 through its own transition.
"""

def _boot_image_impl(ctx):
    output = ctx.actions.declare_file(ctx.label.name + ".elf")
    args = ctx.actions.args()
    args.add("--manifest", ctx.file.manifest)
    args.add("--core", ctx.file.core)
    inputs = [ctx.file.manifest, ctx.file.core]
    for target in ctx.attr.images:
        files = target[DefaultInfo].files.to_list()
        if len(files) != 1:
            fail("boot_image: %s must produce exactly one file, not %d" % (target.label, len(files)))
        args.add("--image", "%s=%s" % (target.label, files[0].path))
        inputs.append(files[0])
    args.add("--output", output)
    ctx.actions.run(
        executable = ctx.executable._mkboot,
        arguments = [args],
        inputs = inputs,
        outputs = [output],
        mnemonic = "MkBoot",
        progress_message = "Packing boot image %s" % output.short_path,
    )
    return [DefaultInfo(files = depset([output]), runfiles = ctx.runfiles(files = [output]))]

boot_image = rule(
    implementation = _boot_image_impl,
    doc = "The core with a boot pack built by mkboot from `manifest` and `images`: NAME.elf.",
    attrs = {
        "manifest": attr.label(allow_single_file = True, mandatory = True),
        "images": attr.label_list(allow_files = True, doc = "the targets the manifest names by label"),
        "core": attr.label(default = "//kernel:core", allow_single_file = True),
        "_mkboot": attr.label(default = "//boot:mkboot", executable = True, cfg = "exec"),
    },
)
