/* SPDX-License-Identifier: MIT */
/*
 * VFIO backend internals: the device's state, the process's container
 * (container.c), VFIO's info/capability ioctls (info.c), group viability
 * (viable.c) and DMA (dma.c).
 */
#ifndef UDRV_BACKEND_VFIO_H
#define UDRV_BACKEND_VFIO_H

#include <linux/vfio.h>

#include "iova_mag.h"
#include "udrv_internal.h"

struct udrv_vfio {
	enum udrv_vfio_mode mode; /* how the device fd was had (mode.c) */
	int group;               /* borrowed from container.c, or -1 (iommufd) */
	int container;           /* the container's fd while the group is in it (type1), or -1 */
	int device;              /* device fd, or -1 */
	int group_id;
	struct vfio_device_info info;
	uint64_t config_offset;
	uint64_t bar_offset[UDRV_NUM_BARS]; /* region offsets, set by vfio_bar_info() */
	struct vfio_region_info *region[UDRV_NUM_BARS]; /* vfio_bar_info()'s reply, for vfio_bar_map() */
	unsigned int irq_index;  /* VFIO_PCI_*_IRQ_INDEX of the enabled interrupts */
	int *irq_fds;            /* their eventfds (dev->irq.fds) */
	struct udrv_iova_mag mag; /* IOVAs this device freed, for its next buffers (type1) */
};

static inline struct udrv_vfio *udrv_vfio(struct udrv_device *dev)
{
	return dev->priv;
}

/*
 * Device addresses for type1 mappings: the device's magazine of freed IOVAs
 * (iova_mag.h) in front of the container's space (container.c); under the
 * device's DMA lock.  Inline: the magazine is the path of every small map.
 * The container refills an empty class by half a magazine and takes half
 * of a full one back, each under one lock.
 */
int udrv_vfio_container_iova_alloc(struct udrv_device *dev, uint64_t size, uint64_t align,
				   uint64_t limit, uint64_t *iova);
void udrv_vfio_container_iova_free(struct udrv_device *dev, uint64_t iova, uint64_t size);

static inline int udrv_vfio_iova_alloc(struct udrv_device *dev, uint64_t size, uint64_t align,
				       uint64_t limit, uint64_t *iova)
{
	if (udrv_iova_mag_get(&udrv_vfio(dev)->mag, size, align, limit, iova))
		return 0;
	return udrv_vfio_container_iova_alloc(dev, size, align, limit, iova);
}

static inline void udrv_vfio_iova_free(struct udrv_device *dev, uint64_t iova, uint64_t size)
{
	if (!udrv_iova_mag_put(&udrv_vfio(dev)->mag, iova, size))
		udrv_vfio_container_iova_free(dev, iova, size);
}

/*
 * info.c: one VFIO "info" ioctl whose reply may grow by a capability chain
 * (VFIO_DEVICE_GET_REGION_INFO, VFIO_IOMMU_GET_INFO...): @info holds
 * @size bytes with argsz (its first field) set; grown and asked again
 * until the chain fits.  On success *@infop is the reply (malloc'd);
 * errno-style return, no message (the caller names the ioctl).
 */
int udrv_vfio_info(int fd, unsigned long request, void *info, size_t size, void **infop);
/*
 * The capability @id in the chain of a reply of @argsz bytes whose chain
 * starts at @cap_offset (0: none); NULL if absent or malformed.  Offsets
 * below @hdr_size (the fixed part) are malformed.
 */
const struct vfio_info_cap_header *udrv_vfio_info_cap(const void *info, uint32_t argsz,
							size_t hdr_size, uint32_t cap_offset,
							uint16_t id);
/* VFIO_DEVICE_GET_REGION_INFO of region @index, with a message on failure. */
int udrv_vfio_region_info(struct udrv_device *dev, unsigned int index,
			  struct vfio_region_info **infop);

/* container.c: the process's container and its groups */
int udrv_vfio_group_path(int group_id, char *buf, size_t size, bool *noiommu);
/* The group's fd, attached to the container; *@noiommu: it is a no-IOMMU group. */
int udrv_vfio_get_group(struct udrv_device *dev, int group_id, int *group_fd, bool *noiommu);
void udrv_vfio_put_group(int group_id);
int udrv_vfio_container_fd(void);
/* In a forked child: close the copies of the parent's container and groups, start afresh. */
void udrv_vfio_fork_child(void);
/* Give the device's magazine back to the container (before the device lets its group go). */
void udrv_vfio_iova_drain(struct udrv_vfio *v);

/*
 * viable.c: can IOMMU group @group be used by VFIO?  0 if every function
 * in it other than @name is on a driver that leaves the group usable (none,
 * the vfio family, pci-stub, pcieport); else -EBUSY with a message naming
 * them, for @driver ("vfio-pci") that @name is to be bound to or is on.
 */
int udrv_vfio_group_viable(const char *name, int group, const char *driver);

/*
 * mode.c: the device fd in the mode dev->opts.vfio_mode asks for or the
 * kernel offers (iommufd, type1 container, no-IOMMU container), and its release.
 */
int udrv_vfio_open_device(struct udrv_device *dev, struct udrv_vfio *v);
void udrv_vfio_close_device(struct udrv_vfio *v);

/*
 * iommufd.c: the process's iommufd (/dev/iommu) and its one IOAS, shared by
 * every device opened through iommufd as the container is by type1 ones.
 */
bool udrv_iommufd_built(void);  /* false: built without the UAPI headers */
/* /dev/vfio/devices/vfioN of PCI function @name into @path; -ENOENT if none. */
int udrv_iommufd_cdev(const char *name, char *path, size_t size);
/* Open @name's cdev, bind it to the iommufd and attach it to the IOAS. */
int udrv_iommufd_open(struct udrv_device *dev, int *devfd);
void udrv_iommufd_close(int devfd);
/* In a forked child: drop the copy of the parent's iommufd (call from fork_child). */
void udrv_iommufd_fork_child(void);
int udrv_iommufd_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf);
int udrv_iommufd_dma_map(struct udrv_device *dev, struct udrv_dma_buf *buf);
int udrv_iommufd_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf);

/* dma.c: the DMA ops, which dispatch on the mode; type1's map, and the memory both IOMMU modes map. */
int udrv_vfio_mode_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf);
int udrv_vfio_mode_dma_map(struct udrv_device *dev, struct udrv_dma_buf *buf);
int udrv_vfio_mode_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf);
int udrv_vfio_dma_alloc_mapped(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf,
			       int (*map)(struct udrv_device *dev, struct udrv_dma_buf *buf));
int udrv_vfio_dma_map(struct udrv_device *dev, struct udrv_dma_buf *buf);

#endif /* UDRV_BACKEND_VFIO_H */
