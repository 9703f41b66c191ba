// SPDX-License-Identifier: MIT
/*
 * VFIO backend (type1 IOMMU container).  The device is reached through
 * /dev/vfio/vfio (the container), /dev/vfio/<group> (its IOMMU group) and a
 * device fd; BARs and config space are VFIO regions: mmap() or pread() at the
 * region's offset in the device fd.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "udrv_internal.h"

struct udrv_vfio {
	int container;
	int group;
	int device;
	int group_id;
	struct vfio_device_info info;
	uint64_t config_offset;
};

static int vfio_group_id(struct udrv_device *dev)
{
	char path[PATH_MAX], name[32];
	int ret;

	ret = udrv_sysfs_dev_path(dev, "iommu_group", path, sizeof(path));
	if (ret)
		return ret;
	if (udrv_sysfs_link_name(path, name, sizeof(name)))
		return udrv_err(ENODEV,
				"%s: has no IOMMU group: enable the IOMMU (kernel command line intel_iommu=on or amd_iommu=on) to use VFIO",
				dev->name);
	return atoi(name);
}

/* Build the "not viable" message: the other devices of the group and their drivers. */
static int vfio_not_viable(struct udrv_device *dev, int group_id)
{
	char path[PATH_MAX], others[256] = "", drv[64];
	struct dirent *de;
	size_t used = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", udrv_sysfs_root(),
		 group_id);
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		char link[PATH_MAX + NAME_MAX + 16];

		if (de->d_name[0] == '.' || !strcmp(de->d_name, dev->name))
			continue;
		snprintf(link, sizeof(link), "%s/%s/driver", path, de->d_name);
		if (udrv_sysfs_link_name(link, drv, sizeof(drv)))
			strcpy(drv, "no driver");
		used += snprintf(others + used, used < sizeof(others) ? sizeof(others) - used : 0,
				 "%s%s (%s)", used ? ", " : "", de->d_name, drv);
		if (used >= sizeof(others))
			used = sizeof(others) - 1;
	}
	if (dir)
		closedir(dir);
	return udrv_err(EBUSY,
			"%s: IOMMU group %d is not viable: every device in it must be bound to vfio-pci or to no driver; others in the group: %s",
			dev->name, group_id, used ? others : "(none found)");
}

static int vfio_region_info(struct udrv_device *dev, unsigned int index,
			    struct vfio_region_info **infop)
{
	size_t have = sizeof(struct vfio_region_info);
	struct vfio_region_info *info = calloc(1, have), *bigger;

	if (!info)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	info->argsz = have;
	info->index = index;
	for (;;) {
		if (ioctl(dev->vfio->device, VFIO_DEVICE_GET_REGION_INFO, info)) {
			int err = errno;

			free(info);
			return udrv_err(err, "%s: VFIO_DEVICE_GET_REGION_INFO(%u): %s", dev->name,
					index, strerror(err));
		}
		if (info->argsz <= have)
			break;
		/* The capability chain did not fit: argsz now says how much it needs. */
		have = info->argsz;
		bigger = realloc(info, have);
		if (!bigger) {
			free(info);
			return udrv_err(ENOMEM, "%s: out of memory", dev->name);
		}
		info = bigger;
	}
	*infop = info;
	return 0;
}

static void vfio_release(struct udrv_vfio *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	free(v);
}

static int vfio_open(struct udrv_device *dev)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info *cfg;
	struct udrv_vfio *v;
	char path[64];
	int ret, iommu;

	ret = vfio_group_id(dev);
	if (ret < 0)
		return ret;
	v = calloc(1, sizeof(*v));
	if (!v)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	v->group_id = ret;
	v->group = v->device = -1;
	dev->vfio = v;

	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0) {
		ret = udrv_err(errno, "%s: cannot open /dev/vfio/vfio: %s (load vfio-pci and vfio_iommu_type1)",
			       dev->name, strerror(errno));
		goto fail;
	}
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		ret = udrv_err(EINVAL, "%s: unknown VFIO API version", dev->name);
		goto fail;
	}
	if (ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0) {
		iommu = VFIO_TYPE1v2_IOMMU;
	} else if (ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0) {
		iommu = VFIO_TYPE1_IOMMU;
	} else {
		ret = udrv_err(ENODEV, "%s: no VFIO type1 IOMMU driver (modprobe vfio_iommu_type1)",
			       dev->name);
		goto fail;
	}

	snprintf(path, sizeof(path), "/dev/vfio/%d", v->group_id);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0) {
		ret = errno;
		ret = udrv_err(ret, "%s: cannot open %s: %s%s", dev->name, path, strerror(ret),
			       ret == ENOENT ? " (is the device bound to vfio-pci?)" :
			       ret == EBUSY ? " (the group is in use by another process)" :
			       ret == EACCES ? " (run as root or give your user the group's node)" : "");
		goto fail;
	}
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status)) {
		ret = udrv_err(errno, "%s: VFIO_GROUP_GET_STATUS: %s", dev->name, strerror(errno));
		goto fail;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = vfio_not_viable(dev, v->group_id);
		goto fail;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ||
	    ioctl(v->container, VFIO_SET_IOMMU, iommu)) {
		ret = udrv_err(errno, "%s: attaching IOMMU group %d to a container: %s", dev->name,
			       v->group_id, strerror(errno));
		goto fail;
	}
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, dev->name);
	if (v->device < 0) {
		ret = udrv_err(errno, "%s: VFIO_GROUP_GET_DEVICE_FD: %s", dev->name, strerror(errno));
		goto fail;
	}
	v->info.argsz = sizeof(v->info);
	if (ioctl(v->device, VFIO_DEVICE_GET_INFO, &v->info)) {
		ret = udrv_err(errno, "%s: VFIO_DEVICE_GET_INFO: %s", dev->name, strerror(errno));
		goto fail;
	}
	if (!(v->info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    v->info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		ret = udrv_err(ENODEV, "%s: VFIO device is not a PCI device", dev->name);
		goto fail;
	}
	ret = vfio_region_info(dev, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (ret)
		goto fail;
	v->config_offset = cfg->offset;
	dev->config_size = cfg->size > 4096 ? 4096 : cfg->size;
	free(cfg);
	return 0;
fail:
	vfio_release(v);
	dev->vfio = NULL;
	return ret;
}

static void vfio_close(struct udrv_device *dev)
{
	vfio_release(dev->vfio);
	dev->vfio = NULL;
}

static int vfio_bar_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info)
{
	struct vfio_region_info *r;
	int ret;

	/* Kind and address come from sysfs; size and mmap-ability from VFIO. */
	ret = udrv_sysfs_bar_info(dev, bar, info);
	if (ret)
		return ret;
	ret = vfio_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX + bar, &r);
	if (ret)
		return ret;
	info->size = r->size;
	if (r->flags & VFIO_REGION_INFO_FLAG_MMAP)
		info->flags |= UDRV_BAR_MMAP;
	free(r);
	return 0;
}

static int vfio_bar_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map)
{
	struct vfio_region_info *r;
	int prot = 0, ret;
	void *base;

	ret = vfio_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX + bar, &r);
	if (ret)
		return ret;
	if (!r->size) {
		free(r);
		return udrv_err(ENOENT, "%s: BAR %u is not implemented by the device", dev->name, bar);
	}
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		free(r);
		return udrv_err(ENOTSUP, "%s: vfio-pci does not allow mmap of BAR %u", dev->name, bar);
	}
	if (r->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (r->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	base = mmap(NULL, r->size, prot, MAP_SHARED, dev->vfio->device, r->offset);
	if (base == MAP_FAILED) {
		ret = udrv_err(errno, "%s: mmap of VFIO BAR %u (%llu bytes) failed: %s", dev->name,
			       bar, (unsigned long long)r->size, strerror(errno));
		free(r);
		return ret;
	}
	map->base = base;
	map->map_len = r->size;
	map->addr = base;
	map->size = r->size;
	free(r);
	return 0;
}

static ssize_t vfio_config_rw(struct udrv_device *dev, void *buf, size_t len, off_t off,
			      bool write)
{
	off_t pos = dev->vfio->config_offset + off;
	ssize_t n = write ? pwrite(dev->vfio->device, buf, len, pos) :
			    pread(dev->vfio->device, buf, len, pos);

	if (n < 0)
		return udrv_err(errno, "%s: VFIO config %s of %zu bytes at 0x%jx: %s", dev->name,
				write ? "write" : "read", len, (intmax_t)off, strerror(errno));
	if ((size_t)n != len)
		return udrv_err(EIO, "%s: VFIO config %s at 0x%jx: %zd of %zu bytes", dev->name,
				write ? "write" : "read", (intmax_t)off, n, len);
	return n;
}

static ssize_t vfio_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off)
{
	return vfio_config_rw(dev, buf, len, off, false);
}

static ssize_t vfio_config_write(struct udrv_device *dev, const void *buf, size_t len, off_t off)
{
	return vfio_config_rw(dev, (void *)buf, len, off, true);
}

const struct udrv_backend_ops udrv_vfio_ops = {
	.kind = UDRV_BACKEND_VFIO,
	.name = "vfio",
	.open = vfio_open,
	.close = vfio_close,
	.bar_info = vfio_bar_info,
	.bar_map = vfio_bar_map,
	.config_read = vfio_config_read,
	.config_write = vfio_config_write,
};
