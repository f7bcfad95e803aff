// A deliberately failing program: test case 37 fails, so the exit status
// must be 37 and the failure message must be on stdout.
// isa: expect-exit 37
// isa: expect-stdout FAIL test 37
#include "test.h"
TEST_BEGIN
  TEST_CASE(1, a0, 5, li a0, 5)
  TEST_CASE(37, a0, 6, li a0, 5)
TEST_END
