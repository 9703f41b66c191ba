// SPDX-License-Identifier: MIT
/*
 * VFIO through iommufd (Linux 6.6+: CONFIG_IOMMUFD, CONFIG_VFIO_DEVICE_CDEV),
 * the kernel's successor to containers and groups, as libvfn uses it.
 *
 * The device is opened through its cdev, /dev/vfio/devices/vfioN (N from
 * /sys/bus/pci/devices/<address>/vfio-dev/), bound to the process's iommufd
 * (/dev/iommu, VFIO_DEVICE_BIND_IOMMUFD) and attached to its one IOAS (an
 * I/O address space, IOMMU_IOAS_ALLOC; VFIO_DEVICE_ATTACH_IOMMUFD_PT), which
 * every device opened this way shares, as type1 devices share the container.
 * From then on the device fd is the same as a group's: regions, config
 * space and interrupts are VFIO device ioctls (vfio.c).  DMA buffers are
 * mapped into the IOAS with IOMMU_IOAS_MAP at an IOVA udrv chooses
 * (FIXED_IOVA: below the device's mask, from the IOAS's allowed ranges,
 * IOMMU_IOAS_IOVA_RANGES, read when the first buffer is mapped), and
 * unmapped with IOMMU_IOAS_UNMAP.  Closing the device fd unbinds it; the
 * IOAS and /dev/iommu go with the last device.
 *
 * The UAPI comes from <linux/iommufd.h> and <linux/vfio.h> (lib/uapi when
 * the host's are older); a build without them has no iommufd path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif

#include "iova.h"
#include "vfio.h"

#if defined(IOMMU_IOAS_ALLOC) && defined(IOMMU_IOAS_IOVA_RANGES) && \
	defined(VFIO_DEVICE_BIND_IOMMUFD) && defined(VFIO_DEVICE_ATTACH_IOMMUFD_PT)
#define HAVE_IOMMUFD 1
#else
#define HAVE_IOMMUFD 0
#endif

bool udrv_iommufd_built(void)
{
	return HAVE_IOMMUFD;
}

int udrv_iommufd_cdev(const char *name, char *path, size_t size)
{
	char dir[PATH_MAX];
	struct dirent *de;
	struct stat st;
	int ret = -ENOENT;
	DIR *d;

	if (udrv_sysfs_pci_path(name, "vfio-dev", dir, sizeof(dir)))
		return -ENOENT;
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4)) {
			snprintf(path, size, "%s/vfio/devices/%s", udrv_dev_root(), de->d_name);
			ret = stat(path, &st) || !S_ISCHR(st.st_mode) ? -ENOENT : 0;
			break;
		}
	if (d)
		closedir(d);
	return ret;
}

#if HAVE_IOMMUFD

static struct {
	pthread_mutex_t lock;
	int fd;                      /* /dev/iommu, or -1 */
	uint32_t ioas;
	unsigned int devices;        /* bound and attached */
	struct udrv_iova_space iova; /* the IOAS's allowed ranges */
	bool iova_ready;
} ictx = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1 };

static void ctx_put_locked(void)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = ictx.ioas };

	if (ictx.devices || ictx.fd < 0)
		return;
	ioctl(ictx.fd, IOMMU_DESTROY, &d);
	close(ictx.fd);
	ictx.fd = -1;
	if (ictx.iova_ready)
		udrv_iova_destroy(&ictx.iova);
	ictx.iova_ready = false;
}

static int ctx_get_locked(struct udrv_device *dev)
{
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	char path[PATH_MAX];
	int err;

	if (ictx.fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/iommu", udrv_dev_root());
	ictx.fd = open(path, O_RDWR | O_CLOEXEC);
	if (ictx.fd < 0) {
		err = errno;
		return udrv_err(err, "%s: cannot open %s: %s%s", dev->name, path, strerror(err),
				err == ENOENT ? " (the kernel lacks CONFIG_IOMMUFD: use type1)" :
				err == EACCES ? " (run as root or give your user /dev/iommu)" : "");
	}
	if (ioctl(ictx.fd, IOMMU_IOAS_ALLOC, &a)) {
		err = errno;
		close(ictx.fd);
		ictx.fd = -1;
		return udrv_err(err, "%s: IOMMU_IOAS_ALLOC: %s", dev->name, strerror(err));
	}
	ictx.ioas = a.out_ioas_id;
	return 0;
}

int udrv_iommufd_open(struct udrv_device *dev, int *devfd)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
	char path[PATH_MAX];
	int fd, err, ret;

	if (udrv_iommufd_cdev(dev->name, path, sizeof(path)))
		return udrv_err(ENOTSUP, "%s: no VFIO device cdev (/dev/vfio/devices/vfioN): the kernel lacks CONFIG_VFIO_DEVICE_CDEV (Debian's 6.1 and 6.12 do) or the device is not on vfio-pci; use type1",
				dev->name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		return udrv_err(err, "%s: cannot open %s: %s%s", dev->name, path, strerror(err),
				err == EBUSY ? " (the device is in use by another process)" :
				err == EACCES ? " (run as root or give your user the device's node)" : "");
	}
	pthread_mutex_lock(&ictx.lock);
	ret = ctx_get_locked(dev);
	if (ret)
		goto fail;
	bind.iommufd = ictx.fd;
	if (ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		err = errno;
		ret = udrv_err(err, "%s: VFIO_DEVICE_BIND_IOMMUFD: %s%s", dev->name, strerror(err),
			       err == EBUSY ? " (its group is open through /dev/vfio)" :
			       err == EINVAL ? " (already open: a device is bound through one cdev fd at a time)" : "");
		goto fail;
	}
	at.pt_id = ictx.ioas;
	if (ioctl(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at)) {
		err = errno;
		ret = udrv_err(err, "%s: VFIO_DEVICE_ATTACH_IOMMUFD_PT (IOAS %u): %s%s", dev->name,
			       ictx.ioas, strerror(err),
			       err == EADDRINUSE ? " (the device's reserved ranges overlap mapped DMA buffers: open it before mapping)" : "");
		goto fail;
	}
	ictx.devices++;
	pthread_mutex_unlock(&ictx.lock);
	*devfd = fd;
	return 0;
fail:
	close(fd);
	ctx_put_locked();
	pthread_mutex_unlock(&ictx.lock);
	return ret;
}

/*
 * In a forked child: /dev/iommu is a copy of the parent's, and a map through
 * it would land in the parent's IOAS.  Close the copy and start from nothing
 * (the parent's lock may have been held by another of its threads).
 */
void udrv_iommufd_fork_child(void)
{
	pthread_mutex_init(&ictx.lock, NULL);
	if (ictx.fd >= 0)
		close(ictx.fd);
	ictx.fd = -1;
	ictx.devices = 0;
	if (ictx.iova_ready)
		udrv_iova_destroy(&ictx.iova);
	ictx.iova_ready = false;
}

void udrv_iommufd_close(int devfd)
{
	/* Closing the device fd detaches and unbinds it. */
	close(devfd);
	pthread_mutex_lock(&ictx.lock);
	if (ictx.devices)
		ictx.devices--;
	ctx_put_locked();
	pthread_mutex_unlock(&ictx.lock);
}

/* The IOAS's allowed ranges (IOMMU_IOAS_IOVA_RANGES), in pages of its alignment. */
static int iova_setup_locked(struct udrv_device *dev)
{
	struct iommu_ioas_iova_ranges q = { .size = sizeof(q), .ioas_id = ictx.ioas };
	struct iommu_iova_range *r = NULL;
	struct udrv_range *ranges = NULL;
	uint64_t page = sysconf(_SC_PAGESIZE);
	uint32_t i, n;
	int ret;

	/* Asked with no room: EMSGSIZE and the count. */
	if (ioctl(ictx.fd, IOMMU_IOAS_IOVA_RANGES, &q) && errno != EMSGSIZE)
		return udrv_err(errno, "%s: IOMMU_IOAS_IOVA_RANGES: %s", dev->name, strerror(errno));
	n = q.num_iovas;
	if (!n)
		return udrv_err(ENOSPC, "%s: the IOAS allows no IOVA range", dev->name);
	r = calloc(n, sizeof(*r));
	ranges = calloc(n, sizeof(*ranges));
	if (!r || !ranges) {
		ret = udrv_err(ENOMEM, "%s: out of memory", dev->name);
		goto out;
	}
	q.allowed_iovas = (uintptr_t)r;
	if (ioctl(ictx.fd, IOMMU_IOAS_IOVA_RANGES, &q)) {
		ret = udrv_err(errno, "%s: IOMMU_IOAS_IOVA_RANGES: %s", dev->name, strerror(errno));
		goto out;
	}
	if (q.num_iovas < n)
		n = q.num_iovas;
	if (q.out_iova_alignment > page)
		page = q.out_iova_alignment;
	for (i = 0; i < n; i++) {
		ranges[i].offset = r[i].start;
		ranges[i].size = r[i].last - r[i].start + 1;
	}
	ret = udrv_iova_init(&ictx.iova, ranges, n, UINT64_MAX, page);
	if (ret)
		ret = udrv_err(-ret, "%s: the IOAS reports no usable IOVA range", dev->name);
	else
		ictx.iova_ready = true;
out:
	free(r);
	free(ranges);
	return ret;
}

/* The power of two at or above @size, at most 2 MiB (a huge page). */
static uint64_t natural_align(uint64_t size)
{
	if (size >= UDRV_HUGE_2M)
		return UDRV_HUGE_2M;
	return size <= 1 ? 1 : 1ULL << (64 - __builtin_clzll(size - 1));
}

int udrv_iommufd_dma_map(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)buf->pub.vaddr,
		.length = buf->pub.size,
	};
	uint64_t iova, align = natural_align(buf->pub.size);
	int ret = 0, err;

	pthread_mutex_lock(&ictx.lock);
	if (!ictx.iova_ready)
		ret = iova_setup_locked(dev);
	if (!ret) {
		if (align < ictx.iova.page)
			align = ictx.iova.page;
		ret = udrv_iova_alloc_below(&ictx.iova, buf->pub.size, align, udrv_dma_limit(dev),
					    &iova);
		if (ret)
			ret = udrv_err(-ret, "%s: no free IOVA range of %zu bytes below 0x%llx (the device's DMA mask): free buffers or raise the mask",
				       dev->name, buf->pub.size,
				       (unsigned long long)udrv_dma_limit(dev));
	}
	if (!ret) {
		map.ioas_id = ictx.ioas;
		map.iova = iova;
		if (ioctl(ictx.fd, IOMMU_IOAS_MAP, &map)) {
			err = errno;
			ret = udrv_err(err, "%s: IOMMU_IOAS_MAP of %zu bytes at IOVA 0x%llx: %s%s",
				       dev->name, buf->pub.size, (unsigned long long)iova,
				       strerror(err),
				       err == ENOMEM ? " (pinned memory counts against RLIMIT_MEMLOCK: raise it with ulimit -l or run as root)" :
				       err == EFAULT ? " (the range is not mapped memory of this process)" : "");
			udrv_iova_free(&ictx.iova, iova, buf->pub.size);
		} else {
			buf->pub.iova = iova;
		}
	}
	pthread_mutex_unlock(&ictx.lock);
	return ret;
}

int udrv_iommufd_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	/* As type1: the same memory, mapped in the IOAS. */
	return udrv_vfio_dma_alloc_mapped(dev, size, buf, udrv_iommufd_dma_map);
}

int udrv_iommufd_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.iova = buf->pub.iova,
		.length = buf->pub.size,
	};
	int ret = 0;

	(void)dev;
	pthread_mutex_lock(&ictx.lock);
	unmap.ioas_id = ictx.ioas;
	if (!ioctl(ictx.fd, IOMMU_IOAS_UNMAP, &unmap))
		udrv_iova_free(&ictx.iova, buf->pub.iova, buf->pub.size);
	else
		/* The IOVA stays reserved: never reuse a live mapping.  dma.c reports it. */
		ret = -errno;
	pthread_mutex_unlock(&ictx.lock);
	if (buf->map_base && munmap(buf->map_base, buf->map_len) && !ret)
		ret = -errno;
	return ret;
}

#else /* !HAVE_IOMMUFD */

int udrv_iommufd_open(struct udrv_device *dev, int *devfd)
{
	(void)devfd;
	return udrv_err(ENOTSUP, "%s: libudrv was built without <linux/iommufd.h> (Linux 6.6+ UAPI headers): rebuild with linux-headers-6.12*-common installed, or use type1",
			dev->name);
}

void udrv_iommufd_close(int devfd)
{
	close(devfd);
}

void udrv_iommufd_fork_child(void)
{
}

int udrv_iommufd_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	(void)size;
	(void)buf;
	return udrv_err(ENOTSUP, "%s: no iommufd in this build", dev->name);
}

int udrv_iommufd_dma_map(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	(void)buf;
	return udrv_err(ENOTSUP, "%s: no iommufd in this build", dev->name);
}

int udrv_iommufd_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	(void)dev;
	(void)buf;
	return -ENOTSUP;
}

#endif /* HAVE_IOMMUFD */
