#!/bin/bash
# Checks a boot image against the core it was built from: the same PT_LOAD
# segments (addresses, sizes, flags, bytes) and entry point, plus one
# read-only PT_LOAD holding the pack at the first 2 MiB boundary after the
# core's end; then boots it in QEMU, which must load it and run the core.
# Usage: boot_image_test.sh BOOT.elf CORE.elf qemu_runner.py
set -euo pipefail

boot="$1"
core="$2"
runner="$3"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# One line per PT_LOAD: offset vaddr paddr filesz memsz flags align.
loads() {
  llvm-readelf-14 -l "$1" | awk '$1 == "LOAD" {
    flags = ""
    for (i = 7; i < NF; i++) flags = flags $i
    print $2, $3, $4, $5, $6, flags, $NF
  }'
}

entry() { llvm-readelf-14 -h "$1" | awk '/Entry point address/ {print $NF}'; }

mapfile -t core_loads < <(loads "$core")
mapfile -t boot_loads < <(loads "$boot")
[[ ${#core_loads[@]} -gt 0 ]] || fail "no PT_LOAD in $core"
[[ ${#boot_loads[@]} -eq $((${#core_loads[@]} + 1)) ]] ||
  fail "${#boot_loads[@]} PT_LOAD segments in the boot image, expected ${#core_loads[@]} + 1"
[[ "$(entry "$boot")" == "$(entry "$core")" ]] || fail "entry point $(entry "$boot") != $(entry "$core")"

core_end=0
for i in "${!core_loads[@]}"; do
  read -r core_offset vaddr paddr filesz memsz flags _ <<<"${core_loads[$i]}"
  read -r boot_offset boot_vaddr boot_paddr boot_filesz boot_memsz boot_flags _ <<<"${boot_loads[$i]}"
  [[ "$vaddr $paddr $filesz $memsz $flags" == "$boot_vaddr $boot_paddr $boot_filesz $boot_memsz $boot_flags" ]] ||
    fail "segment $i changed: '${core_loads[$i]}' became '${boot_loads[$i]}'"
  cmp --quiet --bytes=$((filesz)) --ignore-initial=$((core_offset)):$((boot_offset)) "$core" "$boot" ||
    fail "segment $i bytes differ"
  end=$((paddr + memsz))
  ((end > core_end)) && core_end=$end
done

read -r pack_offset pack_vaddr pack_paddr pack_filesz pack_memsz pack_flags _ <<<"${boot_loads[-1]}"
two_mib=$((2 << 20))
expected=$(((core_end + two_mib - 1) / two_mib * two_mib))
((pack_vaddr == expected && pack_paddr == expected)) ||
  fail "pack segment at $pack_vaddr/$pack_paddr, expected $(printf '%#x' $expected)"
[[ "$pack_flags" == "R" ]] || fail "pack segment flags '$pack_flags', expected R"
((pack_filesz == pack_memsz)) || fail "pack segment file size $pack_filesz != memory size $pack_memsz"
magic="$(tail -c +$((pack_offset + 1)) "$boot" | head -c 8)"
[[ "$magic" == "SEPTPACK" ]] || fail "pack segment starts with '$magic', not SEPTPACK"
echo "boot image: ${#core_loads[@]} core segments unchanged, pack of $((pack_filesz)) bytes at $pack_vaddr"

exec /usr/bin/python3 "$runner" --kernel "$boot" --smp 1 --timeout 120 \
  --expect 'septum: boot complete' --expect 'septum: system off, status 0' --expect-status 0
