// Entry of a domain image: the arm64 Linux Image header
// (Documentation/arm64/booting.rst), self-relocation and the per-vCPU setup.
//
// The image is linked at 0 as a static PIE and may be loaded at any 2 MiB
// aligned IPA (Xen: RAM start; Septum: anywhere, also above 1 TiB). Until the
// R_AARCH64_RELATIVE relocations are applied only PC-relative addressing is
// used.

#define CURRENT_EL_EL1 (1 << 2)
#define R_AARCH64_RELATIVE 1027
// SCTLR_EL1: RES1 bits, SA (SP alignment check) and I (instruction cache);
// MMU, data cache and alignment checks stay off.
#define SCTLR_EL1_VALUE 0x30d01808
// Image flags: little endian, 4 KiB pages, placement anywhere in RAM.
#define IMAGE_FLAGS 0xa
#define STACK_SHIFT 14              // 16 KiB per vCPU
#define MAX_VCPUS 8

    .section .text.head, "ax"
    .global _start
_start:
    b       boot_entry              // code0
    .long   0                       // code1
    .quad   0                       // text_offset
    .quad   __image_size            // image_size, .bss included
    .quad   IMAGE_FLAGS
    .quad   0, 0, 0                 // res2-res4
    .ascii  "ARM\x64"               // magic
    .long   0                       // res5: no PE/COFF header

boot_entry:
    mov     x19, x0                 // device tree IPA
    bl      enter_el1
    adr     x9, _start              // linked at 0: the load address is the offset
    adrp    x10, __rela_start
    add     x10, x10, :lo12:__rela_start
    adrp    x11, __rela_end
    add     x11, x11, :lo12:__rela_end
1:  cmp     x10, x11
    b.hs    2f
    ldp     x12, x13, [x10], #16    // r_offset, r_info
    ldr     x14, [x10], #8          // r_addend
    cmp     w13, #R_AARCH64_RELATIVE
    b.ne    park                    // nothing else can be resolved without a loader
    add     x14, x14, x9
    str     x14, [x12, x9]
    b       1b
2:  adrp    x9, __bss_start
    add     x9, x9, :lo12:__bss_start
    adrp    x10, __bss_end
    add     x10, x10, :lo12:__bss_end
3:  cmp     x9, x10
    b.hs    4f
    stp     xzr, xzr, [x9], #16
    b       3b
4:  mov     x0, #0
    bl      enter_vcpu
    mov     x0, x19
    bl      runtime_boot            // does not return

// PSCI CPU_ON lands here with x0 = the vCPU index start_vcpu() passed.
    .global secondary_entry
secondary_entry:
    mov     x19, x0
    bl      enter_el1
    cmp     x19, #MAX_VCPUS
    b.hs    park
    mov     x0, x19
    bl      enter_vcpu
    mov     x0, x19
    bl      runtime_secondary       // does not return

// Masks interrupts and sets SCTLR_EL1; parks unless at EL1. Uses x9 only.
enter_el1:
    msr     daifset, #0xf
    mrs     x9, CurrentEL
    cmp     x9, #CURRENT_EL_EL1
    b.ne    park
    ldr     x9, =SCTLR_EL1_VALUE
    msr     sctlr_el1, x9
    isb
    ret

// x0 = vCPU index: its stack, TPIDR_EL1 = index (this_vcpu()), the vectors.
enter_vcpu:
    add     x9, x0, #1
    adrp    x10, vcpu_stacks
    add     x10, x10, :lo12:vcpu_stacks
    add     x10, x10, x9, lsl #STACK_SHIFT
    mov     sp, x10
    msr     tpidr_el1, x0
    adr     x9, el1_vectors
    msr     vbar_el1, x9
    isb
    ret

// Not at EL1, or an image that cannot relocate: nothing can report it.
park:
    wfi
    b       park

    .section .bss.vcpu_stacks, "aw", %nobits
    .balign 16
vcpu_stacks:
    .space  MAX_VCPUS << STACK_SHIFT
