// SPDX-License-Identifier: MIT
/*
 * MMIO accessors against raw volatile pointers on the same mapping: time
 * per access and, where the CPU counts them (perf_event_open), user-space
 * instructions per access.  Mappings: RAM (a libudrv DMA buffer when a
 * device is open, else an anonymous page) and, with UDRV_EDU set, BAR0 of
 * edu — 32-bit at 0x04 (liveness) and 64-bit at 0x80 (DMA source), the
 * widths edu accepts there.
 *
 * Each loop does 8 accesses per iteration and lives in its own function,
 * loop_udrv_<op><bits> / loop_raw_<op><bits>, so callgrind can count each
 * one and objdump can show it (tests/bench/mmio_callgrind.py does both on
 * the host with --ram-only).
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <udrv/udrv.h>

#include "bench.h"

static const char usage[] =
	"usage: bench_mmio [--json] [--quick] [--samples N] [--ram-only] [--iters N]\n"
	"libudrv's udrv_readN/udrv_writeN against raw volatile accesses: time and\n"
	"instructions per access, on RAM and (with UDRV_EDU set) on edu's BAR0.\n"
	"  --ram-only   only an anonymous RAM page (for callgrind on the host)\n"
	"  --iters N    accesses per timed loop on RAM, a multiple of 64; BAR0 loops do\n"
	"               N / 8 (default 80000, --quick 8000)\n";

#define LOOPS(bits)                                                                     \
	__attribute__((noinline)) uint64_t loop_udrv_read##bits(void *b, size_t off, long n) \
	{                                                                               \
		uint64_t acc = 0;                                                       \
		for (long i = 0; i < n; i += 8) {                                       \
			acc += udrv_read##bits(b, off);                                 \
			acc += udrv_read##bits(b, off);                                 \
			acc += udrv_read##bits(b, off);                                 \
			acc += udrv_read##bits(b, off);                                 \
			acc += udrv_read##bits(b, off);                                 \
			acc += udrv_read##bits(b, off);                                 \
			acc += udrv_read##bits(b, off);                                 \
			acc += udrv_read##bits(b, off);                                 \
		}                                                                       \
		return acc;                                                             \
	}                                                                               \
	__attribute__((noinline)) uint64_t loop_raw_read##bits(void *b, size_t off, long n) \
	{                                                                               \
		volatile uint##bits##_t *p = (volatile uint##bits##_t *)((char *)b + off); \
		uint64_t acc = 0;                                                       \
		for (long i = 0; i < n; i += 8) {                                       \
			acc += *p;                                                      \
			acc += *p;                                                      \
			acc += *p;                                                      \
			acc += *p;                                                      \
			acc += *p;                                                      \
			acc += *p;                                                      \
			acc += *p;                                                      \
			acc += *p;                                                      \
		}                                                                       \
		return acc;                                                             \
	}                                                                               \
	__attribute__((noinline)) uint64_t loop_udrv_write##bits(void *b, size_t off, long n) \
	{                                                                               \
		for (long i = 0; i < n; i += 8) {                                       \
			uint##bits##_t v = (uint##bits##_t)i;                           \
			udrv_write##bits(b, off, v);                                    \
			udrv_write##bits(b, off, v);                                    \
			udrv_write##bits(b, off, v);                                    \
			udrv_write##bits(b, off, v);                                    \
			udrv_write##bits(b, off, v);                                    \
			udrv_write##bits(b, off, v);                                    \
			udrv_write##bits(b, off, v);                                    \
			udrv_write##bits(b, off, v);                                    \
		}                                                                       \
		return 0;                                                               \
	}                                                                               \
	__attribute__((noinline)) uint64_t loop_raw_write##bits(void *b, size_t off, long n) \
	{                                                                               \
		volatile uint##bits##_t *p = (volatile uint##bits##_t *)((char *)b + off); \
		for (long i = 0; i < n; i += 8) {                                       \
			uint##bits##_t v = (uint##bits##_t)i;                           \
			*p = v;                                                         \
			*p = v;                                                         \
			*p = v;                                                         \
			*p = v;                                                         \
			*p = v;                                                         \
			*p = v;                                                         \
			*p = v;                                                         \
			*p = v;                                                         \
		}                                                                       \
		return 0;                                                               \
	}

/* Not static: callgrind and objdump find them by name. */
uint64_t loop_udrv_read8(void *b, size_t off, long n);
uint64_t loop_raw_read8(void *b, size_t off, long n);
uint64_t loop_udrv_write8(void *b, size_t off, long n);
uint64_t loop_raw_write8(void *b, size_t off, long n);
uint64_t loop_udrv_read16(void *b, size_t off, long n);
uint64_t loop_raw_read16(void *b, size_t off, long n);
uint64_t loop_udrv_write16(void *b, size_t off, long n);
uint64_t loop_raw_write16(void *b, size_t off, long n);
uint64_t loop_udrv_read32(void *b, size_t off, long n);
uint64_t loop_raw_read32(void *b, size_t off, long n);
uint64_t loop_udrv_write32(void *b, size_t off, long n);
uint64_t loop_raw_write32(void *b, size_t off, long n);
uint64_t loop_udrv_read64(void *b, size_t off, long n);
uint64_t loop_raw_read64(void *b, size_t off, long n);
uint64_t loop_udrv_write64(void *b, size_t off, long n);
uint64_t loop_raw_write64(void *b, size_t off, long n);
LOOPS(8)
LOOPS(16)
LOOPS(32)
LOOPS(64)

typedef uint64_t (*loop_fn)(void *, size_t, long);

struct accessor {
	const char *name;
	unsigned int bits;
	loop_fn udrv, raw;
};

#define ACC(op, bits) { #op #bits, bits, loop_udrv_##op##bits, loop_raw_##op##bits }
static const struct accessor accessors[] = {
	ACC(read, 8), ACC(read, 16), ACC(read, 32), ACC(read, 64),
	ACC(write, 8), ACC(write, 16), ACC(write, 32), ACC(write, 64),
};

/* A user-space instruction counter, or -1 where the CPU (or TCG) has none. */
static int counter_open(void)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_HARDWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_HW_INSTRUCTIONS,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

/* Instructions of one call of @fn (-1 without a counter). */
static double count_instr(int pfd, loop_fn fn, void *b, size_t off, long n)
{
	uint64_t count;

	if (pfd < 0)
		return -1;
	ioctl(pfd, PERF_EVENT_IOC_RESET, 0);
	ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0);
	fn(b, off, n);
	ioctl(pfd, PERF_EVENT_IOC_DISABLE, 0);
	if (read(pfd, &count, sizeof(count)) != sizeof(count))
		return -1;
	return (double)count;
}

/* Median ns per access over @rounds, udrv and raw alternating. */
static void time_pair(const struct accessor *a, void *b, size_t off, long n, long rounds,
		      double *udrv, double *raw)
{
	double *tu = calloc((size_t)rounds, sizeof(double));
	double *tr = calloc((size_t)rounds, sizeof(double));
	struct bench_stats s;

	*udrv = *raw = 0;
	if (!tu || !tr)
		goto out;
	for (long r = 0; r < rounds; r++) {
		uint64_t t0 = bench_now_ns();

		a->udrv(b, off, n);
		tu[r] = (double)(bench_now_ns() - t0) / (double)n;
		t0 = bench_now_ns();
		a->raw(b, off, n);
		tr[r] = (double)(bench_now_ns() - t0) / (double)n;
	}
	bench_stats(tu, (size_t)rounds, &s);
	*udrv = s.median;
	bench_stats(tr, (size_t)rounds, &s);
	*raw = s.median;
out:
	free(tu);
	free(tr);
}

static int measure(struct bench_report *r, const char *where, void *b, size_t off,
		   const struct accessor *a, long n, long rounds, int pfd)
{
	char name[64];
	double tu, tr, iu, ir;
	int ret;

	/* Warm up (page tables, TCG's translation cache), then count and time. */
	a->udrv(b, off, 64);
	a->raw(b, off, 64);
	iu = count_instr(pfd, a->udrv, b, off, n);
	ir = count_instr(pfd, a->raw, b, off, n);
	time_pair(a, b, off, n, rounds, &tu, &tr);
	snprintf(name, sizeof(name), "%s %s", a->name, where);
	ret = bench_add(r, name, "ns/access", tu, tr, BENCH_NONE, 0, NULL);
	if (!ret && iu >= 0 && ir >= 0) {
		snprintf(name, sizeof(name), "%s %s instr", a->name, where);
		ret = bench_add(r, name, "instr/acc", iu / (double)n, ir / (double)n,
				BENCH_AT_MOST, 1.0, "perf_event_open, user space only");
	}
	return ret;
}

int main(int argc, char **argv)
{
	const char *addr = getenv("UDRV_EDU");
	struct udrv_device *dev = NULL;
	struct udrv_dma *dma = NULL;
	struct bench_report r;
	struct bench_opts o;
	bool ram_only = false;
	void *ram = MAP_FAILED, *bar = NULL;
	const char *ram_kind = "anonymous page";
	char extra[256];
	long iters = 0, rounds;
	int pfd, ret = 0;
	size_t i, size;

	argc = bench_parse(argc, argv, &o, usage);
	if (argc <= 0)
		return argc ? 2 : 0;
	for (int k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--ram-only")) {
			ram_only = true;
		} else if (!strcmp(argv[k], "--iters") && k + 1 < argc) {
			iters = strtol(argv[++k], NULL, 10);
			/* BAR0 loops run iters / 8 accesses, 8 per iteration. */
			if (iters < 64 || iters % 64) {
				fprintf(stderr, "bench_mmio: --iters %s: give a multiple of 64\n", argv[k]);
				return 2;
			}
		} else {
			fprintf(stderr, "bench_mmio: unknown argument '%s'\n%s", argv[k], usage);
			return 2;
		}
	}
	if (!iters)
		iters = o.quick ? 8000 : 80000;
	rounds = o.samples ? o.samples : o.quick ? 5 : 31;

	if (addr && !ram_only) {
		ret = udrv_open(addr, NULL, &dev);
		if (!ret)
			ret = udrv_bar_map(dev, 0, &bar, &size);
		if (ret) {
			fprintf(stderr, "bench_mmio: %s\n", udrv_last_error());
			udrv_close(dev);
			return 1;
		}
		if (!udrv_dma_alloc(dev, 4096, &dma)) {
			ram = dma->vaddr;
			ram_kind = "DMA buffer";
		}
	}
	if (ram == MAP_FAILED) {
		ram = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ram == MAP_FAILED) {
			perror("bench_mmio: mmap");
			udrv_close(dev);
			return 1;
		}
	}
	/* Under callgrind (--ram-only) each loop must run only for the timing. */
	pfd = ram_only ? -1 : counter_open();
	bench_begin(&r, "mmio accessors", "udrv", "raw", o.json);
	for (i = 0; i < sizeof(accessors) / sizeof(accessors[0]) && !ret; i++)
		ret = measure(&r, "RAM", ram, 64, &accessors[i], iters, rounds, pfd);
	/* edu: 4-byte accesses below 0x80 (liveness), 64-bit at 0x80 (DMA source). */
	for (i = 0; bar && i < sizeof(accessors) / sizeof(accessors[0]) && !ret; i++)
		if (accessors[i].bits == 32 || accessors[i].bits == 64)
			ret = measure(&r, "BAR0", bar, accessors[i].bits == 32 ? 0x04 : 0x80,
				      &accessors[i], iters / 8, rounds, pfd);
	snprintf(extra, sizeof(extra),
		 "RAM: %s; %ld accesses per loop on RAM%s, median of %ld rounds; "
		 "instructions: %s", ram_kind, iters, bar ? ", an eighth of that on BAR0" : "", rounds,
		 pfd >= 0 ? "perf_event_open" :
			    "no hardware counter here (run tests/bench/mmio_callgrind.py on the host)");
	if (pfd >= 0)
		close(pfd);
	if (dma)
		udrv_dma_free(dev, dma);
	else
		munmap(ram, 4096);
	udrv_close(dev);
	if (ret) {
		fprintf(stderr, "bench_mmio: %s\n", strerror(-ret));
		bench_end(&r, NULL);
		return 1;
	}
	/* Targets are reported (ok/MISSED), not an exit status. */
	bench_end(&r, extra);
	return 0;
}
