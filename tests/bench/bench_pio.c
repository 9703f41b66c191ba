// SPDX-License-Identifier: MIT
/*
 * I/O ports through libudrv against a raw inb/outw loop on the same ports
 * (issue #19, item 4): the <udrv/pio.h> accessors after udrv_bar_pio_base()
 * (target: at most 1.05 times raw) and the checked udrv_bar_read/
 * udrv_bar_write (no target), on QEMU's pci-testdev (1b36:0005), whose
 * BAR1 is 256 ports.  The raw loop gets its
 * permission the way libudrv does (ioperm below 0x400, else iopl).  Each
 * case is measured in rounds, alternating raw and libudrv, and the row's
 * ratio is the median of the per-round ratios (min and max in the note).
 * When the kernel refuses direct access, the rows say why and measure the
 * system call libudrv falls back to instead (no target).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/io.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <udrv/udrv.h>

#include "bench.h"

static const char usage[] =
	"usage: bench_pio [--json] [--quick] [--samples N] [--no-rawio] [ADDRESS]\n"
	"udrv_bar_read/udrv_bar_write on pci-testdev's I/O BAR against raw inb/outw\n"
	"(default ADDRESS: $UDRV_DEV_1b36_0005).  --samples: rounds (default 15).\n"
	"  --no-rawio  drop CAP_SYS_RAWIO first: libudrv falls back, and says why\n";

#define OPS 2000	/* port accesses per timed loop: each one exits to QEMU */

static __attribute__((noinline)) double raw_inb(unsigned short port, long n)
{
	uint64_t t0 = bench_now_ns();
	unsigned int acc = 0;

	for (long i = 0; i < n; i++)
		acc += inb(port);
	__asm__ __volatile__("" : : "r"(acc));
	return (double)(bench_now_ns() - t0) / (double)n;
}

static __attribute__((noinline)) double raw_outw(unsigned short port, long n)
{
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < n; i++)
		outw((unsigned short)i, port);
	return (double)(bench_now_ns() - t0) / (double)n;
}

static __attribute__((noinline)) double checked_inb(struct udrv_device *dev, unsigned int bar, long n)
{
	uint64_t t0 = bench_now_ns(), v, acc = 0;

	for (long i = 0; i < n; i++) {
		udrv_bar_read(dev, bar, 0, 1, &v);
		acc += v;
	}
	__asm__ __volatile__("" : : "r"(acc));
	return (double)(bench_now_ns() - t0) / (double)n;
}

static __attribute__((noinline)) double checked_outw(struct udrv_device *dev, unsigned int bar, long n)
{
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < n; i++)
		udrv_bar_write(dev, bar, 0, 2, (uint16_t)i);
	return (double)(bench_now_ns() - t0) / (double)n;
}

static __attribute__((noinline)) double lib_inb(uint16_t base, long n)
{
	uint64_t t0 = bench_now_ns();
	unsigned int acc = 0;

	for (long i = 0; i < n; i++)
		acc += udrv_inb(base, 0);
	__asm__ __volatile__("" : : "r"(acc));
	return (double)(bench_now_ns() - t0) / (double)n;
}

static __attribute__((noinline)) double lib_outw(uint16_t base, long n)
{
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < n; i++)
		udrv_outw(base, 0, (uint16_t)i);
	return (double)(bench_now_ns() - t0) / (double)n;
}

/* Drop CAP_SYS_RAWIO from this process's effective and permitted sets. */
static int drop_rawio(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[CAP_SYS_RAWIO / 32].effective &= ~(1u << (CAP_SYS_RAWIO % 32));
	d[CAP_SYS_RAWIO / 32].permitted &= ~(1u << (CAP_SYS_RAWIO % 32));
	return (int)syscall(SYS_capset, &h, d);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Rounds of raw then libudrv; the row: medians, the ratio the median of the ratios. */
/*
 * @inline_acc: the <udrv/pio.h> accessors (target 1.05), else the checked
 * udrv_bar_read/udrv_bar_write (no target: bounds, width and the thread's
 * permission are checked on every call).
 */
static void measure(struct bench_report *r, const char *name, struct udrv_device *dev,
		    unsigned int bar, unsigned short port, bool write, long rounds, bool direct,
		    bool inline_acc)
{
	double *ra = calloc(rounds, sizeof(double)), *rb = calloc(rounds, sizeof(double));
	double *ratio = calloc(rounds, sizeof(double));
	char note[160];
	long i;

	if (!ra || !rb || !ratio) {
		fprintf(stderr, "bench_pio: out of memory\n");
		exit(1);
	}
	for (i = 0; i < rounds; i++) {
		rb[i] = direct ? (write ? raw_outw(port, OPS) : raw_inb(port, OPS)) : 0;
		if (inline_acc)
			ra[i] = write ? lib_outw(port, OPS) : lib_inb(port, OPS);
		else
			ra[i] = write ? checked_outw(dev, bar, OPS) : checked_inb(dev, bar, OPS);
		ratio[i] = rb[i] > 0 ? ra[i] / rb[i] : 0;
	}
	qsort(ra, rounds, sizeof(double), cmp_double);
	qsort(rb, rounds, sizeof(double), cmp_double);
	qsort(ratio, rounds, sizeof(double), cmp_double);
	if (direct) {
		snprintf(note, sizeof(note), "%ld rounds of %d: ratio min %.3f max %.3f", rounds, OPS,
			 ratio[0], ratio[rounds - 1]);
		/* The row's ratio is a / b: b chosen so that it is the median ratio. */
		bench_add(r, name, "ns/op", ra[rounds / 2], ra[rounds / 2] / ratio[rounds / 2],
			  inline_acc ? BENCH_AT_MOST : BENCH_NONE, inline_acc ? 1.05 : 0, note);
	} else {
		snprintf(note, sizeof(note), "fallback: a system call per access (%ld rounds of %d)",
			 rounds, OPS);
		bench_add(r, name, "ns/op", ra[rounds / 2], 0, BENCH_NONE, 0, note);
	}
	free(ra);
	free(rb);
	free(ratio);
}

int main(int argc, char **argv)
{
	struct bench_opts o = { 0 };
	struct bench_report r;
	struct udrv_bar_info info;
	struct udrv_device *dev;
	const char *addr;
	char extra[600];
	unsigned int bar;
	long rounds;
	bool direct;
	int ret;

	argc = bench_parse(argc, argv, &o, usage);
	if (argc <= 0)
		return argc < 0 ? 2 : 0;
	if (argc > 1 && !strcmp(argv[1], "--no-rawio")) {
		if (drop_rawio()) {
			fprintf(stderr, "bench_pio: dropping CAP_SYS_RAWIO: %s\n", strerror(errno));
			return 1;
		}
		argv++;
		argc--;
	}
	addr = argc > 1 ? argv[1] : getenv("UDRV_DEV_1b36_0005");
	if (!addr) {
		fprintf(stderr, "bench_pio: no pci-testdev (run under udrv-vm with --qemu-arg=-device --qemu-arg=pci-testdev --bind 1b36:0005)\n");
		return 77;
	}
	if (udrv_open(addr, NULL, &dev)) {
		fprintf(stderr, "bench_pio: %s\n", udrv_last_error());
		return 1;
	}
	for (bar = 0; bar < UDRV_NUM_BARS; bar++)
		if (!udrv_bar_info(dev, bar, &info) && (info.flags & UDRV_BAR_IO))
			break;
	if (bar == UDRV_NUM_BARS) {
		fprintf(stderr, "bench_pio: %s has no I/O BAR\n", addr);
		udrv_close(dev);
		return 1;
	}
	rounds = o.samples ? o.samples : o.quick ? 3 : 15;
	ret = udrv_bar_pio_direct(dev, bar);
	direct = ret == 0;
	if (direct)
		snprintf(extra, sizeof(extra),
			 "%s via %s: BAR %u, ports 0x%llx-0x%llx, direct in/out (%s)", addr,
			 udrv_backend_name(udrv_backend(dev)), bar, (unsigned long long)info.phys,
			 (unsigned long long)(info.phys + info.size - 1),
			 info.phys + info.size <= 0x400 ? "ioperm" : "iopl");
	else
		snprintf(extra, sizeof(extra), "%s via %s: BAR %u: %s", addr,
			 udrv_backend_name(udrv_backend(dev)), bar, udrv_last_error());
	/* The raw loop's permission, as libudrv got it (it is per thread: this one). */
	if (direct && (info.phys + info.size <= 0x400 ? ioperm(info.phys, info.size, 1) : iopl(3))) {
		fprintf(stderr, "bench_pio: ioperm/iopl for the raw loop: %s\n", strerror(errno));
		udrv_close(dev);
		return 1;
	}
	bench_begin(&r, "pio", "udrv", "raw", o.json);
	if (direct) {
		uint16_t base;

		if (udrv_bar_pio_base(dev, bar, &base, NULL)) {
			fprintf(stderr, "bench_pio: %s\n", udrv_last_error());
			udrv_close(dev);
			return 1;
		}
		measure(&r, "udrv_inb", dev, bar, base, false, rounds, true, true);
		measure(&r, "udrv_outw", dev, bar, base, true, rounds, true, true);
	}
	measure(&r, "udrv_bar_read 1 byte", dev, bar, (unsigned short)info.phys, false, rounds,
		direct, false);
	measure(&r, "udrv_bar_write 2 bytes", dev, bar, (unsigned short)info.phys, true, rounds,
		direct, false);
	udrv_close(dev);
	return bench_end(&r, extra) ? 0 : 0;
}
