/* SPDX-License-Identifier: MIT */
/*
 * udrv_stub backend: a UIO device (uio/uio_dev.h) plus the control device
 * /dev/udrv/<address> for BAR mappings, bus mastering, interrupt vectors
 * and DMA buffers (include/uapi/linux/udrv_stub.h).
 */
#ifndef UDRV_BACKEND_STUB_H
#define UDRV_BACKEND_STUB_H

#include "uio/uio_dev.h"

struct udrv_stub {
	struct udrv_uio uio;  /* first: uio_dev.h */
	int ctl_fd;           /* /dev/udrv/<address>, opened on first use, or -1 */
};

static inline struct udrv_stub *udrv_stub(struct udrv_device *dev)
{
	return dev->priv;
}

/* stub.c: the control device's fd (opened on first use), or a negative errno. */
int udrv_stub_ctl(struct udrv_device *dev);

/* dma.c */
int udrv_stub_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf);
int udrv_stub_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf);
int udrv_stub_dma_set_mask(struct udrv_device *dev, unsigned int bits);
int udrv_stub_dma_sync(struct udrv_device *dev, struct udrv_dma_buf *buf, bool for_device);

#endif /* UDRV_BACKEND_STUB_H */
