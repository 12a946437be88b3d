#!/bin/bash
# mkboot's command line: each kind of bad input gives exactly the expected
# FILE:LINE: reason lines and status 2; good input passes --check and packs;
# the example manifest of boot/README.md is valid.
# Usage: mkboot_test.sh MKBOOT make_arm64_image.py README.md
set -euo pipefail
export LC_ALL=C  # sort like mkboot

mkboot="$(realpath "$1")"
make_image="$(realpath "$2")"
readme="$(realpath "$3")"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/mkboot.XXXXXX")"
cd "$work"

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

image() { /usr/bin/python3 "$make_image" "$@"; }
image small.Image
image large.Image --image-size 0x400000
image big_endian.Image --flags 0xb
image odd_offset.Image --text-offset 0x800
image legacy.Image --image-size 0
echo "not an image" >text.Image
head -c 5000 /dev/zero >initrd.gz
: >empty.gz

# check NAME EXPECTED [MKBOOT_ARGS...] < MANIFEST: `mkboot --check NAME.manifest`
# must print EXPECTED on stderr (nothing when EXPECTED is empty) and exit
# with 2 (0 when EXPECTED is empty).
check() {
  local name="$1" expected="$2"
  shift 2
  cat >"$name.manifest"
  local status=0 actual
  actual="$("$mkboot" --check "$name.manifest" "$@" 2>&1 >/dev/null)" || status=$?
  local expected_status=2
  [[ -n "$expected" ]] || expected_status=0
  if [[ "$actual" != "$expected" || $status -ne $expected_status ]]; then
    fail "$name: status $status (expected $expected_status), stderr:"$'\n'"$actual"$'\n'"expected:"$'\n'"$expected"
  fi
}

check good "" <<'EOF'
[domain web]  # comments may follow anything
role = guest
image = small.Image
memory = 64M
vcpus = 2
affinity = 0-1, 3
critical = yes
bootargs = "console=hvc0 # not a comment"
ipa_base = 0x80000000
budget = 2ms
period = 10ms
EOF

check legacy_image "" <<'EOF'
[domain old]
image = legacy.Image
memory = 4M
EOF

check unknown_key "unknown_key.manifest:1: domain 'a' has no memory
unknown_key.manifest:3: unknown key 'memroy' (keys: role, kind, image, initrd, memory, vcpus, affinity, critical, bootargs, ipa_base, budget, period, devices)" <<'EOF'
[domain a]
image = small.Image
memroy = 4M
EOF

check duplicates "duplicates.manifest:4: 'memory' given twice (first on line 3)
duplicates.manifest:5: duplicate domain 'a' (first on line 1)" <<'EOF'
[domain a]
image = small.Image
memory = 4M
memory = 8M
[domain a]
image = small.Image
memory = 4M
EOF

check bad_values "bad_values.manifest:3: memory '3M' is not a non-zero multiple of 2M
bad_values.manifest:4: vcpus '9' is not a number from 1 to 8
bad_values.manifest:5: affinity '3-1' is not 'any' or a list of CPUs 0-63 and ranges (e.g. 0-3,6)
bad_values.manifest:6: unknown role 'dom0' (roles: guest, console, xenstore, control, sched, qos, introspect, vtpm, mgmt, driver, test)
bad_values.manifest:7: missing closing quote
bad_values.manifest:8: ipa_base '0x40100000' is not a non-zero multiple of 2M below 2^48" <<'EOF'
[domain a]
image = small.Image
memory = 3M
vcpus = 9
affinity = 3-1
role = dom0
bootargs = "quiet
ipa_base = 0x40100000
EOF

check structure "structure.manifest:1: 'image' outside a [domain NAME] section
structure.manifest:2: unknown section [guest a]; expected [domain NAME]
structure.manifest:4: domain name 'Web' is not 1 to 31 characters of a-z, 0-9, '_' and '-'
structure.manifest:5: expected 'key = value', '[domain NAME]' or a comment" <<'EOF'
image = small.Image
[guest a]
memory = 4M
[domain Web]
memory
EOF

check missing_image "missing_image.manifest:1: domain 'a' has no image" <<'EOF'
[domain a]
memory = 4M
EOF

check schedule "schedule.manifest:4: budget and period go together; give both or neither
schedule.manifest:8: budget 20000 us exceeds the period 10000 us" <<'EOF'
[domain a]
image = small.Image
memory = 4M
budget = 2ms
[domain b]
image = small.Image
memory = 4M
budget = 20ms
period = 10ms
EOF

check placement "placement.manifest:4: memory [0x8000000, +0x400000) overlaps the virtual GIC [0x8000000, 0x81a0000); move ipa_base
placement.manifest:8: memory [0xfffffc000000, +0x8000000) ends beyond the 48-bit IPA space
placement.manifest:11: device passthrough is not supported yet" <<'EOF'
[domain low]
image = small.Image
ipa_base = 0x8000000
memory = 4M
[domain high]
image = small.Image
ipa_base = 0xfffffc000000
memory = 128M
[domain dev]
image = small.Image
devices = uart0
memory = 4M
EOF

check images "images.manifest:2: image 'absent.Image': cannot read absent.Image: No such file or directory
images.manifest:5: image 'text.Image': image of 13 bytes is too small for an arm64 Image header
images.manifest:8: image 'big_endian.Image': big-endian arm64 Images are not supported
images.manifest:11: image 'odd_offset.Image': arm64 Image text_offset 0x800 is not a multiple of 4 KiB
images.manifest:15: memory 4M is too small for the image (0x400000 bytes at offset 0x0) and its device tree (the last 2M)" <<'EOF'
[domain a]
image = absent.Image
memory = 4M
[domain b]
image = text.Image
memory = 4M
[domain c]
image = big_endian.Image
memory = 4M
[domain d]
image = odd_offset.Image
memory = 4M
[domain e]
image = large.Image
memory = 4M
EOF

# Linux guests: the manifest and the files are checked, and placement too;
# but boot packs (version 1) cannot carry an initrd yet, so neither --check
# nor a build accepts one (boot/README.md).
check linux_no_initrd "" <<'EOF'
[domain linux]
kind = linux
image = large.Image
memory = 64M
vcpus = 2
bootargs = "console=hvc0"
EOF

check linux_initrd "linux_initrd.manifest:4: initrd 'initrd.gz': boot packs (version 1) have no field for an initrd yet; see boot/README.md" <<'EOF'
[domain linux]
kind = linux
image = large.Image
initrd = initrd.gz
memory = 64M
EOF

check linux_manifest "linux_manifest.manifest:2: kind 'Linux' is not sdk or linux
linux_manifest.manifest:7: an initrd is for a Linux kernel; add kind = linux" <<'EOF'
[domain a]
kind = Linux
image = small.Image
memory = 4M
[domain b]
image = small.Image
initrd = initrd.gz
memory = 4M
EOF

check linux_files "linux_files.manifest:3: initrd 'absent.gz': cannot read absent.gz: No such file or directory
linux_files.manifest:8: image 'legacy.Image': a Linux Image for kind = linux must give its image_size (Linux 3.17+)
linux_files.manifest:13: initrd 'empty.gz' is empty
linux_files.manifest:18: initrd '//tests/linux:initramfs' is a label; give its file with --image //tests/linux:initramfs=PATH
linux_files.manifest:23: memory 6M is too small for the image (0x400000 bytes at offset 0x0), the initrd (0x1388 bytes at offset 0x400000) and the device tree (the last 2M)" <<'EOF'
[domain c]
kind = linux
initrd = absent.gz
image = small.Image
memory = 4M
[domain d]
kind = linux
image = legacy.Image
memory = 4M
[domain e]
kind = linux
image = small.Image
initrd = empty.gz
memory = 4M
[domain f]
kind = linux
image = small.Image
initrd = //tests/linux:initramfs
memory = 4M
[domain g]
kind = linux
image = large.Image
memory = 6M
initrd = initrd.gz
EOF

check unmapped_label "unmapped_label.manifest:2: image '//tests/domains:ipi' is a label; give its file with --image //tests/domains:ipi=PATH" <<'EOF'
[domain ipi]
image = //tests/domains:ipi
memory = 4M
EOF

check mapped_label "" --image @//tests/domains:ipi=small.Image <<'EOF'
[domain ipi]
image = //tests/domains:ipi
memory = 4M
EOF

check unused_label "unused_label.manifest: --image //extra:image is not an image of this manifest" \
  --image //extra:image=small.Image <<'EOF'
[domain a]
image = small.Image
memory = 4M
EOF

check empty "empty.manifest: no [domain NAME] section" </dev/null

# The example in README.md, its labels mapped to the test image.
sed -n '/^```ini$/,/^```$/{/^```/d;p}' "$readme" >example.manifest
[[ -s example.manifest ]] || fail "no \`\`\`ini block in README.md"
example_images=()
for label in $(sed -n 's/^image *= *\(\/\/[^ #]*\).*/\1/p' example.manifest | sort -u); do
  example_images+=(--image "$label=small.Image")
done
"$mkboot" --check example.manifest "${example_images[@]}" >/dev/null || fail "the README example does not pass --check"

# --labels lists the labels to build, canonical and once each.
labels="$("$mkboot" --labels example.manifest)" || fail "--labels failed on the README example"
[[ "$labels" == "$(sed -n 's/^image *= *\(\/\/[^ #]*\).*/\1/p' example.manifest | sort -u)" ]] ||
  fail "--labels printed: $labels"
status=0
"$mkboot" --labels unknown_key.manifest >/dev/null 2>&1 || status=$?
((status == 2)) || fail "--labels on a bad manifest exited with $status, expected 2"
cat >labels.manifest <<'EOF'
[domain linux]
kind = linux
image = //tests/linux:kernel
initrd = @//tests/linux:initramfs
memory = 64M
EOF
labels="$("$mkboot" --labels labels.manifest)" || fail "--labels failed on a Linux manifest"
[[ "$labels" == $'//tests/linux:initramfs\n//tests/linux:kernel' ]] || fail "--labels printed: $labels"

# Packing writes the pack; usage errors exit with 2.
"$mkboot" --manifest good.manifest --pack-output good.pack || fail "--pack-output failed"
[[ "$(head -c 8 good.pack)" == "SEPTPACK" ]] || fail "good.pack does not start with SEPTPACK"
status=0
"$mkboot" --manifest good.manifest 2>/dev/null || status=$?
((status == 2)) || fail "mkboot without an output exited with $status, expected 2"
status=0
"$mkboot" --manifest good.manifest --core /nonexistent.elf --output out.elf 2>/dev/null || status=$?
((status == 2)) || fail "mkboot with a missing core exited with $status, expected 2"

if ((failures > 0)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "mkboot: all checks passed"
