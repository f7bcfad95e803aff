// An unexpected illegal instruction in M-mode exits with 200 + mcause = 202.
// isa: expect-exit 202
// isa: expect-stdout unexpected M-mode trap: mcause=0x0000000000000002
#include "test.h"
TEST_BEGIN
  TEST_NUM(4)
  .word 0
TEST_END
