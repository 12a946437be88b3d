// EL2 exception vectors. Every entry saves the full general-purpose state in
// an ExceptionFrame (see exceptions.h) and calls C++.

#define FRAME_SIZE 288          // x0-x30, ELR, SPSR, ESR, FAR, rounded to 16

.macro save_frame
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    mrs     x21, elr_el2
    mrs     x22, spsr_el2
    stp     x28, x29, [sp, #16 * 14]
    stp     x30, x21, [sp, #16 * 15]
    mrs     x23, esr_el2
    mrs     x24, far_el2
    stp     x22, x23, [sp, #16 * 16]
    str     x24, [sp, #16 * 17]
.endm

.macro restore_frame_and_return
    ldp     x30, x21, [sp, #16 * 15]
    ldr     x22, [sp, #16 * 16]
    msr     elr_el2, x21
    msr     spsr_el2, x22
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    add     sp, sp, #FRAME_SIZE
    eret
.endm

// kind: 0-3 = sync/irq/fiq/serror; +4 per source group (see ExceptionSource).
.macro vector_entry kind
    .balign 0x80
    save_frame
    mov     x0, sp
    mov     x1, #\kind
    b       exception_common
.endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global el2_vectors
el2_vectors:
    vector_entry 0      // current EL with SP_EL0
    vector_entry 1
    vector_entry 2
    vector_entry 3
    vector_entry 4      // current EL with SP_EL2
    vector_entry 5
    vector_entry 6
    vector_entry 7
    vector_entry 8      // lower EL, AArch64
    vector_entry 9
    vector_entry 10
    vector_entry 11
    vector_entry 12     // lower EL, AArch32
    vector_entry 13
    vector_entry 14
    vector_entry 15

exception_common:
    bl      handle_exception
    restore_frame_and_return

// Enters a vCPU for the first time on this CPU: the frame at x0 (on this
// CPU's stack) becomes the live exception frame that later exits reuse.
    .global enter_guest
enter_guest:
    mov     sp, x0
    restore_frame_and_return
