/*
 * empty: no work at all. cpucmp runs it to measure each emulator's fixed
 * cost (process start, machine setup, ELF load, exit), which is included in
 * every other workload's wall time.
 */
#include "bench.h"

const char bench_name[] = "empty";

uint64_t bench_run(void)
{
	return 0x5eed;
}
