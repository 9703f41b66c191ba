// SPDX-License-Identifier: MIT
/*
 * UIO backends: uio_pci_generic and udrv_stub.  Both export the device as
 * /dev/uioN; BARs are the UIO maps listed in /sys/class/uio/uioN/maps and
 * mapped with mmap(/dev/uioN, offset = map index * page size).  Config space
 * is the sysfs config file.
 *
 * uio_pci_generic only exports 32-bit non-prefetchable memory BARs; others
 * fall back to sysfs resourceN (root only).  udrv_stub exports every memory
 * BAR.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "udrv_internal.h"

#define UIO_MAX_MAPS 5

static int find_uio(struct udrv_device *dev, const char *driver)
{
	char path[PATH_MAX], bound[64] = "";
	struct dirent *de;
	DIR *dir;
	int ret;

	/* Both UIO drivers make a uioN directory: check it is the driver we speak to. */
	ret = udrv_sysfs_dev_path(dev, "driver", path, sizeof(path));
	if (ret)
		return ret;
	udrv_sysfs_link_name(path, bound, sizeof(bound));
	ret = udrv_sysfs_dev_path(dev, "uio", path, sizeof(path));
	if (ret)
		return ret;
	dir = strcmp(bound, driver) ? NULL : opendir(path);
	if (!dir)
		return udrv_err(ENODEV,
				"%s: not bound to %s (bound to %s); bind it first: echo %s > /sys/bus/pci/devices/%s/driver_override; echo %s > /sys/bus/pci/drivers_probe",
				dev->name, driver, *bound ? bound : "no driver", driver, dev->name,
				dev->name);
	while ((de = readdir(dir)))
		if (sscanf(de->d_name, "uio%d", &dev->uio_num) == 1)
			break;
	closedir(dir);
	if (dev->uio_num < 0)
		return udrv_err(ENODEV, "%s: %s has no uioN entry", dev->name, path);
	return 0;
}

static int uio_open_common(struct udrv_device *dev, const char *driver)
{
	char path[PATH_MAX];
	int ret;

	ret = find_uio(dev, driver);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/uio%d", udrv_dev_root(), dev->uio_num);
	dev->uio_fd = open(path, O_RDWR | O_CLOEXEC);
	if (dev->uio_fd < 0) {
		ret = errno;
		return udrv_err(ret, "%s: cannot open %s: %s%s", dev->name, path, strerror(ret),
				ret == EACCES ? " (run as root or give your user access to the node)" :
				ret == ENOENT ? " (no device node: is devtmpfs/udev running?)" : "");
	}
	ret = udrv_sysfs_config_open(dev);
	if (ret) {
		close(dev->uio_fd);
		dev->uio_fd = -1;
	}
	return ret;
}

static int uio_generic_open(struct udrv_device *dev)
{
	return uio_open_common(dev, "uio_pci_generic");
}

static int stub_open(struct udrv_device *dev)
{
	return uio_open_common(dev, "udrv_stub");
}

static void uio_close(struct udrv_device *dev)
{
	(void)dev; /* uio_fd and config_fd are closed by udrv_close() */
}

static int uio_bar_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info)
{
	int ret = udrv_sysfs_bar_info(dev, bar, info);

	if (!ret && (info->flags & UDRV_BAR_MEM))
		info->flags |= UDRV_BAR_MMAP;
	return ret;
}

/* Index of the UIO map that covers physical address @phys, with its span. */
static int uio_find_map(struct udrv_device *dev, uint64_t phys, uint64_t *map_start,
			uint64_t *map_len)
{
	long pg = sysconf(_SC_PAGESIZE);
	char path[PATH_MAX], attr[64];
	uint64_t addr, size;
	int i;

	for (i = 0; i < UIO_MAX_MAPS; i++) {
		snprintf(attr, sizeof(attr), "uio/uio%d/maps/map%d/addr", dev->uio_num, i);
		if (udrv_sysfs_dev_path(dev, attr, path, sizeof(path)) ||
		    udrv_sysfs_read_u64(path, &addr))
			break;
		snprintf(attr, sizeof(attr), "uio/uio%d/maps/map%d/size", dev->uio_num, i);
		if (udrv_sysfs_dev_path(dev, attr, path, sizeof(path)) ||
		    udrv_sysfs_read_u64(path, &size))
			break;
		/* UIO maps whole pages starting at the page of addr. */
		*map_start = addr & ~(uint64_t)(pg - 1);
		*map_len = ((addr - *map_start) + size + pg - 1) & ~(uint64_t)(pg - 1);
		if (phys >= *map_start && phys < *map_start + *map_len)
			return i;
	}
	return -ENOENT;
}

static int uio_bar_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct udrv_bar_info info;
	uint64_t start, len;
	void *base;
	int idx, ret;

	ret = udrv_sysfs_bar_info(dev, bar, &info);
	if (ret)
		return ret;
	idx = uio_find_map(dev, info.phys, &start, &len);
	if (idx < 0)
		/* Not exported by the UIO driver (64-bit/prefetchable under uio_pci_generic). */
		return udrv_sysfs_resource_map(dev, bar, map);
	if (info.phys + info.size > start + len)
		return udrv_err(EIO, "%s: UIO map %d is shorter than BAR %u", dev->name, idx, bar);
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dev->uio_fd, (off_t)idx * pg);
	if (base == MAP_FAILED)
		return udrv_err(errno, "%s: mmap of /dev/uio%d map %d (BAR %u) failed: %s",
				dev->name, dev->uio_num, idx, bar, strerror(errno));
	map->base = base;
	map->map_len = len;
	map->addr = (char *)base + (info.phys - start);
	map->size = info.size;
	return 0;
}

#define PCI_COMMAND            0x04
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_INTERRUPT_PIN      0x3d

static int intx_disable(struct udrv_device *dev, bool disable)
{
	uint16_t cmd;
	int ret = udrv_config_read16(dev, PCI_COMMAND, &cmd);

	if (ret)
		return ret;
	cmd = disable ? cmd | PCI_COMMAND_INTX_DISABLE : cmd & ~PCI_COMMAND_INTX_DISABLE;
	return udrv_config_write16(dev, PCI_COMMAND, cmd);
}

/* uio_pci_generic: INTx only; its handler masks with INTx-disable, we unmask. */
static int uio_irq_enable(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec)
{
	uint8_t pin;
	int ret;

	if (type != UDRV_IRQ_BEST && type != UDRV_IRQ_INTX)
		return udrv_err(ENOTSUP,
				"%s: uio_pci_generic delivers INTx only; bind the device to udrv_stub or vfio-pci for %s",
				dev->name, udrv_irq_type_name(type));
	if (nvec != 1)
		return udrv_err(EINVAL, "%s: INTx has one vector, %u asked for", dev->name, nvec);
	ret = udrv_config_read8(dev, PCI_INTERRUPT_PIN, &pin);
	if (ret)
		return ret;
	if (!pin)
		return udrv_err(ENOTSUP, "%s: has no INTx pin, and uio_pci_generic has no MSI",
				dev->name);
	ret = udrv_uio_irq_setup(dev);
	if (ret)
		return ret;
	dev->irq.type = UDRV_IRQ_INTX;
	return intx_disable(dev, false);
}

static void uio_irq_disable(struct udrv_device *dev)
{
	intx_disable(dev, true);
}

static int uio_irq_rearm(struct udrv_device *dev, unsigned int vec)
{
	(void)vec;
	return intx_disable(dev, false);
}

/* udrv_stub: the mode it chose at probe (MSI or INTx); irqcontrol unmasks. */
static int stub_irq_enable(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec)
{
	char path[PATH_MAX], mode[16];
	enum udrv_irq_type have;
	int ret;

	ret = udrv_sysfs_dev_path(dev, "udrv_stub/irq_mode", path, sizeof(path));
	if (!ret)
		ret = udrv_sysfs_read_str(path, mode, sizeof(mode));
	if (ret)
		return udrv_err(-ret, "%s: cannot read %s", dev->name, path);
	have = !strcmp(mode, "msi") ? UDRV_IRQ_MSI : !strcmp(mode, "intx") ? UDRV_IRQ_INTX : 0;
	if (!have)
		return udrv_err(ENOTSUP, "%s: udrv_stub found no usable interrupt (mode %s)",
				dev->name, mode);
	if (type != UDRV_IRQ_BEST && type != have)
		return udrv_err(ENOTSUP,
				"%s: udrv_stub runs this device in %s mode; for %s set /sys/module/udrv_stub/parameters/irq_mode and rebind",
				dev->name, mode, udrv_irq_type_name(type));
	if (nvec != 1)
		return udrv_err(EINVAL, "%s: udrv_stub delivers one vector, %u asked for", dev->name,
				nvec);
	ret = udrv_uio_irq_setup(dev);
	if (ret)
		return ret;
	dev->irq.type = have;
	return udrv_irq_rearm(dev, 0);
}

static int stub_irqcontrol(struct udrv_device *dev, int32_t on)
{
	if (write(dev->uio_fd, &on, sizeof(on)) != sizeof(on))
		return udrv_err(errno, "%s: irqcontrol write to /dev/uio%d: %s", dev->name,
				dev->uio_num, strerror(errno));
	return 0;
}

static void stub_irq_disable(struct udrv_device *dev)
{
	stub_irqcontrol(dev, 0);
}

static int stub_irq_rearm(struct udrv_device *dev, unsigned int vec)
{
	(void)vec;
	return stub_irqcontrol(dev, 1);
}

const struct udrv_backend_ops udrv_uio_ops = {
	.kind = UDRV_BACKEND_UIO,
	.name = "uio",
	.open = uio_generic_open,
	.close = uio_close,
	.bar_info = uio_bar_info,
	.bar_map = uio_bar_map,
	.config_read = udrv_sysfs_config_read,
	.config_write = udrv_sysfs_config_write,
	.bar_rw = udrv_sysfs_bar_rw,
	.reset = udrv_sysfs_reset,
	.irq_enable = uio_irq_enable,
	.irq_disable = uio_irq_disable,
	.irq_rearm = uio_irq_rearm,
	.dma_alloc = udrv_uio_dma_alloc,
	.dma_free = udrv_uio_dma_free,
};

const struct udrv_backend_ops udrv_stub_ops = {
	.kind = UDRV_BACKEND_STUB,
	.name = "stub",
	.open = stub_open,
	.close = uio_close,
	.bar_info = uio_bar_info,
	.bar_map = uio_bar_map,
	.config_read = udrv_sysfs_config_read,
	.config_write = udrv_sysfs_config_write,
	.bar_rw = udrv_sysfs_bar_rw,
	.reset = udrv_sysfs_reset,
	.irq_enable = stub_irq_enable,
	.irq_disable = stub_irq_disable,
	.irq_rearm = stub_irq_rearm,
	.dma_alloc = udrv_stub_dma_alloc,
	.dma_free = udrv_stub_dma_free,
	.dma_set_mask = udrv_stub_dma_set_mask,
};
