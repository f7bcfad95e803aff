/*
 * rvc-mix: a mixed "systems code" workload compiled with -Os, so most of the
 * executed instructions are 16-bit compressed (RVC) encodings.
 *
 *  - a stack-machine bytecode interpreter (switch dispatch) running a small
 *    program that loops, calls, and does arithmetic;
 *  - bitwise CRC-32 over a buffer (shifts, xors, short branches);
 *  - an open-addressing hash table of short strings: hashing, string compare,
 *    insert and lookup;
 *  - byte-wise string routines (length, reverse, search).
 */
#include "bench.h"

const char bench_name[] = "rvc-mix";

#define VM_RUNS (4 * SCALE)
#define CRC_BYTES (1 << 16)
#define CRC_ROUNDS (30 * SCALE)
#define HT_SIZE 8192
#define HT_KEYS 6000
#define HT_ROUNDS (20 * SCALE)

/* ---- bytecode interpreter ---- */
enum {
	OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB,
	OP_MUL, OP_AND, OP_XOR, OP_SHR, OP_LT, OP_JMP, OP_JZ, OP_CALL, OP_RET,
	OP_LOAD, OP_STORE,
};

/*
 * Program: acc = 0; for (i = N; i != 0; i--) acc = f(acc ^ i); halt(acc),
 * with f(x) = ((x * 33) + (x >> 3)) & 0xffffff; acc and i live in memory
 * slots 0 and 1. The numbers in comments are code offsets.
 */
#define L_LOOP 8
#define L_END 30
#define L_F 31
#define N_SLOT 5
static const int32_t prog[] = {
	/*  0 */ OP_PUSH, 0, OP_STORE, 0,
	/*  4 */ OP_PUSH, 0 /* N, patched */, OP_STORE, 1,
	/*  8 */ OP_LOAD, 1, OP_JZ, L_END,
	/* 12 */ OP_LOAD, 0, OP_LOAD, 1, OP_XOR,
	/* 17 */ OP_CALL, L_F,
	/* 19 */ OP_STORE, 0,
	/* 21 */ OP_LOAD, 1, OP_PUSH, 1, OP_SUB, OP_STORE, 1,
	/* 28 */ OP_JMP, L_LOOP,
	/* 30 */ OP_HALT,
	/* 31 */ OP_DUP, OP_PUSH, 33, OP_MUL, OP_SWAP, OP_PUSH, 3, OP_SHR,
	/* 39 */ OP_ADD, OP_PUSH, 0xffffff, OP_AND, OP_RET,
};

/* The same computation in C, to validate the interpreter. */
static int64_t vm_expect(int32_t n)
{
	int64_t acc = 0;
	for (int64_t i = n; i != 0; i--) {
		int64_t x = acc ^ i;
		acc = ((x * 33) + (x >> 3)) & 0xffffff;
	}
	return acc;
}

static int32_t code[sizeof(prog) / sizeof(prog[0])];

static int64_t vm_run(int32_t n)
{
	int64_t stack[64], mem[4] = {0, 0, 0, 0};
	const int32_t *rstack[16];
	int64_t *sp = stack;              /* points one past the top */
	const int32_t **rsp = rstack;
	const int32_t *pc = code;
	memcpy(code, prog, sizeof(prog));
	code[N_SLOT] = n;
	for (;;) {
		switch (*pc++) {
		case OP_HALT: return mem[0];
		case OP_PUSH: *sp++ = *pc++; break;
		case OP_POP: sp--; break;
		case OP_DUP: sp[0] = sp[-1]; sp++; break;
		case OP_SWAP: { int64_t t = sp[-1]; sp[-1] = sp[-2]; sp[-2] = t; break; }
		case OP_OVER: sp[0] = sp[-2]; sp++; break;
		case OP_ADD: sp--; sp[-1] += sp[0]; break;
		case OP_SUB: sp--; sp[-1] -= sp[0]; break;
		case OP_MUL: sp--; sp[-1] *= sp[0]; break;
		case OP_AND: sp--; sp[-1] &= sp[0]; break;
		case OP_XOR: sp--; sp[-1] ^= sp[0]; break;
		case OP_SHR: sp--; sp[-1] >>= sp[0]; break;
		case OP_LT: sp--; sp[-1] = sp[-1] < sp[0]; break;
		case OP_JMP: pc = code + *pc; break;
		case OP_JZ: pc = *--sp == 0 ? code + *pc : pc + 1; break;
		case OP_CALL: *rsp++ = pc + 1; pc = code + *pc; break;
		case OP_RET: pc = *--rsp; break;
		case OP_LOAD: *sp++ = mem[*pc++]; break;
		case OP_STORE: mem[*pc++] = *--sp; break;
		default: return -1;
		}
	}
}

/* ---- CRC-32 (reflected, poly 0xedb88320), bit at a time ---- */
static uint8_t crcbuf[CRC_BYTES] PAGE_ALIGNED;

static uint32_t crc32(uint32_t crc, const uint8_t *p, int n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* ---- strings and a hash table ---- */
struct entry {
	char key[16];
	uint32_t hits;
	uint32_t used;
};

static struct entry table[HT_SIZE] PAGE_ALIGNED;
static char keybuf[HT_KEYS][16] PAGE_ALIGNED;

static int str_len(const char *s)
{
	int n = 0;
	while (s[n])
		n++;
	return n;
}

static int str_cmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (uint8_t)*a - (uint8_t)*b;
}

static void str_cpy(char *d, const char *s)
{
	while ((*d++ = *s++))
		;
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static void str_rev(char *s)
{
	int n = str_len(s);
	for (int i = 0, j = n - 1; i < j; i++, j--) {
		char t = s[i];
		s[i] = s[j];
		s[j] = t;
	}
}

static int count_char(const char *s, char c)
{
	int n = 0;
	for (; *s; s++)
		n += *s == c;
	return n;
}

static struct entry *ht_find(const char *key, int insert)
{
	uint32_t i = str_hash(key) & (HT_SIZE - 1);
	for (;;) {
		struct entry *e = &table[i];
		if (!e->used) {
			if (!insert)
				return 0;
			e->used = 1;
			str_cpy(e->key, key);
			return e;
		}
		if (str_cmp(e->key, key) == 0)
			return e;
		i = (i + 1) & (HT_SIZE - 1);
	}
}

static uint64_t strings(uint64_t *seed, int round)
{
	memset(table, 0, sizeof(table));
	for (int i = 0; i < HT_KEYS; i++) {
		uint64_t r = splitmix64(seed);
		int len = 3 + (int)(r % 12);
		r >>= 4;
		for (int k = 0; k < len; k++) {
			keybuf[i][k] = (char)('a' + (r % 7) + (k & 3) * 4);
			r = r / 7 + (uint64_t)k * 0x9e3779b9u;
		}
		keybuf[i][len] = 0;
		ht_find(keybuf[i], 1)->hits++;
	}
	uint64_t h = 0;
	for (int i = 0; i < HT_KEYS; i++) {
		str_rev(keybuf[i]);
		struct entry *e = ht_find(keybuf[i], 0);
		h = fold(h, e ? e->hits : (uint32_t)str_len(keybuf[i]));
		h += (uint64_t)count_char(keybuf[i], (char)('a' + (round & 7)));
	}
	return h;
}

uint64_t bench_run(void)
{
	uint64_t seed = 0x5eed0005ULL;
	uint64_t sum = 0;
	for (int r = 0; r < VM_RUNS; r++) {
		int64_t got = vm_run(100000 + r);
		if (got != vm_expect(100000 + r))
			return 0xbadc0de; /* interpreter broke: deliberately wrong */
		sum = fold(sum, (uint64_t)got);
	}
	for (int i = 0; i < CRC_BYTES; i++)
		crcbuf[i] = (uint8_t)splitmix64(&seed);
	uint32_t crc = 0;
	for (int r = 0; r < CRC_ROUNDS; r++) {
		crc = crc32(crc, crcbuf, CRC_BYTES);
		crcbuf[r] ^= (uint8_t)crc;
	}
	sum = fold(sum, crc);
	for (int r = 0; r < HT_ROUNDS; r++)
		sum = fold(sum, strings(&seed, r));
	return sum;
}
