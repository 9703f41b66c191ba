// SPDX-License-Identifier: MIT
/*
 * The Command register (decoding, bus mastering: never turned on implicitly,
 * quiesced before it goes on, put back by udrv_close()) and function reset.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* The bits udrv_close() puts back as udrv_open() found them. */
#define RESTORED (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
		  PCI_COMMAND_INTX_DISABLE)

void udrv_command_snapshot(struct udrv_device *dev)
{
	dev->have_cmd = !udrv_config_read16(dev, PCI_COMMAND, &dev->cmd_at_open);
}

/* Teardown: no message of its own survives (udrv_close() restores the caller's). */
void udrv_command_restore(struct udrv_device *dev)
{
	uint16_t cmd, want;

	if (!dev->have_cmd || udrv_config_read16(dev, PCI_COMMAND, &cmd))
		return;
	want = dev->cmd_at_open & RESTORED;
	if ((cmd & PCI_COMMAND_MASTER) != (want & PCI_COMMAND_MASTER))
		udrv_set_bus_master(dev, want & PCI_COMMAND_MASTER);
	udrv_update_command(dev, want & ~PCI_COMMAND_MASTER,
			    RESTORED & ~PCI_COMMAND_MASTER & ~want);
}

UDRV_EXPORT int udrv_set_quiesce(struct udrv_device *dev,
				 int (*quiesce)(struct udrv_device *dev, void *arg), void *arg)
{
	if (dev->inherited)
		return udrv_inherited_err(dev);
	dev->quiesce = quiesce;
	dev->quiesce_arg = arg;
	return 0;
}

/* How long the previous owner's transactions may stay pending (the kernel's FLR waits as long). */
#define PENDING_MS 1000

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Before bus mastering goes on: the device must be quiet of whatever a
 * previous owner (or this one, before it turned mastering off) started.
 * Mastering is off here, so nothing the device still tries reaches memory.
 * PCIe: wait for Transactions Pending to clear; then the driver's own stop
 * (udrv_set_quiesce()), which knows the device's registers.
 */
static int quiesce(struct udrv_device *dev)
{
	long long deadline = now_ms() + PENDING_MS;
	struct udrv_err_saved saved;
	uint16_t sta;
	int pos, ret;

	udrv_err_save(&saved);
	pos = udrv_cap_find(dev, PCI_CAP_ID_EXP, 0);
	if (pos == -ENOENT)
		udrv_err_restore(&saved);	/* conventional PCI: nothing to wait for */
	else if (pos < 0)
		return pos;
	while (pos > 0) {
		ret = udrv_config_read16(dev, pos + PCI_EXP_DEVSTA, &sta);
		if (ret)
			return ret;
		if (!(sta & PCI_EXP_DEVSTA_TRPND))
			break;
		if (now_ms() > deadline)
			return udrv_err(ETIMEDOUT,
					"%s: bus mastering not turned on: transactions of a previous owner are still pending after %d ms (Device Status 0x%04x); reset the function (udrv_reset()) and try again",
					dev->name, PENDING_MS, sta);
		usleep(1000);
	}
	if (dev->quiesce) {
		static const struct udrv_err_saved none;

		udrv_err_save(&saved);
		udrv_err_restore(&none);	/* what the driver's function says, if anything */
		ret = dev->quiesce(dev, dev->quiesce_arg);
		if (!ret)
			udrv_err_restore(&saved);
		if (ret) {
			char why[sizeof(saved.msg)];

			udrv_err_save(&saved);
			snprintf(why, sizeof(why), "%s", saved.msg);
			return udrv_err(ret < 0 ? ret : -ret,
					"%s: bus mastering not turned on: the driver's quiesce function (udrv_set_quiesce()) failed: %s",
					dev->name, *why ? why : strerror(ret < 0 ? -ret : ret));
		}
	}
	return 0;
}

UDRV_EXPORT int udrv_set_bus_master(struct udrv_device *dev, int on)
{
	uint16_t cmd;
	int ret;

	if (dev->inherited)
		return udrv_inherited_err(dev);
	if (on) {
		ret = udrv_config_read16(dev, PCI_COMMAND, &cmd);
		if (ret)
			return ret;
		if (!(cmd & PCI_COMMAND_MASTER)) {
			ret = quiesce(dev);
			if (ret)
				return ret;
		}
	}
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
	if (dev->inherited)
		return udrv_inherited_err(dev);
	return dev->ops->reset(dev);
}
