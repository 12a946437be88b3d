#!/bin/sh
# /init of the Linux guests' initramfs (tests/linux/make_initramfs.py), run by
# busybox sh. Prints the timing marker first, then runs the command groups
# named by the kernel parameter septum.run=NAME[,NAME...] in order, each
# followed by "SEPTUM-CMD: NAME done", and powers off unless a group already
# ended the system. The groups are listed in tests/linux/README.md.
echo "SEPTUM-INIT: reached init"
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# "septum.run" has a dot, so the kernel keeps it from init's arguments and
# environment (a module parameter); it is read from /proc/cmdline.
run=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    septum.run=*) run="${arg#septum.run=}" ;;
  esac
done

# Prints "SEPTUM-HYPERVISOR: TYPE" ("none" natively) and, when the hypervisor
# reports one, its version (each read is an xen_version hypercall on Xen).
hypervisor() {
  type=none
  [ -r /sys/hypervisor/type ] && type="$(cat /sys/hypervisor/type)"
  echo "SEPTUM-HYPERVISOR: $type"
  if [ -r /sys/hypervisor/version/major ]; then
    echo "SEPTUM-HYPERVISOR-VERSION: $(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)$(cat /sys/hypervisor/version/extra)"
  fi
  if [ -r /sys/hypervisor/properties/features ]; then
    echo "SEPTUM-HYPERVISOR-FEATURES: $(cat /sys/hypervisor/properties/features)"
  fi
}

# Prints the device-tree properties Linux's Xen support reads, as the kernel
# got them: "SEPTUM-DT: PATH: HEX" (each byte two hex digits), or "absent".
dt() {
  for property in hypervisor/compatible hypervisor/reg hypervisor/interrupts chosen/linux,initrd-start \
    chosen/linux,initrd-end; do
    file="/proc/device-tree/$property"
    if [ -r "$file" ]; then
      echo "SEPTUM-DT: $property: $(od -An -v -tx1 "$file" | tr -d ' \n')"
    else
      echo "SEPTUM-DT: $property: absent"
    fi
  done
}

# Loads the modules make_initramfs.py --module put in, in dependency order.
modules() {
  [ -r /lib/modules/load-order ] || { echo "SEPTUM-MODULES: none"; return; }
  for module in $(cat /lib/modules/load-order); do
    if insmod "$module"; then
      echo "SEPTUM-MODULE: loaded $module"
    else
      echo "SEPTUM-MODULE: FAILED $module"
    fi
  done
}

for name in $(echo "$run" | tr ',' ' '); do
  case "$name" in
    cpuinfo) cat /proc/cpuinfo ;;
    hypervisor) hypervisor ;;
    dt) dt ;;
    interrupts) cat /proc/interrupts ;;
    uname) uname -a ;;
    xenlog) dmesg | grep -i -e xen -e hvc -e grant -e evtchn -e "event channel" ;;
    modules) modules ;;
    crash)
      echo "SEPTUM-CMD: crash now"
      echo c >/proc/sysrq-trigger
      ;;
    poweroff)
      echo "SEPTUM-CMD: poweroff now"
      poweroff -f
      ;;
    *)
      echo "SEPTUM-CMD: $name unknown"
      continue
      ;;
  esac
  echo "SEPTUM-CMD: $name done"
done
echo "SEPTUM-CMD: poweroff now"
poweroff -f
