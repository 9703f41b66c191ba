// SPDX-License-Identifier: MIT
/*
 * udrv tutorial, step 1: open the device and read its identity.
 *
 * Opens QEMU's edu PCI device through whichever kernel driver it is bound
 * to, checks its vendor and device IDs in config space, and reads its
 * identification register with the checked accessor udrv_bar_read().
 * docs/tutorial.md walks through it.
 *
 *   tutorial_step1 PCI-ADDRESS          e.g. tutorial_step1 0000:00:02.0
 */
#include <inttypes.h>
#include <stdio.h>

#include <udrv/udrv.h>

/* snippet: regs */
#define EDU_VENDOR         0x1234
#define EDU_DEVICE         0x11e8
#define EDU_REG_IDENT      0x00 /* 0xMMmm00ed: version MM.mm, magic 0xed */
/* snippet end */

/* snippet: fail */
/* Every libudrv call that fails returns a negative errno and says why. */
static int fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, udrv_last_error());
	return 1;
}
/* snippet end */

int main(int argc, char **argv)
{
	struct udrv_device *dev;
	uint16_t vendor, device;
	uint64_t ident;
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

	/* snippet: ident */
	if (udrv_bar_read(dev, 0, EDU_REG_IDENT, 4, &ident)) {
		fail("reading BAR0");
		goto out;
	}
	printf("ident 0x%08" PRIx64 ": edu version %u.%u\n", ident, (unsigned int)(ident >> 24),
	       (unsigned int)(ident >> 16) & 0xff);
	ret = 0;
	/* snippet end */

	/* snippet: close */
out:
	udrv_close(dev); /* unmaps, frees and closes everything the handle holds */
	return ret;
	/* snippet end */
}
