// SPDX-License-Identifier: MIT
/*
 * edu: a user-space driver for QEMU's edu PCI device, written against
 * libudrv.  It runs unchanged on whichever access path the device is bound
 * to (vfio-pci, uio_pci_generic, udrv_stub, or sysfs as root).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/udrv.h>

#include "edu_regs.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: edu -s ADDR [-b BACKEND] COMMAND\n"
		"Drive QEMU's edu PCI device (1234:11e8) from user space through libudrv.\n"
		"\n"
		"Options:\n"
		"  -s, --slot ADDR        PCI address of the edu device ([[domain:]bus:]slot.func)\n"
		"  -b, --backend NAME     force the access path: vfio, uio, stub or sysfs\n"
		"                         (default: from the driver the device is bound to)\n"
		"  -h, --help             show this help\n"
		"\n"
		"Commands:\n"
		"  info                   identity, liveness check, status and interrupt registers\n");
}

static int parse_backend(const char *name, enum udrv_backend *backend)
{
	static const enum udrv_backend all[] = { UDRV_BACKEND_VFIO, UDRV_BACKEND_UIO,
						 UDRV_BACKEND_STUB, UDRV_BACKEND_SYSFS };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(name, udrv_backend_name(all[i]))) {
			*backend = all[i];
			return 0;
		}
	}
	return -1;
}

static int cmd_info(struct udrv_device *dev, volatile void *bar0)
{
	uint32_t ident, probe = 0x12345678, live, status, irq;

	ident = udrv_read32(bar0, EDU_REG_IDENT);
	udrv_write32(bar0, EDU_REG_LIVENESS, probe);
	live = udrv_read32(bar0, EDU_REG_LIVENESS);
	status = udrv_read32(bar0, EDU_REG_STATUS);
	irq = udrv_read32(bar0, EDU_REG_IRQ_STATUS);

	printf("edu %s via %s\n", udrv_device_name(dev), udrv_backend_name(udrv_backend(dev)));
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "slot", required_argument, NULL, 's' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct udrv_open_opts opts = { .backend = UDRV_BACKEND_AUTO };
	const char *slot = NULL, *cmd;
	struct udrv_device *dev;
	void *bar0;
	size_t len;
	int c, ret;

	while ((c = getopt_long(argc, argv, "s:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			slot = optarg;
			break;
		case 'b':
			if (parse_backend(optarg, &opts.backend)) {
				fprintf(stderr, "edu: unknown backend '%s' (vfio, uio, stub or sysfs)\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!slot || optind != argc - 1) {
		fprintf(stderr, "edu: %s\n", !slot ? "-s ADDR is required (find it with lspci -D -d 1234:11e8)" :
			"exactly one command expected");
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "info")) {
		fprintf(stderr, "edu: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}

	ret = udrv_open(slot, &opts, &dev);
	if (ret) {
		fprintf(stderr, "edu: %s\n", udrv_last_error());
		return 1;
	}
	ret = udrv_bar_map(dev, 0, &bar0, &len);
	if (ret) {
		fprintf(stderr, "edu: %s\n", udrv_last_error());
		udrv_close(dev);
		return 1;
	}
	ret = cmd_info(dev, bar0);
	udrv_close(dev);
	return ret;
}
