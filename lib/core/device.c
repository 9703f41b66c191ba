// SPDX-License-Identifier: MIT
/*
 * Device handles: open by PCI address, choose the backend from the bound
 * driver, and dispatch BAR and config-space calls to the backend's ops.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "udrv_internal.h"

static const struct {
	const char *driver;
	const struct udrv_backend_ops *ops;
} driver_backends[] = {
	{ "vfio-pci", &udrv_vfio_ops },
	{ "uio_pci_generic", &udrv_uio_ops },
	{ "udrv_stub", &udrv_stub_ops },
};

const struct udrv_backend_ops *udrv_backend_for_driver(const char *driver)
{
	size_t i;

	for (i = 0; driver && i < sizeof(driver_backends) / sizeof(driver_backends[0]); i++)
		if (!strcmp(driver, driver_backends[i].driver))
			return driver_backends[i].ops;
	return &udrv_sysfs_ops;
}

const struct udrv_backend_ops *udrv_backend_ops(enum udrv_backend kind)
{
	switch (kind) {
	case UDRV_BACKEND_VFIO:
		return &udrv_vfio_ops;
	case UDRV_BACKEND_UIO:
		return &udrv_uio_ops;
	case UDRV_BACKEND_STUB:
		return &udrv_stub_ops;
	case UDRV_BACKEND_SYSFS:
		return &udrv_sysfs_ops;
	default:
		return NULL;
	}
}

UDRV_EXPORT const char *udrv_backend_name(enum udrv_backend backend)
{
	static const char *const names[] = { "auto", "vfio", "uio", "stub", "sysfs" };

	if ((unsigned int)backend < sizeof(names) / sizeof(names[0]))
		return names[backend];
	return "?";
}

UDRV_EXPORT int udrv_open(const char *addr, const struct udrv_open_opts *opts,
			  struct udrv_device **devp)
{
	enum udrv_backend want = opts ? opts->backend : UDRV_BACKEND_AUTO;
	char path[PATH_MAX], driver[64] = "";
	struct udrv_device *dev;
	int ret;

	if (!devp)
		return udrv_err(EINVAL, "udrv_open: devp is NULL");
	*devp = NULL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return udrv_err(ENOMEM, "udrv_open: out of memory");
	dev->config_fd = -1;
	dev->uio_fd = -1;
	dev->uio_num = -1;
	dev->dma.ctl_fd = -1;
	for (unsigned int i = 0; i < UDRV_NUM_BARS; i++)
		dev->bars[i].io_fd = -1;

	ret = udrv_pci_addr_parse(addr, &dev->addr);
	if (ret)
		goto fail;
	udrv_pci_addr_format(&dev->addr, dev->name, sizeof(dev->name));

	ret = udrv_sysfs_dev_path(dev, NULL, path, sizeof(path));
	if (ret)
		goto fail;
	if (access(path, F_OK)) {
		ret = udrv_err(ENODEV, "%s: no such PCI device (%s missing; see lspci -D)",
			       dev->name, path);
		goto fail;
	}
	ret = udrv_sysfs_dev_path(dev, "driver", path, sizeof(path));
	if (ret)
		goto fail;
	if (udrv_sysfs_link_name(path, driver, sizeof(driver)))
		driver[0] = '\0';

	if (want == UDRV_BACKEND_AUTO) {
		dev->ops = udrv_backend_for_driver(driver);
	} else {
		dev->ops = udrv_backend_ops(want);
		if (!dev->ops) {
			ret = udrv_err(EINVAL, "%s: unknown backend %d", dev->name, (int)want);
			goto fail;
		}
	}
	ret = dev->ops->open(dev);
	if (ret)
		goto fail;
	*devp = dev;
	return 0;
fail:
	free(dev);
	return ret;
}

UDRV_EXPORT void udrv_close(struct udrv_device *dev)
{
	unsigned int i;

	if (!dev)
		return;
	udrv_irq_disable(dev);
	udrv_dma_release_all(dev);
	for (i = 0; i < UDRV_NUM_BARS; i++) {
		udrv_bar_unmap(dev, i);
		if (dev->bars[i].io_fd >= 0)
			close(dev->bars[i].io_fd);
	}
	dev->ops->close(dev);
	if (dev->config_fd >= 0)
		close(dev->config_fd);
	if (dev->uio_fd >= 0)
		close(dev->uio_fd);
	free(dev);
}

UDRV_EXPORT enum udrv_backend udrv_backend(const struct udrv_device *dev)
{
	return dev->ops->kind;
}

UDRV_EXPORT const char *udrv_device_name(const struct udrv_device *dev)
{
	return dev->name;
}

static int check_bar(struct udrv_device *dev, unsigned int bar)
{
	if (bar >= UDRV_NUM_BARS)
		return udrv_err(EINVAL, "%s: BAR %u out of range (a PCI function has BARs 0-5)",
				dev->name, bar);
	return 0;
}

/* The backend's description of a BAR, asked once and cached. */
int udrv_bar_cached_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info **info)
{
	struct udrv_bar *b;
	int ret = check_bar(dev, bar);

	if (ret)
		return ret;
	b = &dev->bars[bar];
	if (!b->have_info) {
		ret = dev->ops->bar_info(dev, bar, &b->info);
		if (ret)
			return ret;
		b->have_info = true;
	}
	*info = &b->info;
	return 0;
}

UDRV_EXPORT int udrv_bar_info(struct udrv_device *dev, unsigned int bar,
			      struct udrv_bar_info *info)
{
	struct udrv_bar_info *cached;
	int ret = udrv_bar_cached_info(dev, bar, &cached);

	if (!ret)
		*info = *cached;
	return ret;
}

UDRV_EXPORT int udrv_bar_map(struct udrv_device *dev, unsigned int bar, void **addr, size_t *size)
{
	struct udrv_bar_info *info;
	struct udrv_bar_map *map;
	int ret = udrv_bar_cached_info(dev, bar, &info);

	if (ret)
		return ret;
	map = &dev->bars[bar].map;
	if (!map->base) {
		if (info->flags & UDRV_BAR_IO)
			return udrv_err(EINVAL,
					"%s: BAR %u is an I/O port BAR: it cannot be mapped; use udrv_bar_read/udrv_bar_write",
					dev->name, bar);
		ret = dev->ops->bar_map(dev, bar, map);
		if (ret)
			return ret;
		if (!map->nranges) {
			map->ranges[0].offset = 0;
			map->ranges[0].size = map->size;
			map->nranges = 1;
		}
	}
	*addr = map->addr;
	if (size)
		*size = map->size;
	return 0;
}

UDRV_EXPORT int udrv_bar_ranges(struct udrv_device *dev, unsigned int bar,
				struct udrv_range *ranges, unsigned int *count)
{
	void *addr;
	int ret = udrv_bar_map(dev, bar, &addr, NULL);

	if (ret)
		return ret;
	memcpy(ranges, dev->bars[bar].map.ranges,
	       dev->bars[bar].map.nranges * sizeof(*ranges));
	*count = dev->bars[bar].map.nranges;
	return 0;
}

UDRV_EXPORT void udrv_bar_unmap(struct udrv_device *dev, unsigned int bar)
{
	struct udrv_bar_map *map;

	if (bar >= UDRV_NUM_BARS || !dev->bars[bar].map.base)
		return;
	map = &dev->bars[bar].map;
	munmap(map->base, map->map_len);
	memset(map, 0, sizeof(*map));
}

static int check_config(struct udrv_device *dev, const void *buf, size_t len, off_t off)
{
	if (!buf)
		return udrv_err(EINVAL, "%s: config access with a NULL buffer", dev->name);
	if (off < 0)
		return udrv_err(EINVAL, "%s: negative config offset %jd", dev->name, (intmax_t)off);
	if ((size_t)off > dev->config_size || len > dev->config_size - off)
		return udrv_err(EINVAL,
				"%s: config access of %zu bytes at 0x%jx is outside the device's %zu-byte config space",
				dev->name, len, (intmax_t)off, dev->config_size);
	return 0;
}

UDRV_EXPORT ssize_t udrv_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off)
{
	int ret = check_config(dev, buf, len, off);

	return ret ? ret : dev->ops->config_read(dev, buf, len, off);
}

UDRV_EXPORT ssize_t udrv_config_write(struct udrv_device *dev, const void *buf, size_t len,
				      off_t off)
{
	int ret = check_config(dev, buf, len, off);

	return ret ? ret : dev->ops->config_write(dev, buf, len, off);
}

static int config_sized(struct udrv_device *dev, off_t off, void *val, size_t width, bool write)
{
	ssize_t n;

	if (off % width)
		return udrv_err(EINVAL, "%s: config offset 0x%jx is not aligned to its %zu-byte width",
				dev->name, (intmax_t)off, width);
	n = write ? udrv_config_write(dev, val, width, off) : udrv_config_read(dev, val, width, off);
	return n < 0 ? (int)n : 0;
}

/* Config space is little-endian; these convert on big-endian hosts. */
UDRV_EXPORT int udrv_config_read32(struct udrv_device *dev, off_t off, uint32_t *val)
{
	uint32_t le;
	int ret = config_sized(dev, off, &le, 4, false);

	if (!ret)
		*val = le32toh(le);
	return ret;
}

UDRV_EXPORT int udrv_config_read16(struct udrv_device *dev, off_t off, uint16_t *val)
{
	uint16_t le;
	int ret = config_sized(dev, off, &le, 2, false);

	if (!ret)
		*val = le16toh(le);
	return ret;
}

UDRV_EXPORT int udrv_config_write16(struct udrv_device *dev, off_t off, uint16_t val)
{
	uint16_t le = htole16(val);

	return config_sized(dev, off, &le, 2, true);
}

UDRV_EXPORT int udrv_config_read8(struct udrv_device *dev, off_t off, uint8_t *val)
{
	return config_sized(dev, off, val, 1, false);
}

UDRV_EXPORT int udrv_config_write8(struct udrv_device *dev, off_t off, uint8_t val)
{
	return config_sized(dev, off, &val, 1, true);
}

UDRV_EXPORT int udrv_config_write32(struct udrv_device *dev, off_t off, uint32_t val)
{
	uint32_t le = htole32(val);

	return config_sized(dev, off, &le, 4, true);
}
