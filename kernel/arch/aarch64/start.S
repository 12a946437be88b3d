// Entry points of the core. The boot CPU arrives here at EL2 with the MMU
// off: from QEMU's ELF loader (x0 = 0) or from a Linux-style boot loader
// (x0 = device tree address). Secondary CPUs arrive through PSCI CPU_ON with
// x0 = their PerCpu record, whose first field is the stack top.

#define SCTLR_EL2_RES1 0x30c50830
#define CURRENT_EL_EL2 (2 << 2)

    .section .text.boot, "ax"
    .global _start
_start:
    msr     daifset, #0xf
    mrs     x9, CurrentEL
    cmp     x9, #CURRENT_EL_EL2
    b.ne    wrong_exception_level
    ldr     x9, =SCTLR_EL2_RES1     // MMU, caches and alignment checks off
    msr     sctlr_el2, x9
    isb
    adr     x9, el2_vectors
    msr     vbar_el2, x9
    adrp    x9, boot_stack_top
    add     x9, x9, :lo12:boot_stack_top
    mov     sp, x9
    adrp    x9, __bss_start
    add     x9, x9, :lo12:__bss_start
    adrp    x10, __bss_end
    add     x10, x10, :lo12:__bss_end
1:  cmp     x9, x10
    b.hs    2f
    str     xzr, [x9], #8
    b       1b
2:  bl      boot_cpu_main           // x0 still holds the boot loader's DTB pointer
    b       park

    .global secondary_entry
secondary_entry:
    msr     daifset, #0xf
    ldr     x9, =SCTLR_EL2_RES1
    msr     sctlr_el2, x9
    isb
    adr     x9, el2_vectors
    msr     vbar_el2, x9
    ldr     x9, [x0]
    mov     sp, x9
    bl      secondary_cpu_main
    b       park

// Not at EL2: the core cannot run; nothing is set up to report it.
wrong_exception_level:
park:
    wfe
    b       park

    .section .bss.boot_stack, "aw", %nobits
    .balign 16
boot_stack:
    .space  16384
boot_stack_top:
