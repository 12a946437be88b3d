// EL1 exception vectors. Each entry saves the general-purpose registers and
// ELR/SPSR/ESR/FAR in an ExceptionFrame (exceptions.h) and calls
// handle_exception(frame, group * 4 + kind); ELR and SPSR are restored from
// the frame, so a handler may change where execution resumes.

// The core's frame macros: the SDK's ExceptionFrame has the same layout.
#include "kernel/arch/aarch64/gpr_frame.inc"

.macro vector_entry index
    .balign 0x80
    save_frame el1
    mov     x0, sp
    mov     x1, #\index
    b       exception_common
.endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global el1_vectors
el1_vectors:
    .irp index, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    vector_entry \index
    .endr

exception_common:
    bl      handle_exception
    restore_frame_and_return el1
