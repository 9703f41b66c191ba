// SPDX-License-Identifier: MIT
/*
 * sysfs helpers shared by every backend: attributes of
 * /sys/bus/pci/devices/<addr>, the BAR table in its "resource" file, the
 * "config" file, and mmap of "resourceN".  The sysfs root is a setting
 * (environment variable UDRV_SYSFS_ROOT, default /sys) so unit tests can run
 * against a fake tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "udrv_internal.h"

/* Linux's IORESOURCE_* flags as the "resource" file prints them. */
#define IORESOURCE_IO       0x00000100
#define IORESOURCE_MEM      0x00000200
#define IORESOURCE_PREFETCH 0x00002000
#define IORESOURCE_MEM_64   0x00100000

const char *udrv_sysfs_root(void)
{
	const char *root = getenv("UDRV_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

int udrv_sysfs_dev_path(const struct udrv_device *dev, const char *attr, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/bus/pci/devices/%s%s%s", udrv_sysfs_root(), dev->name,
			 attr ? "/" : "", attr ? attr : "");

	if (n < 0 || (size_t)n >= size)
		return udrv_err(ENAMETOOLONG, "%s: sysfs path too long", dev->name);
	return 0;
}

int udrv_sysfs_read_str(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

int udrv_sysfs_read_u64(const char *path, uint64_t *val)
{
	char buf[64], *end;
	int ret = udrv_sysfs_read_str(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

int udrv_sysfs_link_name(const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return -ENAMETOOLONG;
	strcpy(buf, base);
	return 0;
}

int udrv_sysfs_resource(const struct udrv_device *dev, unsigned int bar, uint64_t *start,
			uint64_t *size, uint64_t *flags)
{
	char path[PATH_MAX], line[128];
	uint64_t s, e, f;
	unsigned int i;
	FILE *fp;
	int ret;

	ret = udrv_sysfs_dev_path(dev, "resource", path, sizeof(path));
	if (ret)
		return ret;
	fp = fopen(path, "re");
	if (!fp)
		return udrv_err(errno, "%s: cannot read %s: %s", dev->name, path, strerror(errno));
	ret = -ENOENT;
	for (i = 0; fgets(line, sizeof(line), fp); i++) {
		if (i != bar)
			continue;
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &s, &e, &f) != 3) {
			ret = udrv_err(EIO, "%s: malformed line %u in %s", dev->name, i + 1, path);
			break;
		}
		*start = s;
		*size = (e > s || (e == s && s)) ? e - s + 1 : 0;
		*flags = f;
		ret = 0;
		break;
	}
	fclose(fp);
	return ret;
}

int udrv_sysfs_bar_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info)
{
	uint64_t start, size, flags;
	int ret = udrv_sysfs_resource(dev, bar, &start, &size, &flags);

	if (ret == -ENOENT || (!ret && !size))
		return udrv_err(ENOENT, "%s: BAR %u is not implemented by the device", dev->name, bar);
	if (ret)
		return ret;
	memset(info, 0, sizeof(*info));
	info->index = bar;
	info->size = size;
	info->phys = start;
	if (flags & IORESOURCE_IO)
		info->flags |= UDRV_BAR_IO;
	if (flags & IORESOURCE_MEM)
		info->flags |= UDRV_BAR_MEM;
	if (flags & IORESOURCE_MEM_64)
		info->flags |= UDRV_BAR_MEM64;
	if (flags & IORESOURCE_PREFETCH)
		info->flags |= UDRV_BAR_PREFETCH;
	return 0;
}

int udrv_sysfs_config_open(struct udrv_device *dev)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, ret;

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
	dev->config_fd = fd;
	dev->config_size = st.st_size > 4096 ? 4096 : (size_t)st.st_size;
	return 0;
}

ssize_t udrv_sysfs_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(dev->config_fd, buf, len, off);

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
	ssize_t n = pwrite(dev->config_fd, buf, len, off);

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
	struct udrv_bar_info info;
	long pg = sysconf(_SC_PAGESIZE);
	size_t pgoff, len;
	void *base;
	int fd, ret;

	ret = udrv_sysfs_bar_info(dev, bar, &info);
	if (ret)
		return ret;
	pgoff = info.phys & (pg - 1);
	len = (pgoff + info.size + pg - 1) & ~(size_t)(pg - 1);

	fd = -1;
	if (info.flags & UDRV_BAR_PREFETCH) {
		snprintf(attr, sizeof(attr), "resource%u_wc", bar);
		if (!udrv_sysfs_dev_path(dev, attr, path, sizeof(path)))
			fd = open(path, O_RDWR | O_CLOEXEC);
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
	int *fd = &dev->bars[bar].io_fd;
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
