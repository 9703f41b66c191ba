// SPDX-License-Identifier: MIT
/*
 * udrv tutorial, step 3: interrupts.
 *
 * Step 2, then: enable the device's interrupt (MSI or INTx, whichever the
 * access path gives) and compute 1! to 12! again, this time sleeping until
 * the device interrupts instead of polling: wait, read why it interrupted,
 * acknowledge it in the device, re-arm.  docs/tutorial.md walks through it.
 *
 *   tutorial_step3 PCI-ADDRESS
 */
#include <stdio.h>

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
/* snippet: regs-step3 */
#define EDU_STATUS_IRQ     0x80 /* in EDU_REG_STATUS: interrupt when N! is done */
#define EDU_REG_IRQ_STATUS 0x24 /* why the device interrupts: one bit per cause */
#define EDU_REG_IRQ_ACK    0x64 /* write bits to clear them from EDU_REG_IRQ_STATUS */
#define EDU_IRQ_FACT       0x001 /* interrupt status bit: N! is done */
/* snippet end */

/* snippet: fail */
/* Every libudrv call that fails returns a negative errno and says why. */
static int fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, udrv_last_error());
	return 1;
}
/* snippet end */

/* snippet: wait-irq */
/* Sleep until the device interrupts; check it is for @cause, acknowledge, re-arm. */
static int wait_irq(struct udrv_device *dev, void *bar0, uint32_t cause)
{
	uint64_t events;
	uint32_t status;

	if (udrv_irq_wait(dev, 0, 5000, &events)) /* vector 0, at most 5 s */
		return fail("waiting for the interrupt");
	status = udrv_read32(bar0, EDU_REG_IRQ_STATUS);
	udrv_write32(bar0, EDU_REG_IRQ_ACK, status); /* the device stops interrupting */
	if (udrv_irq_rearm(dev, 0))                  /* let the next one through */
		return fail("re-arming the interrupt");
	if (!(status & cause)) {
		fprintf(stderr, "interrupt status 0x%x, expected 0x%x\n", status, cause);
		return 1;
	}
	return 0;
}
/* snippet end */

int main(int argc, char **argv)
{
	struct udrv_device *dev;
	uint16_t vendor, device;
	uint32_t got, want = 1, n;
	void *bar0;
	size_t size;
	int kind, ret = 1;

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

	/* snippet: irq-enable */
	kind = udrv_irq_enable(dev, UDRV_IRQ_BEST, 1); /* one vector */
	if (kind < 0) {
		fail("enabling interrupts");
		goto out;
	}
	printf("interrupts: %s\n", udrv_irq_type_name(kind));
	/* snippet end */

	/* An MSI is a memory write: the device sends it only with bus mastering on. */
	if (kind != UDRV_IRQ_INTX && udrv_set_bus_master(dev, 1)) {
		fail("enabling bus mastering");
		goto out;
	}

	/* snippet: factorial-irq */
	udrv_write32(bar0, EDU_REG_STATUS, EDU_STATUS_IRQ); /* interrupt when N! is done */
	for (n = 1; n <= 12; n++) {
		want *= n;
		udrv_write32(bar0, EDU_REG_FACTORIAL, n);
		if (wait_irq(dev, bar0, EDU_IRQ_FACT))
			goto out;
		got = udrv_read32(bar0, EDU_REG_FACTORIAL);
		if (got != want) {
			fprintf(stderr, "%u! = %u, expected %u\n", n, got, want);
			goto out;
		}
	}
	udrv_write32(bar0, EDU_REG_STATUS, 0);
	printf("1! to 12! by interrupt, each checked: 12! = %u\n", got);
	ret = 0;
	/* snippet end */

	/* snippet: close */
out:
	udrv_close(dev); /* unmaps, frees and closes everything the handle holds */
	return ret;
	/* snippet end */
}
