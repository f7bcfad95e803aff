// HTIF console: device 1 command 1 prints a byte; then pass.
// isa: expect-exit 0
// isa: expect-stdout strata-isa: hello, htif!
#include "test.h"
TEST_BEGIN
  la a0, msg
  call puts
TEST_END
  .section .rodata
msg: .asciz "strata-isa: hello, htif!\n"
