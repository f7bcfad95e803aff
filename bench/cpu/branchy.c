/*
 * branchy: control-flow-bound work with data-dependent, unpredictable
 * branches.
 *
 *  - quicksort (median-of-three, insertion sort below 16 elements) of
 *    pseudo-random 32-bit keys, then a sortedness check;
 *  - binary searches for random keys in the sorted array;
 *  - a byte-array sieve of Eratosthenes, summing the primes found;
 *  - a small table-free state machine (a run-length/class tokenizer) over
 *    random bytes, where the next state depends on each byte.
 */
#include "bench.h"

const char bench_name[] = "branchy";

#define N_SORT 65536
#define SORT_ROUNDS (8 * SCALE)
#define N_SEARCH 200000
#define SIEVE_N 2000000
#define SIEVE_ROUNDS (3 * SCALE)
#define TOKEN_BYTES (1 << 20)
#define TOKEN_ROUNDS (3 * SCALE)

static int32_t keys[N_SORT] PAGE_ALIGNED;
static uint8_t sieve[SIEVE_N + 1] PAGE_ALIGNED;
static uint8_t text[TOKEN_BYTES] PAGE_ALIGNED;

static void insertion_sort(int32_t *a, int n)
{
	for (int i = 1; i < n; i++) {
		int32_t v = a[i];
		int j = i - 1;
		while (j >= 0 && a[j] > v) {
			a[j + 1] = a[j];
			j--;
		}
		a[j + 1] = v;
	}
}

static void quicksort(int32_t *a, int n)
{
	while (n > 16) {
		int m = n / 2;
		/* median of three into a[m] */
		if (a[0] > a[m]) { int32_t t = a[0]; a[0] = a[m]; a[m] = t; }
		if (a[m] > a[n - 1]) { int32_t t = a[m]; a[m] = a[n - 1]; a[n - 1] = t; }
		if (a[0] > a[m]) { int32_t t = a[0]; a[0] = a[m]; a[m] = t; }
		int32_t pivot = a[m];
		int i = 0, j = n - 1;
		for (;;) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i >= j)
				break;
			int32_t t = a[i]; a[i] = a[j]; a[j] = t;
			i++;
			j--;
		}
		/* recurse into the smaller part, loop on the larger */
		int left = j + 1;
		if (left < n - left) {
			quicksort(a, left);
			a += left;
			n -= left;
		} else {
			quicksort(a + left, n - left);
			n = left;
		}
	}
	insertion_sort(a, n);
}

static int bsearch_i32(const int32_t *a, int n, int32_t key)
{
	int lo = 0, hi = n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (a[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t run_sieve(int n)
{
	for (int i = 0; i <= n; i++)
		sieve[i] = 1;
	sieve[0] = sieve[1] = 0;
	for (int i = 2; (uint64_t)i * i <= (uint64_t)n; i++)
		if (sieve[i])
			for (int j = i * i; j <= n; j += i)
				sieve[j] = 0;
	uint64_t count = 0, sum = 0;
	for (int i = 0; i <= n; i++)
		if (sieve[i]) {
			count++;
			sum += (uint64_t)i;
		}
	return fold(count, sum);
}

/* Classify bytes into words/numbers/punctuation/space runs. */
static uint64_t tokenize(const uint8_t *p, int n)
{
	enum { SPACE, WORD, NUMBER, PUNCT } st = SPACE;
	uint64_t words = 0, numbers = 0, puncts = 0, value = 0, longest = 0, run = 0;
	for (int i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 'a' && c <= 'z') {
			if (st != WORD) {
				words++;
				run = 0;
			}
			st = WORD;
			run++;
			if (run > longest)
				longest = run;
		} else if (c >= '0' && c <= '9') {
			if (st != NUMBER) {
				numbers++;
				value = 0;
			}
			st = NUMBER;
			value = value * 10 + (uint64_t)(c - '0');
		} else if (c == ' ' || c == '\n') {
			if (st == NUMBER)
				words ^= value;
			st = SPACE;
		} else {
			puncts++;
			st = PUNCT;
		}
	}
	return fold(fold(words, numbers), fold(puncts, longest));
}

uint64_t bench_run(void)
{
	uint64_t seed = 0x5eed0003ULL;
	uint64_t sum = 0;

	for (int r = 0; r < SORT_ROUNDS; r++) {
		for (int i = 0; i < N_SORT; i++)
			keys[i] = (int32_t)(uint32_t)splitmix64(&seed);
		quicksort(keys, N_SORT);
		for (int i = 1; i < N_SORT; i++)
			if (keys[i - 1] > keys[i])
				return 0xbad5047; /* not sorted: deliberately wrong checksum */
		for (int i = 0; i < N_SEARCH / SORT_ROUNDS; i++) {
			int32_t k = (int32_t)(uint32_t)splitmix64(&seed);
			sum += (uint64_t)bsearch_i32(keys, N_SORT, k);
		}
		sum = fold(sum, (uint64_t)(uint32_t)keys[N_SORT / 3]);
	}

	for (int r = 0; r < SIEVE_ROUNDS; r++)
		sum = fold(sum, run_sieve(SIEVE_N - r * 1000));

	/* letters, digits, spaces and punctuation in roughly 8:3:3:1 */
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzaeiou0123456789    \n.,;-!";
	for (int r = 0; r < TOKEN_ROUNDS; r++) {
		for (int i = 0; i < TOKEN_BYTES; i++)
			text[i] = (uint8_t)alphabet[splitmix64(&seed) % (sizeof(alphabet) - 1)];
		sum = fold(sum, tokenize(text, TOKEN_BYTES));
	}
	return sum;
}
