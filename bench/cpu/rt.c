/*
 * Bare-metal runtime for the strata CPU benchmarks: NS16550A UART output at
 * 0x10000000, memset/memcpy (gcc may emit calls to them even freestanding),
 * and main(), which runs the kernel and prints its checksum.
 */
#include "bench.h"

#define UART_BASE 0x10000000UL
#define UART_THR 0
#define UART_LSR 5
#define UART_LSR_THRE 0x20

static void uart_putc(char c)
{
	volatile uint8_t *uart = (volatile uint8_t *)UART_BASE;
	while ((uart[UART_LSR] & UART_LSR_THRE) == 0)
		;
	uart[UART_THR] = (uint8_t)c;
}

static void put_str(const char *s)
{
	while (*s)
		uart_putc(*s++);
}

static void put_hex(uint64_t v)
{
	put_str("0x");
	for (int i = 60; i >= 0; i -= 4)
		uart_putc("0123456789abcdef"[(v >> i) & 15]);
}

static void put_dec(uint64_t v)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		uart_putc(buf[--n]);
}

void *memset(void *dst, int c, bench_size_t n)
{
	uint8_t *d = dst;
	uint64_t w = (uint8_t)c;
	w |= w << 8;
	w |= w << 16;
	w |= w << 32;
	while (n && ((uintptr_t)d & 7)) {
		*d++ = (uint8_t)c;
		n--;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(volatile uint64_t *)d = w;
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

void *memcpy(void *dst, const void *src, bench_size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(volatile uint64_t *)d = *(const uint64_t *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

void trap_report(uint64_t mcause, uint64_t mepc, uint64_t mtval)
{
	put_str("\nbench: unexpected trap mcause=");
	put_hex(mcause);
	put_str(" mepc=");
	put_hex(mepc);
	put_str(" mtval=");
	put_hex(mtval);
	put_str("\n");
}

void report_instret(uint64_t n)
{
	put_str("instret=");
	put_dec(n);
	put_str("\n");
}

int main(void)
{
	put_str("bench=");
	put_str(bench_name);
	put_str("\n");
	uint64_t sum = bench_run();
	put_str("checksum=");
	put_hex(sum);
	put_str("\n");
	return 0;
}
