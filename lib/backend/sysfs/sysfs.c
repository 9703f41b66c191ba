// SPDX-License-Identifier: MIT
/*
 * sysfs backend: any PCI function, bound to any driver or none.  BARs are
 * mapped through /sys/bus/pci/devices/<addr>/resourceN and config space is
 * the "config" file (files.c).  Needs root (CAP_SYS_ADMIN) to map BARs and
 * to see more than the first 64 bytes of config space.  Meant for
 * inspection: it gives no interrupts and no DMA, and it does not own the
 * device.
 */
#include <errno.h>
#include <stdlib.h>

#include "files.h"

static int sysfs_open(struct udrv_device *dev)
{
	struct udrv_sysfs_files *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	ret = udrv_sysfs_files_open(dev, f);
	if (ret) {
		free(f);
		return ret;
	}
	dev->priv = f;
	return 0;
}

static void sysfs_close(struct udrv_device *dev)
{
	udrv_sysfs_files_close(dev->priv);
	free(dev->priv);
}

/* A forked child's copy of the parent's handle: close the child's copies of the fds. */
static void sysfs_forget(struct udrv_device *dev)
{
	sysfs_close(dev);
}

const struct udrv_backend_ops udrv_sysfs_ops = {
	.path = {
		.backend = UDRV_BACKEND_SYSFS,
		.name = "sysfs",
		.summary = "resourceN and config files of any function, bound or not; root only; no interrupts, no DMA",
	},
	.open = sysfs_open,
	.close = sysfs_close,
	.bar_info = udrv_sysfs_mappable_bar_info,
	.bar_map = udrv_sysfs_resource_map,
	.config_read = udrv_sysfs_config_read,
	.config_write = udrv_sysfs_config_write,
	.bar_rw = udrv_sysfs_bar_rw,
	.reset = udrv_sysfs_reset,
	.forget = sysfs_forget,
};
