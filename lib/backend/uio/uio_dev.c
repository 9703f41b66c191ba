// SPDX-License-Identifier: MIT
/*
 * A device exported through UIO (uio_dev.h): finding /dev/uioN, mapping its
 * maps, counting its interrupts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uio_dev.h"

#define UIO_MAX_MAPS 5

static int find_uio(struct udrv_device *dev, struct udrv_uio *u, const char *driver)
{
	char path[PATH_MAX], bound[64];
	struct dirent *de;
	DIR *dir;
	int ret;

	/* Both UIO drivers make a uioN directory: check it is the driver we speak to. */
	udrv_sysfs_driver(dev->name, bound, sizeof(bound));
	ret = udrv_sysfs_dev_path(dev, "uio", path, sizeof(path));
	if (ret)
		return ret;
	dir = strcmp(bound, driver) ? NULL : opendir(path);
	if (!dir && *bound && strcmp(bound, driver))
		/* Another driver holds it: drivers_probe alone would leave it there. */
		return udrv_err(ENODEV,
				"%s: not bound to %s (bound to %s); bind it first: echo %s > /sys/bus/pci/devices/%s/driver_override; echo %s > /sys/bus/pci/devices/%s/driver/unbind; echo %s > /sys/bus/pci/drivers_probe",
				dev->name, driver, bound, driver, dev->name, dev->name, dev->name,
				dev->name);
	if (!dir)
		return udrv_err(ENODEV,
				"%s: not bound to %s (bound to %s); bind it first: echo %s > /sys/bus/pci/devices/%s/driver_override; echo %s > /sys/bus/pci/drivers_probe",
				dev->name, driver, *bound ? bound : "no driver", driver, dev->name,
				dev->name);
	while ((de = readdir(dir)))
		if (sscanf(de->d_name, "uio%d", &u->num) == 1)
			break;
	closedir(dir);
	if (u->num < 0)
		return udrv_err(ENODEV, "%s: %s has no uioN entry", dev->name, path);
	return 0;
}

int udrv_uio_open(struct udrv_device *dev, struct udrv_uio *u, const char *driver)
{
	char path[PATH_MAX];
	int ret;

	u->fd = u->num = -1;
	ret = find_uio(dev, u, driver);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/uio%d", udrv_dev_root(), u->num);
	u->fd = open(path, O_RDWR | O_CLOEXEC);
	if (u->fd < 0) {
		ret = errno;
		return udrv_err(ret, "%s: cannot open %s: %s%s", dev->name, path, strerror(ret),
				ret == EACCES ? " (run as root or give your user access to the node)" :
				ret == ENOENT ? " (no device node: is devtmpfs/udev running?)" : "");
	}
	ret = udrv_sysfs_files_open(dev, &u->files);
	if (ret) {
		close(u->fd);
		u->fd = -1;
	}
	return ret;
}

void udrv_uio_close(struct udrv_uio *u)
{
	udrv_sysfs_files_close(&u->files);
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

void udrv_uio_map_span(uint64_t addr, uint64_t size, uint64_t page, uint64_t *start,
		       uint64_t *len)
{
	*start = addr & ~(page - 1);
	*len = ((addr - *start) + size + page - 1) & ~(page - 1);
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
		snprintf(attr, sizeof(attr), "uio/uio%d/maps/map%d/addr", udrv_uio(dev)->num, i);
		if (udrv_sysfs_dev_path(dev, attr, path, sizeof(path)) ||
		    udrv_sysfs_read_u64(path, &addr))
			break;
		snprintf(attr, sizeof(attr), "uio/uio%d/maps/map%d/size", udrv_uio(dev)->num, i);
		if (udrv_sysfs_dev_path(dev, attr, path, sizeof(path)) ||
		    udrv_sysfs_read_u64(path, &size))
			break;
		udrv_uio_map_span(addr, size, pg, map_start, map_len);
		if (phys >= *map_start && phys < *map_start + *map_len)
			return i;
	}
	return -ENOENT;
}

int udrv_uio_bar_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct udrv_uio *u = udrv_uio(dev);
	struct udrv_bar_info info, *cached;
	uint64_t start, len;
	void *base;
	int idx, ret;

	/* Described by udrv_bar_map() just before: no second read of sysfs. */
	ret = udrv_bar_cached_info(dev, bar, &cached);
	if (ret)
		return ret;
	info = *cached;
	idx = uio_find_map(dev, info.phys, &start, &len);
	if (idx < 0)
		/* Not exported by the UIO driver (64-bit/prefetchable under uio_pci_generic). */
		return udrv_sysfs_resource_map(dev, bar, map);
	if (info.phys + info.size > start + len)
		return udrv_err(EIO, "%s: UIO map %d is shorter than BAR %u", dev->name, idx, bar);
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, u->fd, (off_t)idx * pg);
	if (base == MAP_FAILED)
		return udrv_err(errno, "%s: mmap of /dev/uio%d map %d (BAR %u) failed: %s",
				dev->name, u->num, idx, bar, strerror(errno));
	map->base = base;
	map->map_len = len;
	map->addr = (char *)base + (info.phys - start);
	map->size = info.size;
	return 0;
}

int udrv_uio_irq_setup(struct udrv_device *dev, enum udrv_irq_type type)
{
	struct udrv_uio *u = udrv_uio(dev);
	char path[PATH_MAX], attr[64];
	uint64_t count;
	int ret;

	snprintf(attr, sizeof(attr), "uio/uio%d/event", u->num);
	ret = udrv_sysfs_dev_path(dev, attr, path, sizeof(path));
	if (!ret)
		ret = udrv_sysfs_read_u64(path, &count);
	if (ret)
		return udrv_err(-ret, "%s: cannot read %s", dev->name, path);
	u->last = (uint32_t)count;
	u->irq_fd[0] = u->fd;
	dev->irq.type = type;
	dev->irq.fds = u->irq_fd;
	dev->irq.nvec = 1;
	return 0;
}

/* The count is the device's total: new events are the difference from the last one seen. */
int udrv_uio_irq_read(struct udrv_device *dev, unsigned int vec, uint64_t *events)
{
	struct udrv_uio *u = udrv_uio(dev);
	uint32_t count;
	ssize_t n = read(dev->irq.fds[vec], &count, sizeof(count));

	if (n == sizeof(count)) {
		*events = (uint32_t)(count - u->last);
		u->last = count;
		return *events ? 1 : 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return udrv_err(n < 0 ? errno : EIO, "%s: reading interrupt events from /dev/uio%d: %s",
			dev->name, u->num, n < 0 ? strerror(errno) : "short read");
}
