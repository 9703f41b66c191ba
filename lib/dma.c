// SPDX-License-Identifier: MIT
/*
 * DMA buffers: the generic part.  Each backend's dma_alloc fills in the
 * buffer; here the mask is checked and remembered, and the device's buffers
 * are kept sorted by address so that udrv_dma_addr() is a binary search.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include "udrv_internal.h"

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

/* Index of the first buffer whose vaddr is above @p. */
static size_t upper_bound(const struct udrv_dma_state *d, const void *p)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((const char *)d->bufs[mid]->pub.vaddr <= (const char *)p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Make room for one more buffer in the sorted array. */
static int reserve_slot(struct udrv_device *dev)
{
	struct udrv_dma_state *d = &dev->dma;
	struct udrv_dma_buf **bigger;
	size_t cap;

	if (d->n < d->cap)
		return 0;
	cap = d->cap ? d->cap * 2 : 16;
	bigger = realloc(d->bufs, cap * sizeof(*bigger));
	if (!bigger)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	d->bufs = bigger;
	d->cap = cap;
	return 0;
}

static void insert_buf(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	struct udrv_dma_state *d = &dev->dma;
	size_t i = upper_bound(d, buf->pub.vaddr);

	memmove(&d->bufs[i + 1], &d->bufs[i], (d->n - i) * sizeof(*d->bufs));
	d->bufs[i] = buf;
	d->n++;
}

/* Allocate (@vaddr NULL) or map the caller's memory, and file the buffer. */
static int new_buf(struct udrv_device *dev, void *vaddr, size_t size, bool streaming,
		   struct udrv_dma **bufp)
{
	int (*op)(struct udrv_device *, size_t, struct udrv_dma_buf *) = dev->ops->dma_alloc;
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
	if (vaddr && ((uintptr_t)vaddr & (sysconf(_SC_PAGESIZE) - 1)))
		return udrv_err(EINVAL, "%s: %p is not page-aligned (allocate with mmap or posix_memalign)",
				dev->name, vaddr);
	ret = reserve_slot(dev);
	if (ret)
		return ret;
	buf = calloc(1, sizeof(*buf));
	if (!buf)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	buf->fd = -1;
	buf->streaming = streaming;
	if (vaddr) {
		buf->pub.vaddr = vaddr;
		buf->pub.size = (size + sysconf(_SC_PAGESIZE) - 1) & ~(size_t)(sysconf(_SC_PAGESIZE) - 1);
		ret = dev->ops->dma_map(dev, buf);
	} else {
		ret = op(dev, size, buf);
	}
	if (ret) {
		free(buf);
		return ret;
	}
	insert_buf(dev, buf);
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

static size_t find_buf(struct udrv_device *dev, const struct udrv_dma *pub)
{
	size_t i = upper_bound(&dev->dma, pub->vaddr);

	return i > 0 && &dev->dma.bufs[i - 1]->pub == pub ? i - 1 : dev->dma.n;
}

UDRV_EXPORT void udrv_dma_free(struct udrv_device *dev, struct udrv_dma *pub)
{
	struct udrv_dma_buf *buf;
	size_t i;

	if (!pub)
		return;
	i = find_buf(dev, pub);
	if (i == dev->dma.n)
		return; /* not this device's: leave it alone */
	buf = dev->dma.bufs[i];
	memmove(&dev->dma.bufs[i], &dev->dma.bufs[i + 1], (dev->dma.n - i - 1) * sizeof(*dev->dma.bufs));
	dev->dma.n--;
	dev->ops->dma_free(dev, buf);
	free(buf);
}

void udrv_dma_release_all(struct udrv_device *dev)
{
	while (dev->dma.n)
		udrv_dma_free(dev, &dev->dma.bufs[dev->dma.n - 1]->pub);
	free(dev->dma.bufs);
	dev->dma.bufs = NULL;
	dev->dma.cap = 0;
	if (dev->dma.ctl_fd >= 0)
		close(dev->dma.ctl_fd);
	dev->dma.ctl_fd = -1;
}

UDRV_EXPORT int udrv_dma_addr(struct udrv_device *dev, const void *p, uint64_t *iova)
{
	size_t i = upper_bound(&dev->dma, p);
	const struct udrv_dma *b = i ? &dev->dma.bufs[i - 1]->pub : NULL;

	if (!b || (const char *)p >= (const char *)b->vaddr + b->size)
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
	size_t i = find_buf(dev, pub);

	if (!pub || i == dev->dma.n)
		return udrv_err(EINVAL, "%s: not a DMA buffer of this device", dev->name);
	if (dev->dma.bufs[i]->fd < 0)
		return 0;
	if (ioctl(dev->dma.bufs[i]->fd, DMA_BUF_IOCTL_SYNC, &s))
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
