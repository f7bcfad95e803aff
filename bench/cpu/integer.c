/*
 * integer: ALU- and multiplier-bound hashing.
 *
 * A 256-bit-state compression function (own design, ARX plus 64-bit
 * multiplies, loosely in the spirit of SHA-2 message scheduling) is run over
 * a 64 KiB buffer many times, feeding each pass's digest back into the
 * buffer. A second, 32-bit multiply/rotate mixer exercises the *W
 * instructions (addw, mulw, sllw...), and every block does one unsigned
 * division and remainder so DIVU/REMU are on the hot path too.
 */
#include "bench.h"

const char bench_name[] = "integer";

#define WORDS 8192 /* 64 KiB of uint64 */
#define PASSES (400 * SCALE)

static uint64_t buf[WORDS] PAGE_ALIGNED;

static const uint64_t K[16] = {
	0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL,
	0x082efa98ec4e6c89ULL, 0x452821e638d01377ULL, 0xbe5466cf34e90c6cULL,
	0xc0ac29b7c97c50ddULL, 0x3f84d5b5b5470917ULL, 0x9216d5d98979fb1bULL,
	0xd1310ba698dfb5acULL, 0x2ffd72dbd01adfb7ULL, 0xb8e1afed6a267e96ULL,
	0xba7c9045f12c7f99ULL, 0x24a19947b3916cf7ULL, 0x0801f2e2858efc16ULL,
	0x636920d871574e69ULL,
};

/* Compress one 8-word block into the 4-word state. */
static void compress(uint64_t st[4], const uint64_t *blk)
{
	uint64_t w[16];
	for (int i = 0; i < 8; i++)
		w[i] = blk[i];
	for (int i = 8; i < 16; i++) {
		uint64_t a = w[i - 8], b = w[i - 3], c = w[i - 7];
		w[i] = (rotl64(a, 13) ^ (b >> 7)) + c * 0x9fb21c651e98df25ULL;
	}
	uint64_t a = st[0], b = st[1], c = st[2], d = st[3];
	for (int r = 0; r < 16; r++) {
		a += w[r] ^ K[r];
		d = rotl64(d ^ a, 32);
		c += d * 0xff51afd7ed558ccdULL;
		b = rotl64(b ^ c, 24);
		a += b + (c >> 29);
		d = rotl64(d ^ a, 16);
		c += d | 1;
		b = rotl64(b ^ c, 63) * 0xc4ceb9fe1a85ec53ULL;
	}
	st[0] += a;
	st[1] ^= b;
	st[2] += c;
	st[3] ^= d;
}

/* 32-bit multiply/rotate mixer (murmur-like, own constants). */
static uint32_t mix32(uint32_t h, const uint32_t *p, int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t k = p[i] * 0xcc9e2d51u;
		k = (k << 15) | (k >> 17);
		k *= 0x1b873593u;
		h ^= k;
		h = (h << 13) | (h >> 19);
		h = h * 5u + 0xe6546b64u;
	}
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h;
}

uint64_t bench_run(void)
{
	uint64_t seed = 0x5eed0001ULL;
	for (int i = 0; i < WORDS; i++)
		buf[i] = splitmix64(&seed);

	uint64_t st[4] = {1, 2, 3, 4};
	uint64_t sum = 0;
	uint32_t h32 = 0x1234567u;
	for (int pass = 0; pass < PASSES; pass++) {
		for (int i = 0; i < WORDS; i += 8) {
			compress(st, &buf[i]);
			/* one 64-bit division per block, divisor never zero */
			uint64_t q = st[0] / ((st[1] >> 40) | 3);
			uint64_t r = st[2] % ((st[3] & 0xffff) + 7);
			sum += q ^ r;
		}
		h32 = mix32(h32, (const uint32_t *)buf, WORDS * 2);
		/* feed the digest back so every pass hashes different data */
		for (int i = 0; i < WORDS; i += 64)
			buf[i] ^= st[(i >> 6) & 3] + h32;
		sum = fold(sum, st[0] ^ st[1] ^ st[2] ^ st[3]);
	}
	return fold(sum, h32);
}
