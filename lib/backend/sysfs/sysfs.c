// SPDX-License-Identifier: MIT
/*
 * sysfs backend: any PCI function, bound to any driver or none.  BARs are
 * mapped through /sys/bus/pci/devices/<addr>/resourceN and config space is
 * the "config" file.  Needs root (CAP_SYS_ADMIN) to map BARs and to see more
 * than the first 64 bytes of config space.  Meant for inspection: it gives
 * no interrupts and no DMA, and it does not own the device.
 */
#include <errno.h>

#include "udrv_internal.h"

static int sysfs_open(struct udrv_device *dev)
{
	return udrv_sysfs_config_open(dev);
}

static void sysfs_close(struct udrv_device *dev)
{
	(void)dev;
}

static int sysfs_bar_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info)
{
	int ret = udrv_sysfs_bar_info(dev, bar, info);

	if (!ret && (info->flags & UDRV_BAR_MEM))
		info->flags |= UDRV_BAR_MMAP;
	return ret;
}

const struct udrv_backend_ops udrv_sysfs_ops = {
	.kind = UDRV_BACKEND_SYSFS,
	.name = "sysfs",
	.open = sysfs_open,
	.close = sysfs_close,
	.bar_info = sysfs_bar_info,
	.bar_map = udrv_sysfs_resource_map,
	.config_read = udrv_sysfs_config_read,
	.config_write = udrv_sysfs_config_write,
	.bar_rw = udrv_sysfs_bar_rw,
	.reset = udrv_sysfs_reset,
};
