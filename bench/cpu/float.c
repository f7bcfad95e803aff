/*
 * float: double- and single-precision arithmetic.
 *
 *  - an N-body gravity simulation (16 bodies, pairwise forces, symplectic
 *    Euler steps) in double: fadd/fsub/fmul/fdiv/fsqrt.d on the hot path;
 *  - a 96x96 double matrix multiply (loads/stores of doubles, fmul/fadd);
 *  - float32: an escape-time fractal over a grid (fmul/fadd.s, compares,
 *    float<->int conversions) and a float32 IIR filter.
 *
 * Results are checksummed by their exact bit patterns, which is only
 * meaningful because fused multiply-add is disabled (-ffp-contract=off) on
 * both the guest and the host build.
 */
#include "bench.h"

const char bench_name[] = "float";

#define BODIES 16
#define STEPS (14000 * SCALE)
#define MAT 96
#define MAT_ROUNDS (10 * SCALE)
#define FR_W 192
#define FR_H 128
#define FR_ITERS 256
#define FR_ROUNDS (3 * SCALE)
#define IIR_N 65536
#define IIR_ROUNDS (6 * SCALE)

struct body {
	double x, y, z, vx, vy, vz, m;
};

static struct body bodies[BODIES];
static double ma[MAT][MAT] PAGE_ALIGNED;
static double mb[MAT][MAT] PAGE_ALIGNED;
static double mc[MAT][MAT] PAGE_ALIGNED;
static float sig[IIR_N] PAGE_ALIGNED;

/* uniform double in [lo, hi) from 53 random bits */
static double urand(uint64_t *s, double lo, double hi)
{
	double u = (double)(splitmix64(s) >> 11) * (1.0 / 9007199254740992.0);
	return lo + (hi - lo) * u;
}

static uint64_t nbody(uint64_t *seed)
{
	for (int i = 0; i < BODIES; i++) {
		struct body *b = &bodies[i];
		b->x = urand(seed, -10, 10);
		b->y = urand(seed, -10, 10);
		b->z = urand(seed, -1, 1);
		b->vx = urand(seed, -0.5, 0.5);
		b->vy = urand(seed, -0.5, 0.5);
		b->vz = urand(seed, -0.05, 0.05);
		b->m = urand(seed, 0.5, 2.0);
	}
	const double dt = 0.001, soft = 0.01;
	for (int s = 0; s < STEPS; s++) {
		for (int i = 0; i < BODIES; i++) {
			struct body *bi = &bodies[i];
			for (int j = i + 1; j < BODIES; j++) {
				struct body *bj = &bodies[j];
				double dx = bi->x - bj->x, dy = bi->y - bj->y, dz = bi->z - bj->z;
				double d2 = dx * dx + dy * dy + dz * dz + soft;
				double d = __builtin_sqrt(d2);
				double mag = dt / (d2 * d);
				bi->vx -= dx * bj->m * mag;
				bi->vy -= dy * bj->m * mag;
				bi->vz -= dz * bj->m * mag;
				bj->vx += dx * bi->m * mag;
				bj->vy += dy * bi->m * mag;
				bj->vz += dz * bi->m * mag;
			}
		}
		for (int i = 0; i < BODIES; i++) {
			struct body *b = &bodies[i];
			b->x += dt * b->vx;
			b->y += dt * b->vy;
			b->z += dt * b->vz;
		}
	}
	double e = 0;
	for (int i = 0; i < BODIES; i++) {
		struct body *b = &bodies[i];
		e += 0.5 * b->m * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
	}
	uint64_t h = dbits(e);
	for (int i = 0; i < BODIES; i++)
		h = fold(h, dbits(bodies[i].x) ^ dbits(bodies[i].vy));
	return h;
}

static uint64_t matmul(uint64_t *seed)
{
	for (int i = 0; i < MAT; i++)
		for (int j = 0; j < MAT; j++) {
			ma[i][j] = urand(seed, -1, 1);
			mb[i][j] = urand(seed, -1, 1);
		}
	uint64_t h = 0;
	for (int r = 0; r < MAT_ROUNDS; r++) {
		for (int i = 0; i < MAT; i++)
			for (int j = 0; j < MAT; j++)
				mc[i][j] = 0;
		for (int i = 0; i < MAT; i++)
			for (int k = 0; k < MAT; k++) {
				double a = ma[i][k];
				for (int j = 0; j < MAT; j++)
					mc[i][j] += a * mb[k][j];
			}
		/* scale the result back into range and use it as the next A */
		double tr = 0;
		for (int i = 0; i < MAT; i++)
			tr += mc[i][i] < 0 ? -mc[i][i] : mc[i][i];
		double inv = 1.0 / (tr + 1.0);
		for (int i = 0; i < MAT; i++)
			for (int j = 0; j < MAT; j++)
				ma[i][j] = mc[i][j] * inv * (double)MAT * 0.25;
		h = fold(h, dbits(tr));
	}
	return h;
}

static uint64_t fractal(void)
{
	uint64_t h = 0;
	for (int r = 0; r < FR_ROUNDS; r++) {
		float zoom = 1.0f / (float)(r + 1);
		for (int py = 0; py < FR_H; py++) {
			float ci = ((float)py / (float)FR_H * 2.4f - 1.2f) * zoom;
			for (int px = 0; px < FR_W; px++) {
				float cr = ((float)px / (float)FR_W * 3.2f - 2.2f) * zoom - 0.3f;
				float zr = 0, zi = 0;
				int it = 0;
				while (it < FR_ITERS) {
					float zr2 = zr * zr, zi2 = zi * zi;
					if (zr2 + zi2 > 4.0f)
						break;
					zi = 2.0f * zr * zi + ci;
					zr = zr2 - zi2 + cr;
					it++;
				}
				h = h * 31 + (uint64_t)it + (uint64_t)(int32_t)(zr * 1000.0f);
			}
		}
	}
	return h;
}

static uint64_t iir(uint64_t *seed)
{
	for (int i = 0; i < IIR_N; i++)
		sig[i] = (float)urand(seed, -1, 1);
	uint64_t h = 0;
	for (int r = 0; r < IIR_ROUNDS; r++) {
		/* second-order low-pass, run forwards then backwards */
		const float b0 = 0.0675f, b1 = 0.135f, b2 = 0.0675f, a1 = -1.143f, a2 = 0.4128f;
		float x1 = 0, x2 = 0, y1 = 0, y2 = 0;
		for (int i = 0; i < IIR_N; i++) {
			float x = sig[i];
			float y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
			x2 = x1; x1 = x; y2 = y1; y1 = y;
			sig[i] = y;
		}
		x1 = x2 = y1 = y2 = 0;
		float peak = 0;
		for (int i = IIR_N - 1; i >= 0; i--) {
			float x = sig[i];
			float y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
			x2 = x1; x1 = x; y2 = y1; y1 = y;
			float ay = y < 0 ? -y : y;
			if (ay > peak)
				peak = ay;
			sig[i] = y;
		}
		/* renormalise so the signal does not decay to zero */
		float g = 0.9f / __builtin_sqrtf(peak * peak + 1e-6f);
		for (int i = 0; i < IIR_N; i++)
			sig[i] = sig[i] * g + (float)(i & 7) * 0.01f;
		h = fold(h, fbits(peak));
	}
	return h;
}

uint64_t bench_run(void)
{
	uint64_t seed = 0x5eed0004ULL;
	uint64_t sum = nbody(&seed);
	sum = fold(sum, matmul(&seed));
	sum = fold(sum, fractal());
	sum = fold(sum, iir(&seed));
	return sum;
}
