// SPDX-License-Identifier: MIT
/*
 * DMA buffers: the generic part.  Each backend's dma_alloc fills in the
 * buffer; here the mask is checked and remembered, and the device's buffers
 * are kept in a balanced tree by address (dma_tree.c), so filing, freeing
 * and udrv_dma_addr() are O(log n) however many buffers there are and in
 * whatever order they are freed.  The device's DMA lock guards the tree and
 * the mask, so any number of threads may use one device's DMA calls at once
 * (<udrv/dma.h>); it is held across the backend's op, which also keeps two
 * threads from mapping the same memory.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udrv_internal.h"

_Static_assert(offsetof(struct udrv_dma_buf, pub) == 0, "udrv_dma_buf_of() casts a handle");

uint64_t udrv_dma_limit(const struct udrv_device *dev)
{
	unsigned int bits = dev->dma.mask_bits ? dev->dma.mask_bits : 64;

	return bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;
}

UDRV_EXPORT int udrv_dma_set_mask(struct udrv_device *dev, unsigned int bits)
{
	int ret = 0;

	if (bits < UDRV_DMA_MASK_BITS_MIN || bits > UDRV_DMA_MASK_BITS_MAX)
		return udrv_err(EINVAL, "%s: DMA mask of %u bits: must be %d to %d", dev->name, bits,
				UDRV_DMA_MASK_BITS_MIN, UDRV_DMA_MASK_BITS_MAX);
	pthread_mutex_lock(&dev->dma.lock);
	if (dev->ops->dma_set_mask)
		ret = dev->ops->dma_set_mask(dev, bits);
	if (!ret)
		dev->dma.mask_bits = bits;
	pthread_mutex_unlock(&dev->dma.lock);
	return ret;
}

/* Check the arguments of a new buffer; its page-rounded length in *@len. */
static int check_new(struct udrv_device *dev, void *vaddr, size_t size, struct udrv_dma **bufp,
		     size_t *len)
{
	size_t pg = (size_t)getpagesize(); /* sysconf() costs ~50 instructions a call */

	*len = (size + pg - 1) & ~(pg - 1);
	if (!bufp)
		return udrv_err(EINVAL, "%s: no buffer pointer given", dev->name);
	*bufp = NULL;
	if (!dev->ops->dma_alloc)
		return udrv_err(ENOTSUP, "%s: the %s backend has no DMA (bind the device to vfio-pci, udrv_stub or uio_pci_generic)",
				dev->name, dev->ops->path.name);
	if (vaddr && !dev->ops->dma_map)
		return udrv_err(ENOTSUP, "%s: mapping your own memory needs an IOMMU (vfio-pci); use udrv_dma_alloc() on the %s backend",
				dev->name, dev->ops->path.name);
	if (!size)
		return udrv_err(EINVAL, "%s: DMA buffer of 0 bytes", dev->name);
	if (*len < size || (vaddr && (uintptr_t)vaddr + *len < (uintptr_t)vaddr))
		return udrv_err(EINVAL, "%s: DMA buffer of %zu bytes%s runs past the end of the address space",
				dev->name, size, vaddr ? " at that address" : "");
	if (vaddr && ((uintptr_t)vaddr & (pg - 1)))
		return udrv_err(EINVAL, "%s: %p is not page-aligned (allocate with mmap or posix_memalign)",
				dev->name, vaddr);
	return 0;
}

/* Allocate (@vaddr NULL) or map the caller's memory, and file the buffer; under the lock. */
static int new_buf_locked(struct udrv_device *dev, void *vaddr, size_t size, size_t len,
			  bool streaming, struct udrv_dma **bufp)
{
	struct udrv_dma_buf *buf;
	int ret;

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
		ret = dev->ops->dma_alloc(dev, size, buf);
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

static int new_buf(struct udrv_device *dev, void *vaddr, size_t size, bool streaming,
		   struct udrv_dma **bufp)
{
	size_t len;
	int ret = check_new(dev, vaddr, size, bufp, &len);

	if (ret)
		return ret;
	pthread_mutex_lock(&dev->dma.lock);
	ret = new_buf_locked(dev, vaddr, size, len, streaming, bufp);
	pthread_mutex_unlock(&dev->dma.lock);
	return ret;
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

/* @pub's buffer if it is one of @dev's, else NULL; under the lock. */
static struct udrv_dma_buf *find_buf(struct udrv_device *dev, const struct udrv_dma *pub)
{
	struct udrv_dma_buf *buf = pub ? udrv_dma_tree_find(dev->dma.tree, pub->vaddr, 1) : NULL;

	return buf && &buf->pub == pub ? buf : NULL;
}

/* Release a buffer taken out of the tree; a failure is reported, the buffer forgotten. */
static void release(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	int ret = dev->ops->dma_free(dev, buf);

	if (ret)
		udrv_err(ret, "%s: releasing the %zu-byte DMA buffer at %p (device address 0x%llx) failed: %s; its device address stays reserved",
			 dev->name, buf->pub.size, buf->pub.vaddr, (unsigned long long)buf->pub.iova,
			 strerror(-ret));
	free(buf);
}

UDRV_EXPORT void udrv_dma_free(struct udrv_device *dev, struct udrv_dma *pub)
{
	struct udrv_dma_buf *buf = pub ? udrv_dma_buf_of(pub) : NULL;
	bool mine;

	if (!buf)
		return;
	pthread_mutex_lock(&dev->dma.lock);
	mine = udrv_dma_tree_remove(&dev->dma.tree, buf);
	pthread_mutex_unlock(&dev->dma.lock);
	/* Not this device's: leave it alone. */
	if (mine)
		release(dev, buf);
}

void udrv_dma_release_all(struct udrv_device *dev)
{
	struct udrv_dma_buf *buf;

	pthread_mutex_lock(&dev->dma.lock);
	while ((buf = dev->dma.tree)) {
		udrv_dma_tree_remove(&dev->dma.tree, buf);
		release(dev, buf);
	}
	pthread_mutex_unlock(&dev->dma.lock);
}

UDRV_EXPORT int udrv_dma_addr(struct udrv_device *dev, const void *p, uint64_t *iova)
{
	struct udrv_dma_buf *buf;
	int ret = 0;

	pthread_mutex_lock(&dev->dma.lock);
	buf = udrv_dma_tree_find(dev->dma.tree, p, 1);
	if (buf)
		*iova = buf->pub.iova + ((const char *)p - (const char *)buf->pub.vaddr);
	else
		ret = udrv_err(EFAULT, "%s: %p is in none of the device's DMA buffers", dev->name, p);
	pthread_mutex_unlock(&dev->dma.lock);
	return ret;
}

/*
 * Coherent memory (every buffer on x86 but the stub's streaming ones) needs
 * nothing; a backend with streaming buffers syncs them in its dma_sync op.
 */
static int dma_sync(struct udrv_device *dev, struct udrv_dma *pub, bool for_device)
{
	struct udrv_dma_buf *buf;
	int ret;

	pthread_mutex_lock(&dev->dma.lock);
	buf = find_buf(dev, pub);
	if (!buf)
		ret = udrv_err(EINVAL, "%s: not a DMA buffer of this device", dev->name);
	else
		ret = dev->ops->dma_sync ? dev->ops->dma_sync(dev, buf, for_device) : 0;
	pthread_mutex_unlock(&dev->dma.lock);
	return ret;
}

UDRV_EXPORT int udrv_dma_sync_for_cpu(struct udrv_device *dev, struct udrv_dma *buf)
{
	return dma_sync(dev, buf, false);
}

UDRV_EXPORT int udrv_dma_sync_for_device(struct udrv_device *dev, struct udrv_dma *buf)
{
	return dma_sync(dev, buf, true);
}
