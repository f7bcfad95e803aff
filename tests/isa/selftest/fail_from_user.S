// A failure detected in U-mode is reported through ecall (t6 = FAIL_MAGIC)
// to the M-mode handler: the exit status is still the case number.
// isa: expect-exit 77
// isa: expect-stdout FAIL test 77
#include "test.h"
TEST_BEGIN
  RUN_IN_U(FAIL(77))
TEST_END
