// SPDX-License-Identifier: MIT
/*
 * Interrupt wake latency on edu: write "raise" (0x60), time until the
 * process is running again with the event in hand.  Per interrupt kind the
 * access path offers (uio: INTx; stub: MSI and INTx, switched with the
 * module's irq_mode parameter and a rebind; vfio: MSI and INTx), samples
 * take turns between udrv_irq_wait() and a raw blocking read() on the same
 * fd (/dev/uioN on uio_pci_generic, the eventfd on VFIO and udrv_stub),
 * so drift hits both alike, and a third
 * way, spinning on the irq status register: the floor.  The interrupt is
 * still delivered then and its handler runs (one vCPU: in the middle of the
 * spin), but nobody sleeps and wakes.  Each triple runs in a random order,
 * so no way always follows the same one.  Acknowledging and re-arming
 * happen outside the timed window and are the same for all; the cost of
 * reading the clock is measured and taken out.
 *
 * Runs in the udrv-vm guest: UDRV_EDU names the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <udrv/udrv.h>

#include "bench.h"
#include "edu_regs.h"

static const char usage[] =
	"usage: bench_irq [--json] [--quick] [--samples N]\n"
	"Interrupt wake latency on edu (UDRV_EDU), libudrv's wait against a raw\n"
	"read() of the same fd, per interrupt kind of the path edu is bound to.\n";

struct ctx {
	struct udrv_device *dev;
	void *bar;
	int fd;
	bool uio; /* 4-byte UIO counts instead of 8-byte eventfd counts */
};

/* Clear edu's interrupt, then let the next one through. */
static int ack_rearm(struct ctx *c)
{
	uint32_t st = udrv_read32(c->bar, EDU_REG_IRQ_STATUS);

	if (st)
		udrv_write32(c->bar, EDU_REG_IRQ_ACK, st);
	return udrv_irq_rearm(c->dev, 0);
}

static int set_blocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl & ~O_NONBLOCK : fl | O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

enum way { WAY_UDRV, WAY_RAW, WAY_SPIN };

/* One timed raise → wake.  Returns nanoseconds, or a negative errno. */
static double sample(struct ctx *c, enum way way)
{
	uint64_t t0, t1, n64;
	uint32_t n32;
	ssize_t n;
	int ret = 0;

	t0 = bench_now_ns();
	udrv_write32(c->bar, EDU_REG_IRQ_RAISE, 1);
	switch (way) {
	case WAY_UDRV:
		/* Without a timeout, like the raw read (udrv-vm's timeout guards a hang). */
		ret = udrv_irq_wait(c->dev, 0, -1, &n64);
		break;
	case WAY_RAW:
		n = c->uio ? read(c->fd, &n32, 4) : read(c->fd, &n64, 8);
		ret = n > 0 ? 0 : -EIO;
		break;
	case WAY_SPIN:
		while (!udrv_read32(c->bar, EDU_REG_IRQ_STATUS))
			;
		break;
	}
	t1 = bench_now_ns();
	if (ret)
		return ret;
	if (way == WAY_SPIN) {
		/* The interrupt was delivered too: consume it before the next sample. */
		ret = udrv_irq_wait(c->dev, 0, 2000, &n64);
		if (ret)
			return ret;
	}
	ret = ack_rearm(c);
	return ret ? ret : (double)(t1 - t0);
}

/* Put the three ways in a random order (Fisher-Yates, xorshift64). */
static void shuffle(enum way *w, uint64_t *x)
{
	for (int i = 2; i > 0; i--) {
		int j;
		enum way t;

		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		j = (int)(*x % (uint64_t)(i + 1));
		t = w[i];
		w[i] = w[j];
		w[j] = t;
	}
}

/* Measure one interrupt kind: @n samples each way, interleaved. */
static int run_kind(struct ctx *c, const char *kind, long n, struct bench_report *r)
{
	double *v[3];
	struct bench_stats st[3];
	char name[64], note[160];
	int was_nonblocking, ret = 0;
	uint64_t rng = 0x2545f4914f6cdd1dULL;
	enum way order[3] = { WAY_UDRV, WAY_RAW, WAY_SPIN };
	double clk = bench_clock_cost();
	long i;

	for (i = 0; i < 3; i++)
		v[i] = calloc((size_t)n, sizeof(double));
	if (!v[0] || !v[1] || !v[2]) {
		ret = -ENOMEM;
		goto out;
	}
	c->fd = udrv_irq_fd(c->dev, 0);
	was_nonblocking = fcntl(c->fd, F_GETFL) & O_NONBLOCK;
	for (i = 0; i < 3 * n && !ret; i++) {
		enum way w;
		double t;

		if (i % 3 == 0)
			shuffle(order, &rng);
		w = order[i % 3];
		/* The raw read blocks; libudrv keeps its own fd flags. */
		if (w == WAY_RAW && was_nonblocking)
			ret = set_blocking(c->fd, true);
		t = ret ? ret : sample(c, w);
		if (w == WAY_RAW && was_nonblocking && !ret)
			ret = set_blocking(c->fd, false);
		if (t < 0 && !ret)
			ret = (int)t;
		v[w][i / 3] = t - clk;
	}
	if (ret) {
		fprintf(stderr, "bench_irq: %s: %s\n", kind,
			udrv_last_error()[0] ? udrv_last_error() : strerror(-ret));
		goto out;
	}
	for (i = 0; i < 3; i++)
		bench_stats(v[i], (size_t)n, &st[i]);
	snprintf(note, sizeof(note), "raw p99 %.1f us, udrv p99 %.1f us, floor (spin) %.1f us",
		 st[WAY_RAW].p99 / 1e3, st[WAY_UDRV].p99 / 1e3, st[WAY_SPIN].median / 1e3);
	snprintf(name, sizeof(name), "%s %s median", udrv_backend_name(udrv_backend(c->dev)), kind);
	ret = bench_add(r, name, "us", st[WAY_UDRV].median / 1e3, st[WAY_RAW].median / 1e3,
			BENCH_AT_MOST, 1.05, note);
	snprintf(name, sizeof(name), "%s %s p99", udrv_backend_name(udrv_backend(c->dev)), kind);
	if (!ret)
		ret = bench_add(r, name, "us", st[WAY_UDRV].p99 / 1e3, st[WAY_RAW].p99 / 1e3,
				BENCH_NONE, 0, NULL);
	snprintf(name, sizeof(name), "%s %s spin floor", udrv_backend_name(udrv_backend(c->dev)),
		 kind);
	if (!ret)
		ret = bench_add(r, name, "us", st[WAY_SPIN].median / 1e3, st[WAY_RAW].median / 1e3,
				BENCH_NONE, 0, "status register polled, against the raw read");
out:
	for (i = 0; i < 3; i++)
		free(v[i]);
	return ret;
}

/* Open edu, enable @type, measure, close.  -ENOTSUP if the path lacks it. */
static int measure(const char *addr, enum udrv_irq_type type, long n, struct bench_report *r)
{
	struct ctx c = { 0 };
	size_t size;
	int ret, kind = 0;

	ret = udrv_open(addr, NULL, &c.dev);
	if (!ret)
		ret = udrv_bar_map(c.dev, 0, &c.bar, &size);
	/* An MSI is a memory write: nothing but this turns bus mastering on. */
	if (!ret)
		ret = udrv_set_bus_master(c.dev, 1);
	if (!ret)
		ret = kind = udrv_irq_enable(c.dev, type, 1);
	if (ret >= 0) {
		/* uio_pci_generic: /dev/uioN; VFIO and udrv_stub: an eventfd. */
		c.uio = udrv_backend(c.dev) == UDRV_BACKEND_UIO;
		ret = ack_rearm(&c);
	}
	if (!ret)
		ret = run_kind(&c, udrv_irq_type_name((enum udrv_irq_type)kind), n, r);
	else if (ret != -ENOTSUP || type != UDRV_IRQ_MSI)
		fprintf(stderr, "bench_irq: %s: %s\n", addr, udrv_last_error());
	udrv_close(c.dev);
	return ret;
}

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (ret)
		fprintf(stderr, "bench_irq: writing %s to %s: %s\n", val, path, strerror(-ret));
	return ret;
}

/* udrv_stub delivers the one kind its irq_mode parameter chose at probe. */
static int stub_mode(const char *addr, const char *mode)
{
	char path[256];
	int ret = put("/sys/module/udrv_stub/parameters/irq_mode", mode);

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/udrv_stub/unbind");
	if (!ret)
		ret = put(path, addr);
	if (!ret)
		ret = put("/sys/bus/pci/drivers_probe", addr);
	return ret;
}

int main(int argc, char **argv)
{
	const char *addr = getenv("UDRV_EDU");
	struct bench_report r;
	struct bench_opts o;
	char extra[128];
	long n;
	int ret = 0;

	argc = bench_parse(argc, argv, &o, usage);
	if (argc <= 0)
		return argc ? 2 : 0;
	if (argc > 1) {
		fprintf(stderr, "bench_irq: unexpected argument '%s'\n%s", argv[1], usage);
		return 2;
	}
	if (!addr) {
		fprintf(stderr, "bench_irq: UDRV_EDU is not set: run it in udrv-vm, or set it to "
				"edu's PCI address\n");
		return 2;
	}
	n = o.samples ? o.samples : o.quick ? 200 : 10000;
	bench_begin(&r, "irq wake latency", "udrv", "raw", o.json);
	if (!access("/sys/module/udrv_stub", F_OK) &&
	    !access("/sys/bus/pci/drivers/udrv_stub", F_OK)) {
		ret = stub_mode(addr, "msi");
		if (!ret)
			ret = measure(addr, UDRV_IRQ_BEST, n, &r);
		if (!ret)
			ret = stub_mode(addr, "intx");
		if (!ret)
			ret = measure(addr, UDRV_IRQ_BEST, n, &r);
	} else {
		ret = measure(addr, UDRV_IRQ_MSI, n, &r);
		if (ret == -ENOTSUP)
			ret = 0; /* uio_pci_generic: INTx only */
		if (!ret)
			ret = measure(addr, UDRV_IRQ_INTX, n, &r);
	}
	if (ret) {
		bench_end(&r, NULL);
		return 1;
	}
	snprintf(extra, sizeof(extra), "%ld samples per way, in shuffled triples, clock read taken "
		 "out; target: udrv/raw <= 1.05 at the median", n);
	/* Targets are reported (ok/MISSED), not an exit status. */
	bench_end(&r, extra);
	return 0;
}
