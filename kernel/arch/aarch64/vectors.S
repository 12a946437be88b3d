// EL2 exception vectors. Every entry saves the full general-purpose state in
// an ExceptionFrame (see exceptions.h) and calls C++.

#include "kernel/arch/aarch64/gpr_frame.inc"

// kind: 0-3 = sync/irq/fiq/serror; +4 per source group (see ExceptionSource).
.macro vector_entry kind
    .balign 0x80
    save_frame el2
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
    restore_frame_and_return el2

// Enters a vCPU for the first time on this CPU: the frame at x0 (on this
// CPU's stack) becomes the live exception frame that later exits reuse.
    .global enter_guest
enter_guest:
    mov     sp, x0
    restore_frame_and_return el2
