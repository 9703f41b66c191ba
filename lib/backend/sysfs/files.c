// SPDX-License-Identifier: MIT
/*
 * A PCI function's sysfs files: "config" for config space, "resourceN" to
 * map memory BARs and to reach I/O-port BARs, "reset".  See files.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

int udrv_sysfs_files_open(struct udrv_device *dev, struct udrv_sysfs_files *f)
{
	char path[PATH_MAX];
	struct stat st;
	unsigned int i;
	int fd, ret;

	f->config_fd = -1;
	for (i = 0; i < UDRV_NUM_BARS; i++)
		f->io_fd[i] = -1;

	ret = udrv_sysfs_dev_path(dev, "config", path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return udrv_err(errno, "%s: cannot open %s: %s", dev->name, path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = udrv_err(errno, "%s: cannot stat %s: %s", dev->name, path, strerror(errno));
		close(fd);
		return ret;
	}
	f->config_fd = fd;
	dev->config_size = st.st_size > 4096 ? 4096 : (size_t)st.st_size;
	return 0;
}

void udrv_sysfs_files_close(struct udrv_sysfs_files *f)
{
	unsigned int i;

	if (f->config_fd >= 0)
		close(f->config_fd);
	f->config_fd = -1;
	for (i = 0; i < UDRV_NUM_BARS; i++) {
		if (f->io_fd[i] >= 0)
			close(f->io_fd[i]);
		f->io_fd[i] = -1;
	}
}

ssize_t udrv_sysfs_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(udrv_sysfs_files(dev)->config_fd, buf, len, off);

	if (n < 0)
		return udrv_err(errno, "%s: config read of %zu bytes at 0x%jx: %s", dev->name, len,
				(intmax_t)off, strerror(errno));
	if ((size_t)n != len)
		return udrv_err(EIO, "%s: config read at 0x%jx returned %zd of %zu bytes (not root? the kernel shows only 64 bytes to others)",
				dev->name, (intmax_t)off, n, len);
	return n;
}

ssize_t udrv_sysfs_config_write(struct udrv_device *dev, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(udrv_sysfs_files(dev)->config_fd, buf, len, off);

	if (n < 0)
		return udrv_err(errno, "%s: config write of %zu bytes at 0x%jx: %s%s", dev->name,
				len, (intmax_t)off, strerror(errno),
				errno == EBADF ? " (config file opened read-only: run as root)" : "");
	if ((size_t)n != len)
		return udrv_err(EIO, "%s: config write at 0x%jx wrote %zd of %zu bytes", dev->name,
				(intmax_t)off, n, len);
	return n;
}

int udrv_sysfs_resource_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map)
{
	char path[PATH_MAX], attr[32];
	struct udrv_bar_info info, *cached;
	long pg = sysconf(_SC_PAGESIZE);
	size_t pgoff, len;
	void *base;
	int fd, ret;

	/* Described by udrv_bar_map() just before: no second read of sysfs. */
	ret = udrv_bar_cached_info(dev, bar, &cached);
	if (ret)
		return ret;
	info = *cached;
	pgoff = info.phys & (pg - 1);
	len = (pgoff + info.size + pg - 1) & ~(size_t)(pg - 1);

	/* Uncached unless write-combining was asked for (and the BAR allows it). */
	fd = -1;
	map->got = 0;
	if ((info.flags & UDRV_BAR_PREFETCH) && (map->want & UDRV_BAR_MAP_WC)) {
		snprintf(attr, sizeof(attr), "resource%u_wc", bar);
		if (!udrv_sysfs_dev_path(dev, attr, path, sizeof(path)))
			fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			map->got = UDRV_BAR_MAP_WC;
	}
	if (fd < 0) {
		snprintf(attr, sizeof(attr), "resource%u", bar);
		ret = udrv_sysfs_dev_path(dev, attr, path, sizeof(path));
		if (ret)
			return ret;
		fd = open(path, O_RDWR | O_CLOEXEC);
	}
	if (fd < 0)
		return udrv_err(errno, "%s: cannot open %s: %s%s", dev->name, path, strerror(errno),
				errno == EACCES || errno == EPERM ?
				" (mapping BARs through sysfs needs root)" : "");
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ret = errno;
	close(fd);
	if (base == MAP_FAILED && ret == EINVAL) {
		char link[PATH_MAX], drv[64];

		/* CONFIG_IO_STRICT_DEVMEM: no mapping of a BAR a driver has claimed. */
		if (!udrv_sysfs_dev_path(dev, "driver", link, sizeof(link)) &&
		    !udrv_sysfs_link_name(link, drv, sizeof(drv)))
			return udrv_err(ret, "%s: mmap of BAR%u through sysfs failed: %s: the "
					"kernel maps no BAR its driver %s has claimed; unbind it "
					"first: echo %s > /sys/bus/pci/drivers/%s/unbind", dev->name,
					bar, strerror(ret), drv, dev->name, drv);
	}
	if (base == MAP_FAILED)
		return udrv_err(ret, "%s: mmap of %s (%zu bytes) failed: %s%s", dev->name, path, len,
				strerror(ret),
				ret == EPERM ? " (needs CAP_SYS_ADMIN; is the kernel locked down?)" : "");
	map->base = base;
	map->map_len = len;
	map->addr = (char *)base + pgoff;
	map->size = info.size;
	return 0;
}

int udrv_sysfs_bar_rw(struct udrv_device *dev, unsigned int bar, uint64_t off, unsigned int width,
		      void *val, bool write)
{
	int *fd = &udrv_sysfs_files(dev)->io_fd[bar];
	char path[PATH_MAX], attr[32];
	ssize_t n;
	int ret;

	if (*fd < 0) {
		snprintf(attr, sizeof(attr), "resource%u", bar);
		ret = udrv_sysfs_dev_path(dev, attr, path, sizeof(path));
		if (ret)
			return ret;
		*fd = open(path, O_RDWR | O_CLOEXEC);
		if (*fd < 0)
			return udrv_err(errno, "%s: cannot open %s for I/O port access: %s%s",
					dev->name, path, strerror(errno),
					errno == EACCES ? " (needs root)" : "");
	}
	/* The kernel turns a 1/2/4-byte pread/pwrite at @off into one inb/w/l or outb/w/l. */
	n = write ? pwrite(*fd, val, width, off) : pread(*fd, val, width, off);
	if (n < 0)
		return udrv_err(errno, "%s: I/O port %s of %u bytes at BAR %u + 0x%" PRIx64 ": %s",
				dev->name, write ? "write" : "read", width, bar, off, strerror(errno));
	if ((size_t)n != width)
		return udrv_err(EIO, "%s: I/O port access at BAR %u + 0x%" PRIx64 " moved %zd of %u bytes",
				dev->name, bar, off, n, width);
	return 0;
}

int udrv_sysfs_reset(struct udrv_device *dev)
{
	char path[PATH_MAX];
	int fd, ret;

	ret = udrv_sysfs_dev_path(dev, "reset", path, sizeof(path));
	if (ret)
		return ret;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return udrv_err(ENOTSUP,
					"%s: cannot be reset: the kernel found no reset method (no FLR, PM or bus reset; %s missing)",
					dev->name, path);
		return udrv_err(errno, "%s: cannot open %s: %s", dev->name, path, strerror(errno));
	}
	ret = write(fd, "1", 1) == 1 ? 0 :
	      udrv_err(errno, "%s: reset through %s failed: %s", dev->name, path, strerror(errno));
	close(fd);
	return ret;
}

int udrv_sysfs_mappable_bar_info(struct udrv_device *dev, unsigned int bar,
				 struct udrv_bar_info *info)
{
	int ret = udrv_sysfs_bar_info(dev, bar, info);

	if (!ret && (info->flags & UDRV_BAR_MEM))
		info->flags |= UDRV_BAR_MMAP;
	return ret;
}
