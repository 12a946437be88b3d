"""xen_domain_test: boots a septum_domain as a dom0less domU of the reference
Xen 4.17 under QEMU (run_on_xen.py) and waits for its console markers."""

def _quote(arg):
    # sh_test args are split like a Bourne shell command line.
    return "'" + arg.replace("'", "'\\''") + "'"

def xen_domain_test(
        name,
        domain,
        markers,
        vcpus = 1,
        domain_memory_mib = 256,
        bootargs = "",
        xen_bootargs = "",
        fail_on = [],
        **kwargs):
    args = [
        "--image",
        "$(rootpath %s)" % domain,
        "--vcpus",
        str(vcpus),
        "--domain-memory",
        str(domain_memory_mib),
    ]
    if bootargs:
        args += ["--bootargs", _quote(bootargs)]
    if xen_bootargs:
        args += ["--xen-bootargs", _quote(xen_bootargs)]
    for marker in markers:
        args += ["--expect", _quote(marker)]
    for text in fail_on:
        args += ["--fail-on", _quote(text)]
    native.sh_test(
        name = name,
        srcs = ["run_on_xen.py"],
        args = args,
        data = [
            domain,
            "//sdk/tools:qemu_runner.py",
        ],
        size = "medium",
        **kwargs
    )
