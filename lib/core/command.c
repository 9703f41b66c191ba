// SPDX-License-Identifier: MIT
/*
 * The Command register (decoding, bus mastering) and function reset.
 */
#include <errno.h>

#include <linux/pci_regs.h>

#include "udrv_internal.h"

int udrv_update_command(struct udrv_device *dev, uint16_t set, uint16_t clear)
{
	uint16_t cmd;
	int ret = udrv_config_read16(dev, PCI_COMMAND, &cmd);

	if (ret)
		return ret;
	if ((cmd | set) == cmd && !(cmd & clear))
		return 0;
	return udrv_config_write16(dev, PCI_COMMAND, (cmd | set) & ~clear);
}

UDRV_EXPORT int udrv_set_bus_master(struct udrv_device *dev, int on)
{
	if (dev->ops->set_bus_master)
		return dev->ops->set_bus_master(dev, on);
	return on ? udrv_update_command(dev, PCI_COMMAND_MASTER, 0) :
		    udrv_update_command(dev, 0, PCI_COMMAND_MASTER);
}

UDRV_EXPORT int udrv_enable(struct udrv_device *dev)
{
	struct udrv_bar_info info;
	uint16_t set = 0;
	unsigned int bar;

	for (bar = 0; bar < UDRV_NUM_BARS; bar++) {
		if (udrv_bar_info(dev, bar, &info))
			continue;
		set |= info.flags & UDRV_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	}
	return udrv_update_command(dev, set, 0);
}

UDRV_EXPORT int udrv_reset(struct udrv_device *dev)
{
	return dev->ops->reset(dev);
}
