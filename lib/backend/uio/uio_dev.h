/* SPDX-License-Identifier: MIT */
/*
 * A device exported through UIO as /dev/uioN: what uio_pci_generic and
 * udrv_stub share.  BARs are the UIO maps listed in
 * /sys/class/uio/uioN/maps, mapped with mmap(/dev/uioN, offset = map index
 * * page size); the one interrupt is a read() of /dev/uioN, which returns
 * the device's total event count.  Config space, I/O ports and BARs the UIO
 * driver does not export go through the sysfs files (sysfs/files.h).
 */
#ifndef UDRV_BACKEND_UIO_DEV_H
#define UDRV_BACKEND_UIO_DEV_H

#include "sysfs/files.h"

/* A UIO backend's private state starts with this (and this with the sysfs files). */
struct udrv_uio {
	struct udrv_sysfs_files files; /* first: files.h */
	int fd;                        /* /dev/uioN, or -1 */
	int num;                       /* N, or -1 */
	uint32_t last;                 /* event count at the last wait */
	int irq_fd[1];                 /* dev->irq.fds: fd, while interrupts are on */
};

static inline struct udrv_uio *udrv_uio(struct udrv_device *dev)
{
	return dev->priv;
}

/* Find uioN of a function bound to @driver, open it and the sysfs files. */
int udrv_uio_open(struct udrv_device *dev, struct udrv_uio *u, const char *driver);
void udrv_uio_close(struct udrv_uio *u);

/*
 * The pages a UIO map of @size bytes at physical address @addr covers: UIO
 * maps whole pages starting at the page of @addr.
 */
void udrv_uio_map_span(uint64_t addr, uint64_t size, uint64_t page, uint64_t *start,
		       uint64_t *len);

/* Ops, on the struct udrv_uio at the start of dev->priv. */
int udrv_uio_bar_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map);
int udrv_uio_irq_read(struct udrv_device *dev, unsigned int vec, uint64_t *events);
/* Start counting from the sysfs "event" value; dev->irq gets the one vector. */
int udrv_uio_irq_setup(struct udrv_device *dev, enum udrv_irq_type type);

/* The ops every UIO backend takes from here and from the sysfs files. */
#define UDRV_UIO_DEVICE_OPS                           \
	.bar_info = udrv_sysfs_mappable_bar_info,     \
	.bar_map = udrv_uio_bar_map,                  \
	.config_read = udrv_sysfs_config_read,        \
	.config_write = udrv_sysfs_config_write,      \
	.bar_rw = udrv_sysfs_bar_rw,                  \
	.reset = udrv_sysfs_reset,                    \
	.irq_read = udrv_uio_irq_read

/* dma.c: uio_pci_generic's DMA buffers (huge pages, physical addresses). */
int udrv_uio_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf);
int udrv_uio_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf);

#endif /* UDRV_BACKEND_UIO_DEV_H */
