/*
 * memory: load/store- and TLB/cache-bound work over ~12 MB.
 *
 *  - pointer chasing: 64 Ki nodes of 64 bytes (4 MB) linked into a single
 *    random cycle (Sattolo's shuffle); every load's address depends on the
 *    previous load, and each step also updates the node it visits.
 *  - streaming: a sum, a scaled add (triad) and a block copy over an 8 MB
 *    array of uint64, touching 2048 distinct 4 KiB pages per sweep.
 */
#include "bench.h"

const char bench_name[] = "memory";

#define NODES (1 << 16)
#define STREAM_WORDS (1 << 20) /* 8 MB */
#define CHASE_STEPS (16000000 * SCALE)
#define STREAM_PASSES (16 * SCALE)

struct node {
	struct node *next;
	uint64_t val;
	uint64_t pad[6];
};

static struct node nodes[NODES] PAGE_ALIGNED;
static uint32_t perm[NODES] PAGE_ALIGNED;
static uint64_t arr[STREAM_WORDS] PAGE_ALIGNED;

static uint64_t chase(uint64_t steps)
{
	struct node *p = &nodes[0];
	uint64_t sum = 0;
	for (uint64_t i = 0; i < steps; i++) {
		sum += p->val;
		p->val = sum ^ i;
		p = p->next;
	}
	return sum + (uint64_t)(p - nodes);
}

static uint64_t stream(int pass)
{
	uint64_t s0 = 0, s1 = 0;
	/* read-only sweep, two accumulators */
	for (int i = 0; i < STREAM_WORDS; i += 2) {
		s0 += arr[i];
		s1 ^= arr[i + 1];
	}
	/* triad-like read-modify-write sweep */
	uint64_t k = (uint64_t)pass * 2 + 3;
	for (int i = 0; i < STREAM_WORDS - 1; i++)
		arr[i] = arr[i + 1] + k * arr[i];
	/* copy the upper half over the lower half (strided source) */
	memcpy(&arr[0], &arr[STREAM_WORDS / 2], sizeof(arr) / 4);
	return fold(s0, s1);
}

uint64_t bench_run(void)
{
	uint64_t seed = 0x5eed0002ULL;

	/* Sattolo's algorithm: a uniformly random single cycle */
	for (uint32_t i = 0; i < NODES; i++)
		perm[i] = i;
	for (uint32_t i = NODES - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(splitmix64(&seed) % i);
		uint32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (uint32_t i = 0; i < NODES; i++) {
		nodes[i].next = &nodes[perm[i]];
		nodes[i].val = splitmix64(&seed);
	}
	for (uint32_t i = 0; i < STREAM_WORDS; i++)
		arr[i] = splitmix64(&seed);

	uint64_t sum = 0;
	for (int pass = 0; pass < STREAM_PASSES; pass++) {
		sum = fold(sum, chase(CHASE_STEPS / STREAM_PASSES));
		sum = fold(sum, stream(pass));
	}
	return sum;
}
