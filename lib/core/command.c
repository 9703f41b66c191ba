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

/*
 * The Command register and, while at it (one read), the BAR registers of
 * the header, whose kind bits do not change while the device is open
 * (udrv_bar_register()).
 */
void udrv_command_snapshot(struct udrv_device *dev)
{
	uint8_t hdr[PCI_CARDBUS_CIS];

	dev->have_cmd = false;
	dev->nbar_regs = 0;
	if (udrv_config_read(dev, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
		dev->have_cmd = !udrv_config_read16(dev, PCI_COMMAND, &dev->cmd_at_open);
		return;
	}
	dev->cmd_at_open = (uint16_t)(hdr[PCI_COMMAND] | hdr[PCI_COMMAND + 1] << 8);
	dev->have_cmd = true;
	/* A bridge (header type 1) has two BARs, a function six. */
	dev->nbar_regs = (hdr[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_NORMAL ? 6 :
			 (hdr[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_BRIDGE ? 2 : 0;
	memcpy(dev->bar_regs, &hdr[PCI_BASE_ADDRESS_0], sizeof(dev->bar_regs));
}

int udrv_bar_register(struct udrv_device *dev, unsigned int bar, uint32_t *reg)
{
	if (bar < dev->nbar_regs) {
		*reg = dev->bar_regs[bar];
		return 0;
	}
	return udrv_config_read32(dev, PCI_BASE_ADDRESS_0 + 4 * bar, reg);
}

/* Teardown: no message of its own survives (udrv_close() restores the caller's). */
void udrv_command_restore(struct udrv_device *dev)
{
	uint16_t cmd, want, val;

	if (!dev->have_cmd || udrv_config_read16(dev, PCI_COMMAND, &cmd))
		return;
	want = dev->cmd_at_open & RESTORED;
	if ((cmd & PCI_COMMAND_MASTER) != (want & PCI_COMMAND_MASTER)) {
		udrv_set_bus_master(dev, want & PCI_COMMAND_MASTER);
		if (udrv_config_read16(dev, PCI_COMMAND, &cmd))
			return;
	}
	/* The other restored bits as they were; one write, if any. */
	val = (uint16_t)((cmd & ~(RESTORED & ~PCI_COMMAND_MASTER)) | (want & ~PCI_COMMAND_MASTER));
	if (val != cmd)
		udrv_config_write16(dev, PCI_COMMAND, val);
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
