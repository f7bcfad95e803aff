// The SiFive test finisher at 0x100000 (QEMU -M virt; strata has it too):
// FAIL (0x3333) with code 5 in the upper half exits with status 5.
// isa: qemu-args -M virt
// isa: expect-exit 5
#include "test.h"
TEST_BEGIN
  li a0, 0x100000
  li a1, (5 << 16) | 0x3333
  sw a1, 0(a0)
1: j 1b
TEST_END
