// SPDX-License-Identifier: MIT
/*
 * A PCI function's sysfs attributes: paths below
 * /sys/bus/pci/devices/<addr> (udrv_sysfs_root(), see roots.c), reading
 * them, its driver and IOMMU group links, and the BAR table in its
 * "resource" file.  The files a backend opens (config, resourceN, reset)
 * are lib/backend/sysfs/files.c.
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

int udrv_sysfs_pci_path(const char *name, const char *attr, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/bus/pci/devices/%s%s%s", udrv_sysfs_root(), name,
			 attr ? "/" : "", attr ? attr : "");

	if (n < 0 || (size_t)n >= size)
		return udrv_err(ENAMETOOLONG, "%s: sysfs path too long", name);
	return 0;
}

int udrv_sysfs_dev_path(const struct udrv_device *dev, const char *attr, char *buf, size_t size)
{
	return udrv_sysfs_pci_path(dev->name, attr, buf, size);
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

void udrv_sysfs_driver(const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];

	if (udrv_sysfs_pci_path(name, "driver", path, sizeof(path)) ||
	    udrv_sysfs_link_name(path, buf, size))
		buf[0] = '\0';
}

int udrv_sysfs_iommu_group(const char *name)
{
	char path[PATH_MAX], group[32], *end;
	long g;
	int ret;

	ret = udrv_sysfs_pci_path(name, "iommu_group", path, sizeof(path));
	if (!ret)
		ret = udrv_sysfs_link_name(path, group, sizeof(group));
	if (ret)
		return ret == -ENOENT ? -ENOENT : -EINVAL;
	errno = 0;
	g = strtol(group, &end, 10);
	if (errno || end == group || *end || g < 0 || g > INT_MAX)
		return -EINVAL;
	return (int)g;
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
