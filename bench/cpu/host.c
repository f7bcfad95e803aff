/*
 * Host driver for the strata CPU benchmarks (cpucmp -selfcheck): runs a
 * kernel natively so its checksum can be compared with the RISC-V guest's.
 */
#include <stdio.h>
#include "bench.h"

int main(void)
{
	printf("bench=%s\n", bench_name);
	printf("checksum=0x%016llx\n", (unsigned long long)bench_run());
	return 0;
}
