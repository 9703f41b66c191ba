// SPDX-License-Identifier: MIT
/*
 * DMA buffers: the generic part.  Each backend's dma_alloc fills in the
 * buffer; here the mask is checked and remembered, and the device's buffers
 * are kept in a balanced tree by address (dma_tree.c), so filing, freeing
 * and udrv_dma_addr() are O(log n) however many buffers there are and in
 * whatever order they are freed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "udrv_internal.h"

_Static_assert(offsetof(struct udrv_dma_buf, pub) == 0, "udrv_dma_buf_of() casts a handle");

uint64_t udrv_dma_limit(const struct udrv_device *dev)
{
	unsigned int bits = dev->dma.mask_bits ? dev->dma.mask_bits : 64;

	return bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;
}

UDRV_EXPORT int udrv_dma_set_mask(struct udrv_device *dev, unsigned int bits)
{
	int ret;

	if (bits < 24 || bits > 64)
		return udrv_err(EINVAL, "%s: DMA mask of %u bits: must be 24 to 64", dev->name, bits);
	if (dev->ops->dma_set_mask) {
		ret = dev->ops->dma_set_mask(dev, bits);
		if (ret)
			return ret;
	}
	dev->dma.mask_bits = bits;
	return 0;
}

/* Allocate (@vaddr NULL) or map the caller's memory, and file the buffer. */
static int new_buf(struct udrv_device *dev, void *vaddr, size_t size, bool streaming,
		   struct udrv_dma **bufp)
{
	int (*op)(struct udrv_device *, size_t, struct udrv_dma_buf *) = dev->ops->dma_alloc;
	size_t pg = (size_t)getpagesize(); /* sysconf() costs ~50 instructions a call */
	size_t len = (size + pg - 1) & ~(pg - 1);
	struct udrv_dma_buf *buf;
	int ret;

	if (!bufp)
		return udrv_err(EINVAL, "%s: no buffer pointer given", dev->name);
	*bufp = NULL;
	if (!op)
		return udrv_err(ENOTSUP, "%s: the %s backend has no DMA (bind the device to vfio-pci, udrv_stub or uio_pci_generic)",
				dev->name, dev->ops->name);
	if (vaddr && !dev->ops->dma_map)
		return udrv_err(ENOTSUP, "%s: mapping your own memory needs an IOMMU (vfio-pci); use udrv_dma_alloc() on the %s backend",
				dev->name, dev->ops->name);
	if (!size)
		return udrv_err(EINVAL, "%s: DMA buffer of 0 bytes", dev->name);
	if (len < size || (vaddr && (uintptr_t)vaddr + len < (uintptr_t)vaddr))
		return udrv_err(EINVAL, "%s: DMA buffer of %zu bytes%s runs past the end of the address space",
				dev->name, size, vaddr ? " at that address" : "");
	if (vaddr && ((uintptr_t)vaddr & (pg - 1)))
		return udrv_err(EINVAL, "%s: %p is not page-aligned (allocate with mmap or posix_memalign)",
				dev->name, vaddr);
	if (vaddr && udrv_dma_tree_find(dev->dma.tree, vaddr, len))
		return udrv_err(EEXIST, "%s: %p is already in a DMA buffer of this device: use udrv_dma_addr()",
				dev->name, vaddr);
	buf = malloc(sizeof(*buf));
	if (!buf)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	*buf = (struct udrv_dma_buf){ .fd = -1, .streaming = streaming };
	if (vaddr) {
		buf->pub.vaddr = vaddr;
		buf->pub.size = len;
		ret = dev->ops->dma_map(dev, buf);
	} else {
		ret = op(dev, size, buf);
	}
	/* Fresh memory overlapping a buffer was released without udrv_dma_free(). */
	if (!ret && !vaddr && udrv_dma_tree_find(dev->dma.tree, buf->pub.vaddr, buf->pub.size)) {
		ret = udrv_err(EEXIST, "%s: new buffer at %p overlaps a DMA buffer whose memory was unmapped without udrv_dma_free()",
			       dev->name, buf->pub.vaddr);
		dev->ops->dma_free(dev, buf);
	}
	if (ret) {
		free(buf);
		return ret;
	}
	udrv_dma_tree_insert(&dev->dma.tree, buf);
	*bufp = &buf->pub;
	return 0;
}

UDRV_EXPORT int udrv_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma **bufp)
{
	return new_buf(dev, NULL, size, false, bufp);
}

UDRV_EXPORT int udrv_dma_alloc_streaming(struct udrv_device *dev, size_t size,
					 struct udrv_dma **bufp)
{
	return new_buf(dev, NULL, size, true, bufp);
}

UDRV_EXPORT int udrv_dma_map(struct udrv_device *dev, void *vaddr, size_t size,
			     struct udrv_dma **bufp)
{
	if (!vaddr)
		return udrv_err(EINVAL, "%s: udrv_dma_map of a NULL address", dev->name);
	return new_buf(dev, vaddr, size, false, bufp);
}

/* @pub's buffer if it is one of @dev's, else NULL. */
static struct udrv_dma_buf *find_buf(struct udrv_device *dev, const struct udrv_dma *pub)
{
	struct udrv_dma_buf *buf = pub ? udrv_dma_tree_find(dev->dma.tree, pub->vaddr, 1) : NULL;

	return buf && &buf->pub == pub ? buf : NULL;
}

UDRV_EXPORT void udrv_dma_free(struct udrv_device *dev, struct udrv_dma *pub)
{
	struct udrv_dma_buf *buf = pub ? udrv_dma_buf_of(pub) : NULL;

	/* NULL or not this device's: leave it alone. */
	if (!buf || !udrv_dma_tree_remove(&dev->dma.tree, buf))
		return;
	dev->ops->dma_free(dev, buf);
	free(buf);
}

void udrv_dma_release_all(struct udrv_device *dev)
{
	while (dev->dma.tree)
		udrv_dma_free(dev, &dev->dma.tree->pub);
	if (dev->dma.ctl_fd >= 0)
		close(dev->dma.ctl_fd);
	dev->dma.ctl_fd = -1;
}

UDRV_EXPORT int udrv_dma_addr(struct udrv_device *dev, const void *p, uint64_t *iova)
{
	struct udrv_dma_buf *buf = udrv_dma_tree_find(dev->dma.tree, p, 1);
	const struct udrv_dma *b = buf ? &buf->pub : NULL;

	if (!b)
		return udrv_err(EFAULT, "%s: %p is in none of the device's DMA buffers", dev->name, p);
	*iova = b->iova + ((const char *)p - (const char *)b->vaddr);
	return 0;
}

/*
 * Coherent memory (every buffer on x86 but the stub's streaming ones) needs
 * nothing; a streaming dma-buf brackets CPU access with DMA_BUF_IOCTL_SYNC,
 * which the stub turns into dma_sync_sgtable_for_cpu/for_device.
 */
static int dma_buf_sync(struct udrv_device *dev, struct udrv_dma *pub, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags | DMA_BUF_SYNC_RW };
	struct udrv_dma_buf *buf = find_buf(dev, pub);

	if (!buf)
		return udrv_err(EINVAL, "%s: not a DMA buffer of this device", dev->name);
	if (buf->fd < 0)
		return 0;
	if (ioctl(buf->fd, DMA_BUF_IOCTL_SYNC, &s))
		return udrv_err(errno, "%s: DMA_BUF_IOCTL_SYNC: %s", dev->name, strerror(errno));
	return 0;
}

UDRV_EXPORT int udrv_dma_sync_for_cpu(struct udrv_device *dev, struct udrv_dma *buf)
{
	return dma_buf_sync(dev, buf, DMA_BUF_SYNC_START);
}

UDRV_EXPORT int udrv_dma_sync_for_device(struct udrv_device *dev, struct udrv_dma *buf)
{
	return dma_buf_sync(dev, buf, DMA_BUF_SYNC_END);
}
