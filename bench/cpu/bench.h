/*
 * Shared interface of the strata CPU benchmark kernels.
 *
 * Every workload file defines bench_name and bench_run(). The same file is
 * compiled twice: for RISC-V bare metal (linked with start.S and rt.c) and
 * for the host (linked with host.c), so the checksum the guest prints can be
 * checked against a natively computed one. Kernels therefore use only
 * fixed-width integer types and IEEE double/float arithmetic with no
 * library calls besides memset/memcpy; they must be built with
 * -ffp-contract=off so neither compiler fuses multiply-adds.
 *
 * SCALE multiplies the amount of work (default 1).
 */
#ifndef STRATA_BENCH_H
#define STRATA_BENCH_H

#include <stdint.h>

#ifndef SCALE
#define SCALE 1
#endif

typedef __SIZE_TYPE__ bench_size_t;

extern const char bench_name[];
uint64_t bench_run(void);

void *memset(void *dst, int c, bench_size_t n);
void *memcpy(void *dst, const void *src, bench_size_t n);

/* Page-aligned placement for the big arrays (keeps them off code pages). */
#define PAGE_ALIGNED __attribute__((aligned(4096)))

/* A small, good, deterministic generator used by every workload. */
static inline uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Fold a value into a running checksum (order-sensitive). */
static inline uint64_t fold(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

/* Bit pattern of a double / float, for checksumming FP results exactly. */
static inline uint64_t dbits(double d)
{
	union { double d; uint64_t u; } c;
	c.d = d;
	return c.u;
}

static inline uint32_t fbits(float f)
{
	union { float f; uint32_t u; } c;
	c.f = f;
	return c.u;
}

#endif
