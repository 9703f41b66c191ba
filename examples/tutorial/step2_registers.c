// SPDX-License-Identifier: MIT
/*
 * udrv tutorial, step 2: map BAR0 and use the registers.
 *
 * Step 1, then: map edu's BAR0 into the process and talk to the device with
 * the inline accessors of <udrv/mmio.h> (one load or store each): read the
 * identity, check the liveness register, and let the device compute 12!
 * while we poll its status register.  docs/tutorial.md walks through it.
 *
 *   tutorial_step2 PCI-ADDRESS
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime() and nanosleep(), even with -std=c11 */
#include <stdio.h>
#include <time.h>

#include <udrv/udrv.h>

/* snippet: regs */
#define EDU_VENDOR         0x1234
#define EDU_DEVICE         0x11e8
#define EDU_REG_IDENT      0x00 /* 0xMMmm00ed: version MM.mm, magic 0xed */
/* snippet end */
/* snippet: regs-step2 */
#define EDU_REG_LIVENESS   0x04 /* reads back the inverse of the last value written */
#define EDU_REG_FACTORIAL  0x08 /* write N: the device computes N! (mod 2^32) here */
#define EDU_REG_STATUS     0x20
#define EDU_STATUS_BUSY    0x01 /* in EDU_REG_STATUS: computing */
/* snippet end */

/* snippet: fail */
/* Every libudrv call that fails returns a negative errno and says why. */
static int fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, udrv_last_error());
	return 1;
}
/* snippet end */

/* snippet: factorial-poll */
/* Start N! on the device and poll its status register until it is done. */
static int factorial_poll(void *bar0, uint32_t n, uint32_t *result)
{
	const struct timespec pause = { .tv_nsec = 100000 }; /* 100 us between reads */
	struct timespec start, now;
	long ms;

	udrv_write32(bar0, EDU_REG_FACTORIAL, n);
	clock_gettime(CLOCK_MONOTONIC, &start); /* time passed, not the sum of the pauses */
	while (udrv_read32(bar0, EDU_REG_STATUS) & EDU_STATUS_BUSY) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= 5000) {
			fprintf(stderr, "the device is still busy after 5 s\n");
			return 1;
		}
		nanosleep(&pause, NULL);
	}
	*result = udrv_read32(bar0, EDU_REG_FACTORIAL);
	return 0;
}
/* snippet end */

int main(int argc, char **argv)
{
	struct udrv_device *dev;
	uint16_t vendor, device;
	uint32_t ident, live, got, want = 1, n;
	void *bar0;
	size_t size;
	int ret = 1;

	/* snippet: usage */
	if (argc != 2) {
		fprintf(stderr, "usage: %s PCI-ADDRESS (lspci -D -d 1234:11e8 shows it)\n", argv[0]);
		return 2;
	}
	/* snippet end */

	/* snippet: open */
	if (udrv_open(argv[1], NULL, &dev))
		return fail("opening the device");
	printf("%s: opened through %s\n", udrv_device_name(dev),
	       udrv_backend_name(udrv_backend(dev)));
	/* snippet end */

	/* snippet: ids */
	if (udrv_config_read16(dev, 0x00, &vendor) || udrv_config_read16(dev, 0x02, &device)) {
		fail("reading config space");
		goto out;
	}
	if (vendor != EDU_VENDOR || device != EDU_DEVICE) {
		fprintf(stderr, "%04x:%04x is not edu (1234:11e8)\n", vendor, device);
		goto out;
	}
	/* snippet end */

	/* snippet: map */
	if (udrv_bar_map(dev, 0, &bar0, &size)) {
		fail("mapping BAR0");
		goto out;
	}
	printf("BAR0: %zu KiB mapped\n", size >> 10);
	/* snippet end */

	/* snippet: registers */
	ident = udrv_read32(bar0, EDU_REG_IDENT);
	udrv_write32(bar0, EDU_REG_LIVENESS, 0x12345678);
	live = udrv_read32(bar0, EDU_REG_LIVENESS);
	printf("ident 0x%08x, liveness: wrote 0x12345678, read 0x%08x\n", ident, live);
	if (live != ~0x12345678u) {
		fprintf(stderr, "the liveness register does not invert: not alive\n");
		goto out;
	}
	/* snippet end */

	/* snippet: factorial */
	for (n = 2; n <= 12; n++)
		want *= n; /* 12!, for comparison */
	if (factorial_poll(bar0, 12, &got))
		goto out;
	printf("12! = %u by polling: %s\n", got, got == want ? "ok" : "WRONG");
	ret = got == want ? 0 : 1;
	/* snippet end */

	/* snippet: close */
out:
	udrv_close(dev); /* unmaps, frees and closes everything the handle holds */
	return ret;
	/* snippet end */
}
