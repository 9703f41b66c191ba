// SPDX-License-Identifier: MIT
/*
 * The process's VFIO container and the IOMMU groups attached to it.
 *
 * VFIO lets a process open each group (/dev/vfio/N) only once, and a group
 * must be attached to a container before its devices can be used.  udrv
 * keeps one container per process, as DPDK does by default: every VFIO
 * device opened shares it, so a DMA mapping made in the container is seen by
 * all of them, and two devices of the same group share the group fd.  Groups
 * and the container are reference-counted and released with the last device.
 *
 * No-IOMMU groups (/dev/vfio/noiommu-N, kernels built with
 * CONFIG_VFIO_NOIOMMU and enable_unsafe_noiommu_mode=1) use the
 * VFIO_NOIOMMU_IOMMU container type; a container holds groups of one kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iova.h"
#include "vfio.h"

struct vfio_group {
	int id;
	int fd;
	bool noiommu;            /* /dev/vfio/noiommu-N */
	unsigned int refs;
	struct vfio_group *next;
};

static struct {
	pthread_mutex_t lock;
	int fd;
	int iommu_type;          /* 0 until the first group is attached */
	struct vfio_group *groups;
	struct udrv_iova_space iova; /* the container's device address space */
	bool iova_ready;
} container = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

int udrv_vfio_group_path(int group_id, char *buf, size_t size, bool *noiommu)
{
	struct stat st;

	snprintf(buf, size, "%s/vfio/%d", udrv_dev_root(), group_id);
	*noiommu = false;
	if (!stat(buf, &st))
		return 0;
	snprintf(buf, size, "%s/vfio/noiommu-%d", udrv_dev_root(), group_id);
	if (!stat(buf, &st)) {
		*noiommu = true;
		return 0;
	}
	snprintf(buf, size, "%s/vfio/%d", udrv_dev_root(), group_id);
	return -ENOENT;
}

static int container_open(struct udrv_device *dev)
{
	char path[PATH_MAX];

	if (container.fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/vfio/vfio", udrv_dev_root());
	container.fd = open(path, O_RDWR | O_CLOEXEC);
	if (container.fd < 0)
		return udrv_err(errno, "%s: cannot open %s: %s (modprobe vfio-pci vfio_iommu_type1)",
				dev->name, path, strerror(errno));
	if (ioctl(container.fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		close(container.fd);
		container.fd = -1;
		return udrv_err(EINVAL, "%s: unknown VFIO API version", dev->name);
	}
	return 0;
}

/*
 * Set the container's IOMMU driver for the first group attached to it:
 * no-IOMMU, or type1v2 else type1, tried in turn (no VFIO_CHECK_EXTENSION
 * first: SET_IOMMU refuses a type no driver offers with ENODEV).  The type
 * set, or a negative errno with a message.
 */
static int set_iommu(struct udrv_device *dev, bool noiommu)
{
	static const int type1[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU };
	unsigned int i;
	int err = ENODEV;

	if (noiommu) {
		if (!ioctl(container.fd, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU))
			return VFIO_NOIOMMU_IOMMU;
		if (errno == ENODEV)
			return udrv_err(ENODEV, "%s: no-IOMMU group but the container lacks VFIO_NOIOMMU_IOMMU",
					dev->name);
		return udrv_err(errno, "%s: VFIO_SET_IOMMU: %s", dev->name, strerror(errno));
	}
	for (i = 0; i < sizeof(type1) / sizeof(type1[0]); i++) {
		if (!ioctl(container.fd, VFIO_SET_IOMMU, type1[i]))
			return type1[i];
		err = errno;
		if (err != ENODEV && err != EINVAL)
			break;
	}
	if (err == ENODEV || err == EINVAL)
		return udrv_err(ENODEV, "%s: no VFIO type1 IOMMU driver (modprobe vfio_iommu_type1)",
				dev->name);
	return udrv_err(err, "%s: VFIO_SET_IOMMU: %s", dev->name, strerror(err));
}

static void container_put(void)
{
	if (!container.groups && container.fd >= 0) {
		close(container.fd);
		container.fd = -1;
		container.iommu_type = 0;
		if (container.iova_ready)
			udrv_iova_destroy(&container.iova);
		container.iova_ready = false;
	}
}

/*
 * Open group @group_id's node: /dev/vfio/N, else /dev/vfio/noiommu-N (what
 * udrv_vfio_group_path() looks for, in one call when the first is there).
 * The fd, or a negative errno with @path the IOMMU node's name for messages.
 */
static int group_open(int group_id, char *path, size_t size, bool *noiommu)
{
	char alt[PATH_MAX];
	int fd;

	*noiommu = false;
	snprintf(path, size, "%s/vfio/%d", udrv_dev_root(), group_id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : -errno;
	snprintf(alt, sizeof(alt), "%s/vfio/noiommu-%d", udrv_dev_root(), group_id);
	fd = open(alt, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*noiommu = true;
	snprintf(path, size, "%s", alt);
	return fd;
}

static int group_attach(struct udrv_device *dev, int group_id, struct vfio_group **out)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_group *g;
	char path[PATH_MAX];
	bool noiommu;
	int ret, type;

	/* Opened, not stat'ed first: the node that exists says which kind the group is. */
	g = calloc(1, sizeof(*g));
	if (!g)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	g->id = group_id;
	g->fd = group_open(group_id, path, sizeof(path), &noiommu);
	g->noiommu = noiommu;
	if (g->fd == -ENOENT) {
		char bound[64], unbind[PATH_MAX + 64] = "";

		/* No node: nothing in the group is on vfio-pci.  Commands that work as printed. */
		udrv_sysfs_driver(dev->name, bound, sizeof(bound));
		if (*bound)
			snprintf(unbind, sizeof(unbind),
				 "echo %s > /sys/bus/pci/devices/%s/driver/unbind; ", dev->name,
				 dev->name);
		ret = udrv_err(ENOENT,
			       "%s: no %s: the device is not bound to vfio-pci (bound to %s); bind it first: echo vfio-pci > /sys/bus/pci/devices/%s/driver_override; %secho %s > /sys/bus/pci/drivers_probe",
			       dev->name, path, *bound ? bound : "no driver", dev->name, unbind,
			       dev->name);
		free(g);
		return ret;
	}
	if (g->fd < 0) {
		ret = -g->fd;
		ret = udrv_err(ret, "%s: cannot open %s: %s%s", dev->name, path, strerror(ret),
			       ret == EBUSY ? " (the group is in use by another process)" :
			       ret == EACCES ? " (run as root or give your user the group's node)" : "");
		goto fail;
	}
	if (ioctl(g->fd, VFIO_GROUP_GET_STATUS, &status)) {
		ret = udrv_err(errno, "%s: VFIO_GROUP_GET_STATUS: %s", dev->name, strerror(errno));
		goto fail;
	}
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		ret = udrv_vfio_group_viable(dev->name, group_id, "vfio-pci");
		if (!ret)
			ret = udrv_err(EBUSY,
				       "%s: IOMMU group %d is not viable: the kernel wants every function in it on vfio-pci or on no driver",
				       dev->name, group_id);
		goto fail;
	}
	if (container.iommu_type &&
	    (container.iommu_type == VFIO_NOIOMMU_IOMMU) != noiommu) {
		ret = udrv_err(EINVAL, "%s: cannot mix no-IOMMU and IOMMU groups in one container",
			       dev->name);
		goto fail;
	}
	if (ioctl(g->fd, VFIO_GROUP_SET_CONTAINER, &container.fd)) {
		ret = udrv_err(errno, "%s: attaching IOMMU group %d to the container: %s",
			       dev->name, group_id, strerror(errno));
		goto fail;
	}
	if (!container.iommu_type) {
		type = set_iommu(dev, noiommu);
		if (type < 0) {
			ret = type;
			ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
			goto fail;
		}
		container.iommu_type = type;
	}
	g->refs = 1;
	g->next = container.groups;
	container.groups = g;
	*out = g;
	return 0;
fail:
	if (g->fd >= 0)
		close(g->fd);
	free(g);
	return ret;
}

int udrv_vfio_get_group(struct udrv_device *dev, int group_id, int *group_fd, bool *noiommu)
{
	struct vfio_group *g;
	int ret;

	pthread_mutex_lock(&container.lock);
	for (g = container.groups; g; g = g->next)
		if (g->id == group_id)
			break;
	if (g) {
		g->refs++;
		ret = 0;
	} else {
		ret = container_open(dev);
		if (!ret)
			ret = group_attach(dev, group_id, &g);
		if (ret)
			container_put();
	}
	if (!ret) {
		*group_fd = g->fd;
		*noiommu = g->noiommu;
	}
	pthread_mutex_unlock(&container.lock);
	return ret;
}

void udrv_vfio_put_group(int group_id)
{
	struct vfio_group **pg, *g;

	pthread_mutex_lock(&container.lock);
	for (pg = &container.groups; (g = *pg); pg = &g->next) {
		if (g->id != group_id)
			continue;
		if (--g->refs == 0) {
			*pg = g->next;
			ioctl(g->fd, VFIO_GROUP_UNSET_CONTAINER);
			close(g->fd);
			free(g);
		}
		break;
	}
	container_put();
	pthread_mutex_unlock(&container.lock);
}

/*
 * In a forked child: the container and group fds are copies of the
 * parent's, whose IOMMU mappings they would reach (a child's map at IOVA
 * 0x1000 would land in the parent's container and outlive the child).
 * Close the copies and start from nothing: the child's next udrv_open()
 * opens a container of its own.  The parent's lock may have been held by
 * another of its threads, which the child does not have: initialise it.
 */
void udrv_vfio_fork_child(void)
{
	struct vfio_group *g, *next;

	/* The same for the iommufd and its IOAS (iommufd.c). */
	udrv_iommufd_fork_child();
	pthread_mutex_init(&container.lock, NULL);
	for (g = container.groups; g; g = next) {
		next = g->next;
		close(g->fd);
		free(g);
	}
	container.groups = NULL;
	if (container.fd >= 0)
		close(container.fd);
	container.fd = -1;
	container.iommu_type = 0;
	if (container.iova_ready)
		udrv_iova_destroy(&container.iova);
	container.iova_ready = false;
}

int udrv_vfio_container_fd(void)
{
	return container.fd;
}

/*
 * The IOVA space: the ranges VFIO_IOMMU_GET_INFO reports as usable (its
 * IOVA_RANGE capability; everything if the kernel has none), in pages of
 * the IOMMU's smallest supported size.
 */
static int iova_setup(struct udrv_device *dev)
{
	struct vfio_iommu_type1_info q = { .argsz = sizeof(q) }, *info;
	const struct vfio_iommu_type1_info_cap_iova_range *r = NULL;
	struct udrv_range *ranges = NULL;
	uint64_t page = sysconf(_SC_PAGESIZE);
	size_t i;
	int ret;

	ret = udrv_vfio_info(container.fd, VFIO_IOMMU_GET_INFO, &q, sizeof(q), (void **)&info);
	if (ret)
		return udrv_err(ret, "%s: VFIO_IOMMU_GET_INFO: %s", dev->name, strerror(-ret));
	if ((info->flags & VFIO_IOMMU_INFO_PGSIZES) && info->iova_pgsizes)
		page = info->iova_pgsizes & -info->iova_pgsizes;
	if (info->flags & VFIO_IOMMU_INFO_CAPS)
		r = (const void *)udrv_vfio_info_cap(info, info->argsz, sizeof(*info),
						     info->cap_offset,
						     VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	if (r && r->nr_iovas) {
		ranges = calloc(r->nr_iovas, sizeof(*ranges));
		if (!ranges) {
			ret = udrv_err(ENOMEM, "%s: out of memory", dev->name);
			goto out;
		}
		for (i = 0; i < r->nr_iovas; i++) {
			ranges[i].offset = r->iova_ranges[i].start;
			ranges[i].size = r->iova_ranges[i].end - r->iova_ranges[i].start + 1;
		}
		ret = udrv_iova_init(&container.iova, ranges, r->nr_iovas, UINT64_MAX, page);
	} else {
		static const struct udrv_range all = { 0, UINT64_MAX };

		ret = udrv_iova_init(&container.iova, &all, 1, UINT64_MAX, page);
	}
	if (ret)
		ret = udrv_err(-ret, "%s: the IOMMU reports no usable IOVA range", dev->name);
	else
		container.iova_ready = true;
out:
	free(ranges);
	free(info);
	return ret;
}

/* Give @v's magazine back to the space; under the container's lock. */
static void mag_drain_locked(struct udrv_vfio *v)
{
	uint64_t iova, size;

	while (udrv_iova_mag_pop(&v->mag, &iova, &size))
		if (container.iova_ready)
			udrv_iova_free(&container.iova, iova, size);
}

/*
 * The device's magazine had no IOVA of @size: while the container's lock is
 * held, take half a magazine more of them, so the next maps of that size
 * (a driver filling its rings) do not come back for each.
 */
static void mag_refill_locked(struct udrv_vfio *v, uint64_t size, uint64_t align, uint64_t limit)
{
	unsigned int i;
	uint64_t iova;

	if (udrv_iova_mag_class(size) == UDRV_IOVA_MAG_CLASSES)
		return;
	for (i = 0; i < UDRV_IOVA_MAG_DEPTH / 2; i++) {
		if (udrv_iova_alloc_below(&container.iova, size, align, limit, &iova))
			return;
		if (!udrv_iova_mag_put(&v->mag, iova, size)) {
			udrv_iova_free(&container.iova, iova, size);
			return;
		}
	}
}

/*
 * The container's space (the device's magazine had none, vfio.h).  If it
 * has no room, the magazine's IOVAs go back into it and it is asked once more.
 */
int udrv_vfio_container_iova_alloc(struct udrv_device *dev, uint64_t size, uint64_t align,
				   uint64_t limit, uint64_t *iova)
{
	struct udrv_vfio *v = udrv_vfio(dev);
	int ret = 0;

	pthread_mutex_lock(&container.lock);
	if (!container.iova_ready)
		ret = iova_setup(dev);
	if (!ret) {
		if (align < container.iova.page)
			align = container.iova.page;
		ret = udrv_iova_alloc_below(&container.iova, size, align, limit, iova);
		if (ret == -ENOSPC) {
			mag_drain_locked(v);
			ret = udrv_iova_alloc_below(&container.iova, size, align, limit, iova);
		}
		if (ret)
			ret = udrv_err(-ret, "%s: no free IOVA range of %llu bytes below 0x%llx (the device's DMA mask): free buffers or raise the mask",
				       dev->name, (unsigned long long)size, (unsigned long long)limit);
		else
			mag_refill_locked(v, size, align, limit);
	}
	pthread_mutex_unlock(&container.lock);
	return ret;
}

/*
 * The magazine's class of @size is full: give back @iova and the newest
 * half of the class, under one lock, so the next frees find room.
 */
void udrv_vfio_container_iova_free(struct udrv_device *dev, uint64_t iova, uint64_t size)
{
	struct udrv_vfio *v = udrv_vfio(dev);
	unsigned int i;
	uint64_t old;

	pthread_mutex_lock(&container.lock);
	if (container.iova_ready) {
		udrv_iova_free(&container.iova, iova, size);
		for (i = 0; i < UDRV_IOVA_MAG_DEPTH / 2 &&
		     udrv_iova_mag_get(&v->mag, size, 1, UINT64_MAX, &old); i++)
			udrv_iova_free(&container.iova, old, size);
	}
	pthread_mutex_unlock(&container.lock);
}

void udrv_vfio_iova_drain(struct udrv_vfio *v)
{
	pthread_mutex_lock(&container.lock);
	mag_drain_locked(v);
	pthread_mutex_unlock(&container.lock);
}
