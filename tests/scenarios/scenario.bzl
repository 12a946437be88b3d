"""qemu_scenario_test: boot an image in QEMU and check the serial markers and the
system's exit status (see sdk/tools/qemu_runner.py). Markers are waited on,
never slept for; the runner kills QEMU on timeout."""

def _shell_quote(s):
    return "'" + s.replace("'", "'\\''") + "'"

def _qemu_scenario_impl(ctx):
    runner = ctx.file._runner
    args = [
        "--kernel",
        ctx.file.image.short_path,
        "--smp",
        str(ctx.attr.smp),
        "--cpu",
        ctx.attr.cpu,
        "--memory",
        ctx.attr.memory,
        "--timeout",
        str(ctx.attr.timeout_seconds),
        "--expect-status",
        str(ctx.attr.exit_status),
    ]
    if ctx.attr.append:
        args += ["--append", ctx.attr.append]
    files = [ctx.file.image, runner]
    if ctx.file.raw_dtb:
        args += ["--raw-dtb", ctx.file.raw_dtb.short_path]
        files.append(ctx.file.raw_dtb)
    for marker in ctx.attr.markers:
        args += ["--expect", marker]
    for marker in ctx.attr.markers_anywhere:
        args += ["--expect-anywhere", marker]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        output = script,
        content = "#!/bin/bash\nexec /usr/bin/python3 {} {}\n".format(
            _shell_quote(runner.short_path),
            " ".join([_shell_quote(a) for a in args]),
        ),
        is_executable = True,
    )
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = files))]

qemu_scenario_test = rule(
    implementation = _qemu_scenario_impl,
    test = True,
    attrs = {
        "image": attr.label(allow_single_file = True, mandatory = True),
        "smp": attr.int(default = 1),
        "cpu": attr.string(default = "max"),
        "memory": attr.string(default = "1G"),
        "append": attr.string(),
        "raw_dtb": attr.label(allow_single_file = True),
        "markers": attr.string_list(doc = "must appear in this order"),
        "markers_anywhere": attr.string_list(doc = "must appear, in any order"),
        "exit_status": attr.int(default = 0),
        "timeout_seconds": attr.int(default = 150),
        "_runner": attr.label(default = "//sdk/tools:qemu_runner.py", allow_single_file = True),
    },
)
