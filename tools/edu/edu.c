// SPDX-License-Identifier: MIT
/*
 * edu: a user-space driver for QEMU's edu PCI device, written against
 * libudrv.  It runs unchanged on whichever access path the device is bound
 * to (vfio-pci, udrv_stub, uio_pci_generic; sysfs as root for "info").
 *
 *   info          identity, liveness, status
 *   fact N        N! computed by the device, polled or (--irq) by interrupt
 *   irq           raise interrupts and count them
 *   dma           RAM -> device -> RAM round trips, every byte checked
 *   explain       every address of a DMA buffer and of BAR0 (explain.c)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <udrv/udrv.h>

#include "edu.h"
#include "edu_regs.h"
#include "explain.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: edu -s ADDR [-b BACKEND] COMMAND [ARGS]\n"
		"Drive QEMU's edu PCI device (1234:11e8) from user space through libudrv.\n"
		"\n"
		"Options:\n"
		"  -s, --slot ADDR     PCI address of the edu device ([[domain:]bus:]slot.func)\n"
		"  -b, --backend NAME  force the access path: vfio, uio, stub or sysfs\n"
		"                      (default: from the driver the device is bound to)\n"
		"  -h, --help          show this help\n"
		"\n"
		"Commands:\n"
		"  info                identity, liveness check, status and interrupt registers\n"
		"  fact N [--irq]      compute N! on the device; wait by polling the status\n"
		"                      register, or with --irq for its interrupt\n"
		"  irq [--count N]     raise N interrupts (default 10), wait for and count each\n"
		"  dma [--size N] [--offset N] [--count N]\n"
		"                      N round trips (default 1) of SIZE random bytes (1..%d,\n"
		"                      default %d) from OFFSET in a DMA buffer to the device\n"
		"                      and back, every byte checked\n"
		"  explain             print every address of a DMA buffer (user VA, maps line,\n"
		"                      PFNs, device address) and of BAR0 (VA, maps line, physical\n"
		"                      range in sysfs and /proc/iomem), check they agree and prove\n"
		"                      them with a DMA round trip (root, for pagemap)\n",
		EDU_DMA_MAX, EDU_DMA_MAX);
}

int edu_fail(const char *what)
{
	fprintf(stderr, "edu: %s: %s\n", what, udrv_last_error());
	return 1;
}

/* Sleep until the device's interrupt, then acknowledge @bits and re-arm. */
static int wait_irq(struct edu *e, uint32_t bits, int timeout_ms)
{
	uint64_t events;
	uint32_t status;
	int ret = udrv_irq_wait(e->dev, 0, timeout_ms, &events);

	if (ret) {
		if (ret == -ETIMEDOUT)
			fprintf(stderr, "edu: no interrupt within %d ms\n", timeout_ms);
		else
			edu_fail("waiting for the interrupt");
		return -1;
	}
	status = udrv_read32(e->bar0, EDU_REG_IRQ_STATUS);
	if (!(status & bits)) {
		fprintf(stderr, "edu: interrupt with status 0x%x, expected 0x%x\n", status, bits);
		return -1;
	}
	udrv_write32(e->bar0, EDU_REG_IRQ_ACK, status);
	return udrv_irq_rearm(e->dev, 0) ? edu_fail("re-arming the interrupt"), -1 : 0;
}

static int poll_clear(struct edu *e, unsigned int reg, uint32_t bit, int is64)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((is64 ? udrv_read64(e->bar0, reg) : udrv_read32(e->bar0, reg)) & bit) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 5) {
			fprintf(stderr, "edu: register 0x%x bit 0x%x still set after 5 s\n", reg, bit);
			return -1;
		}
		usleep(100);
	}
	return 0;
}

static int cmd_info(struct edu *e)
{
	uint32_t ident, probe = 0x12345678, live, status, irq;

	ident = udrv_read32(e->bar0, EDU_REG_IDENT);
	udrv_write32(e->bar0, EDU_REG_LIVENESS, probe);
	live = udrv_read32(e->bar0, EDU_REG_LIVENESS);
	status = udrv_read32(e->bar0, EDU_REG_STATUS);
	irq = udrv_read32(e->bar0, EDU_REG_IRQ_STATUS);

	printf("edu %s via %s", udrv_device_name(e->dev), udrv_backend_name(udrv_backend(e->dev)));
	/* VFIO: which way to the IOMMU (iommufd, type1, or none at all). */
	if (udrv_vfio_mode(e->dev))
		printf("/%s%s", udrv_vfio_mode_name(udrv_vfio_mode(e->dev)),
		       udrv_vfio_mode(e->dev) == UDRV_VFIO_NOIOMMU ?
		       " (NO IOMMU: no isolation, the device can reach all memory)" : "");
	printf("\n");
	printf("  ident       0x%08x  (%s, version %u.%u)\n", ident,
	       (ident & 0xff) == EDU_IDENT_MAGIC ? "edu" : "NOT edu", ident >> 24,
	       (ident >> 16) & 0xff);
	printf("  liveness    wrote 0x%08x, read 0x%08x: %s\n", probe, live,
	       live == (uint32_t)~probe ? "alive" : "NOT alive");
	printf("  status      0x%08x  (%s%s)\n", status,
	       status & EDU_STATUS_BUSY ? "busy" : "idle",
	       status & EDU_STATUS_IRQ_FACT ? ", IRQ on factorial" : "");
	printf("  irq status  0x%08x\n", irq);
	return (ident & 0xff) == EDU_IDENT_MAGIC && live == (uint32_t)~probe ? 0 : 1;
}

static int cmd_fact(struct edu *e, unsigned int n)
{
	uint32_t want = 1, got;
	unsigned int i;

	for (i = 2; i <= n; i++)
		want *= i; /* the device computes modulo 2^32 too */
	udrv_write32(e->bar0, EDU_REG_STATUS, e->use_irq ? EDU_STATUS_IRQ_FACT : 0);
	udrv_write32(e->bar0, EDU_REG_FACTORIAL, n);
	if (e->use_irq ? wait_irq(e, EDU_IRQ_FACT, 5000) :
			 poll_clear(e, EDU_REG_STATUS, EDU_STATUS_BUSY, 0))
		return 1;
	got = udrv_read32(e->bar0, EDU_REG_FACTORIAL);
	udrv_write32(e->bar0, EDU_REG_STATUS, 0);
	printf("%u! = %u (mod 2^32), by %s: %s\n", n, got, e->use_irq ? "interrupt" : "polling",
	       got == want ? "ok" : "WRONG");
	return got == want ? 0 : 1;
}

static int cmd_irq(struct edu *e, unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		udrv_write32(e->bar0, EDU_REG_IRQ_RAISE, 1u << (i % 32));
		if (wait_irq(e, 1u << (i % 32), 5000))
			return 1;
	}
	printf("%u interrupts raised, %u received\n", count, i);
	return 0;
}

int edu_dma_run(struct edu *e, uint64_t src, uint64_t dst, uint64_t len, uint32_t dir)
{
	udrv_write64(e->bar0, EDU_REG_DMA_SRC, src);
	udrv_write64(e->bar0, EDU_REG_DMA_DST, dst);
	udrv_write64(e->bar0, EDU_REG_DMA_COUNT, len);
	udrv_write64(e->bar0, EDU_REG_DMA_CMD, EDU_DMA_RUN | dir | (e->use_irq ? EDU_DMA_IRQ : 0));
	return e->use_irq ? wait_irq(e, EDU_IRQ_DMA, 5000) :
			    poll_clear(e, EDU_REG_DMA_CMD, EDU_DMA_RUN, 1);
}

int edu_dma_setup(struct edu *e, size_t size, struct udrv_dma **bufp)
{
	int ret = udrv_dma_set_mask(e->dev, EDU_DMA_BITS);

	if (!ret)
		ret = udrv_set_bus_master(e->dev, 1);
	if (!ret) {
		ret = udrv_dma_alloc(e->dev, size, bufp);
		if (ret)
			udrv_set_bus_master(e->dev, 0); /* no buffer, no DMA */
	}
	return ret;
}

/*
 * Stop the device's DMA, then free @buf: a transfer that timed out may
 * still be running, and must not write into memory that has gone back to
 * the system.
 */
int edu_dma_teardown(struct edu *e, struct udrv_dma *buf)
{
	int ret = udrv_set_bus_master(e->dev, 0);

	if (ret)
		edu_fail("clearing bus mastering");
	udrv_dma_free(e->dev, buf);
	return ret ? 1 : 0;
}

static int cmd_dma(struct edu *e, size_t size, size_t offset, unsigned int count)
{
	unsigned int seed = (unsigned int)time(NULL), r;
	struct udrv_dma *buf;
	unsigned char *p, *want;
	int ret = 1;
	size_t k;

	if (!size || size > EDU_DMA_MAX) {
		fprintf(stderr, "edu: --size %zu: the device buffer takes 1 to %d bytes\n", size,
			EDU_DMA_MAX);
		return 2;
	}
	if (edu_dma_setup(e, offset + size, &buf))
		return edu_fail("setting up DMA");
	want = malloc(size);
	if (!want) {
		edu_dma_teardown(e, buf);
		fprintf(stderr, "edu: dma: out of memory for %zu bytes\n", size);
		return 1;
	}
	p = (unsigned char *)buf->vaddr + offset;
	for (r = 0; r < count; r++) {
		for (k = 0; k < size; k++)
			want[k] = p[k] = rand_r(&seed);
		udrv_dma_sync_for_device(e->dev, buf);
		if (edu_dma_run(e, buf->iova + offset, EDU_BUF_ADDR, size, 0))
			goto out;
		memset(p, 0, size);
		if (edu_dma_run(e, EDU_BUF_ADDR, buf->iova + offset, size, EDU_DMA_TO_RAM))
			goto out;
		udrv_dma_sync_for_cpu(e->dev, buf);
		if (memcmp(p, want, size)) {
			fprintf(stderr, "edu: round trip %u: data differs\n", r);
			goto out;
		}
	}
	printf("%u DMA round trip(s) of %zu bytes at iova 0x%llx: ok\n", count, size,
	       (unsigned long long)(buf->iova + offset));
	ret = 0;
out:
	free(want);
	ret |= edu_dma_teardown(e, buf);
	return ret;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || end == s || *end || *v > max ? -1 : 0;
}

/*
 * edu cannot be reset or told to stop: a transfer it started completes when
 * its timer fires.  With bus mastering still off it completes into nothing;
 * wait for that (udrv_set_quiesce(), called by udrv_set_bus_master()).
 */
static int edu_quiesce(struct udrv_device *dev, void *bar0)
{
	return udrv_poll32(dev, bar0, EDU_REG_DMA_CMD, EDU_DMA_RUN, 0, 1000, 2000000, NULL);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "slot", required_argument, NULL, 's' },
		{ "backend", required_argument, NULL, 'b' },
		{ "irq", no_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 'z' },
		{ "offset", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct udrv_open_opts opts = { .backend = UDRV_BACKEND_AUTO };
	const struct udrv_access_path *path;
	unsigned long count = 0, size = EDU_DMA_MAX, offset = 0, n = 0;
	struct edu e = { 0 };
	const char *slot = NULL, *cmd, *bad = NULL;
	int c, ret;

	while ((c = getopt_long(argc, argv, "s:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			slot = optarg;
			break;
		case 'b':
			path = udrv_access_path_by_name(optarg);
			if (!path)
				bad = "--backend: vfio, uio, stub or sysfs (udrv-bind --paths)";
			else
				opts.backend = path->backend;
			break;
		case 'i':
			e.use_irq = 1;
			break;
		case 'c':
			if (parse_uint(optarg, 1000000, &count) || !count)
				bad = "--count: a number from 1 to 1000000";
			break;
		case 'z':
			if (parse_uint(optarg, EDU_DMA_MAX, &size) || !size)
				bad = "--size: 1 to 4095 bytes (the device buffer, less QEMU's last byte)";
			break;
		case 'o':
			if (parse_uint(optarg, 1 << 30, &offset))
				bad = "--offset: a byte offset up to 1 GiB";
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	cmd = optind < argc ? argv[optind] : NULL;
	if (!bad && !slot)
		bad = "-s ADDR is required (find it with lspci -D -d 1234:11e8)";
	if (!bad && !cmd)
		bad = "a command is required";
	if (!bad && !strcmp(cmd, "fact") &&
	    (optind + 2 != argc || parse_uint(argv[optind + 1], 0xffffffff, &n)))
		bad = "fact takes one number";
	if (!bad && strcmp(cmd, "fact") && optind + 1 != argc)
		bad = "too many arguments";
	if (!bad && strcmp(cmd, "info") && strcmp(cmd, "fact") && strcmp(cmd, "irq") &&
	    strcmp(cmd, "dma") && strcmp(cmd, "explain"))
		bad = "unknown command (info, fact, irq, dma or explain)";
	if (bad) {
		fprintf(stderr, "edu: %s\n", bad);
		usage(stderr);
		return 2;
	}

	if (udrv_open(slot, &opts, &e.dev))
		return edu_fail("opening the device");
	if (udrv_bar_map(e.dev, 0, &e.bar0, NULL)) {
		ret = edu_fail("mapping BAR0");
		goto out;
	}
	/* A previous owner's transfer runs out before bus mastering goes on. */
	udrv_set_quiesce(e.dev, edu_quiesce, e.bar0);
	if (e.use_irq || !strcmp(cmd, "irq")) {
		int kind = udrv_irq_enable(e.dev, UDRV_IRQ_BEST, 1);

		if (kind < 0) {
			ret = edu_fail("enabling interrupts");
			goto out;
		}
		/* An MSI is a memory write: sent only with bus mastering on. */
		if (kind != UDRV_IRQ_INTX && udrv_set_bus_master(e.dev, 1)) {
			ret = edu_fail("enabling bus mastering");
			goto out;
		}
	}
	if (!strcmp(cmd, "info"))
		ret = cmd_info(&e);
	else if (!strcmp(cmd, "fact"))
		ret = cmd_fact(&e, n);
	else if (!strcmp(cmd, "irq"))
		ret = cmd_irq(&e, count ? count : 10);
	else if (!strcmp(cmd, "dma"))
		ret = cmd_dma(&e, size, offset, count ? count : 1);
	else
		ret = edu_explain(&e);
out:
	udrv_close(e.dev);
	return ret;
}
