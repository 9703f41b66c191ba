// SPDX-License-Identifier: MIT
/*
 * Device handles: open by PCI address with the backend the bound driver
 * selects in the access-path table (access_path.c), close, and describe and
 * map BARs through the backend's ops.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "udrv_internal.h"

UDRV_EXPORT int udrv_open(const char *addr, const struct udrv_open_opts *opts,
			  struct udrv_device **devp)
{
	enum udrv_backend want = opts ? opts->backend : UDRV_BACKEND_AUTO;
	char path[PATH_MAX], driver[64] = "";
	struct udrv_device *dev;
	int ret, parent;

	if (!devp)
		return udrv_err(EINVAL, "%s: udrv_open: devp is NULL", addr ? addr : "NULL");
	*devp = NULL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return udrv_err(ENOMEM, "udrv_open: out of memory");
	pthread_mutex_init(&dev->dma.lock, NULL);
	if (opts)
		dev->opts = *opts;
	ret = udrv_pci_addr_parse(addr, &dev->addr);
	if (ret)
		goto fail;
	udrv_pci_addr_format(&dev->addr, dev->name, sizeof(dev->name));
	if (udrv_fork_inherited_open(&dev->addr, &parent)) {
		ret = udrv_err(EBUSY,
			       "%s: process %d, which this one was forked from, has the device open, and this process still holds its handle: udrv_close() that handle first (a forked child cannot share its parent's devices)",
			       dev->name, parent);
		goto fail;
	}

	/* A function with a driver exists; only one without is looked for (a system call less). */
	udrv_sysfs_driver(dev->name, driver, sizeof(driver));
	if (!driver[0]) {
		ret = udrv_sysfs_dev_path(dev, NULL, path, sizeof(path));
		if (ret)
			goto fail;
		if (access(path, F_OK)) {
			ret = udrv_err(ENODEV, "%s: no such PCI device (%s missing; see lspci -D)",
				       dev->name, path);
			goto fail;
		}
	}

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
	udrv_command_snapshot(dev);
	udrv_fork_register(dev);
	*devp = dev;
	return 0;
fail:
	pthread_mutex_destroy(&dev->dma.lock);
	free(dev);
	return ret;
}

UDRV_EXPORT void udrv_close(struct udrv_device *dev)
{
	struct udrv_err_saved saved;
	unsigned int i;

	if (!dev)
		return;
	/* Teardown keeps the message of whatever failure made the caller close. */
	udrv_err_save(&saved);
	if (dev->inherited) {
		/*
		 * A forked child's copy of its parent's handle: the fork handler
		 * unmapped the BARs and closed the copies of the fds; the rest
		 * (interrupts, DMA, Command register) is the parent's.  The
		 * inert ops free only the child's DMA bookkeeping.
		 */
		udrv_dma_release_all(dev);
		udrv_fork_unregister(dev);
		pthread_mutex_destroy(&dev->dma.lock);
		free(dev);
		udrv_err_restore(&saved);
		return;
	}
	udrv_fork_unregister(dev);
	udrv_irq_disable(dev);
	/* Bus mastering back off (if it was) before the DMA memory goes. */
	udrv_command_restore(dev);
	udrv_dma_release_all(dev);
	for (i = 0; i < UDRV_NUM_BARS; i++)
		udrv_bar_unmap(dev, i);
	dev->ops->close(dev);
	pthread_mutex_destroy(&dev->dma.lock);
	free(dev);
	udrv_err_restore(&saved);
}

UDRV_EXPORT enum udrv_backend udrv_backend(const struct udrv_device *dev)
{
	return dev->ops->path.backend;
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

/*
 * A BAR's CPU physical address (or first port), for a backend that left it
 * 0 (VFIO, whose map does not need it): from sysfs's resource file, once.
 * Best effort: 0 stays 0 ("unknown") and leaves no message behind.
 */
static void fill_phys(struct udrv_device *dev, unsigned int bar)
{
	struct udrv_bar *b = &dev->bars[bar];
	uint64_t start, size, flags;
	struct udrv_err_saved saved;

	if (b->info.phys || b->phys_tried)
		return;
	b->phys_tried = true;
	udrv_err_save(&saved);
	if (!udrv_sysfs_resource(dev, bar, &start, &size, &flags))
		b->info.phys = start;
	udrv_err_restore(&saved);
}

/* The backend's description of a BAR, asked once and cached; an I/O BAR's first port included. */
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
	if (b->info.flags & UDRV_BAR_IO)
		fill_phys(dev, bar);
	*info = &b->info;
	return 0;
}

UDRV_EXPORT int udrv_bar_info(struct udrv_device *dev, unsigned int bar,
			      struct udrv_bar_info *info)
{
	struct udrv_bar_info *cached;
	int ret = udrv_bar_cached_info(dev, bar, &cached);

	if (ret)
		return ret;
	fill_phys(dev, bar);
	*info = *cached;
	return 0;
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
