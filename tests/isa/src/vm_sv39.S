// Virtual memory with Sv39: 4 KiB pages and superpages, R/W/X/U checks
// with cause 12/13/15 and stval, A/D bits set by the walker, W-without-R,
// invalid and non-leaf PTEs, reserved PBMT bits, misaligned superpage,
// canonical-address checks, SUM, MXR, MPRV, sfence.vma (by address and
// all), switching satp to Bare and back, and the final HTIF pass stored
// from S-mode through a virtual mapping of tohost. See env/vm_body.h.
#define VM_MODE 8
#include "vm_body.h"
