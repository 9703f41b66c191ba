// SPDX-License-Identifier: MIT
/*
 * DMA buffers: the generic part.  Each backend's dma_alloc fills in the
 * buffer; here the mask is checked and remembered, and the device's buffers
 * are kept in a B+tree by address (dma_tree.c), so filing, freeing and
 * udrv_dma_addr() are O(log n) however many buffers there are and in
 * whatever order they are freed.  Buffers of up to UDRV_DMA_CARVE_MAX are
 * carved from the device's 2 MiB chunks instead (dma_chunk.c): the tree
 * holds the chunk, so udrv_dma_addr() finds them too.  The device's DMA
 * lock guards the tree, the chunks and the mask, so any number of threads
 * may use one device's DMA calls at once (<udrv/dma.h>); it is held across
 * the backend's op, which also keeps two threads from mapping the same
 * memory.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dma_internal.h"

_Static_assert(offsetof(struct udrv_dma_buf, pub) == 0, "udrv_dma_buf_of() casts a handle");

UDRV_EXPORT int udrv_dma_set_mask(struct udrv_device *dev, unsigned int bits)
{
	int ret = 0;

	if (bits < UDRV_DMA_MASK_BITS_MIN || bits > UDRV_DMA_MASK_BITS_MAX)
		return udrv_err(EINVAL, "%s: DMA mask of %u bits: must be %d to %d", dev->name, bits,
				UDRV_DMA_MASK_BITS_MIN, UDRV_DMA_MASK_BITS_MAX);
	pthread_mutex_lock(&dev->dma.lock);
	/* Empty chunks kept for later count as buffers to the stub: let them go. */
	udrv_dma_chunks_trim(dev, true);
	if (dev->ops->dma_set_mask)
		ret = dev->ops->dma_set_mask(dev, bits);
	if (!ret) {
		dev->dma.mask_bits = bits;
		udrv_dma_chunks_mask_changed(dev);
	}
	pthread_mutex_unlock(&dev->dma.lock);
	return ret;
}

/* The page size, asked once (every call is an emulated library call under TCG). */
static size_t page_size(void)
{
	static size_t pg;
	size_t p = __atomic_load_n(&pg, __ATOMIC_RELAXED);

	if (!p) {
		p = (size_t)getpagesize();
		__atomic_store_n(&pg, p, __ATOMIC_RELAXED);
	}
	return p;
}

/* Check the arguments of a new buffer (@pg: the page size); its page-rounded length in *@len. */
static int check_new(struct udrv_device *dev, void *vaddr, size_t size, size_t pg,
		     struct udrv_dma **bufp, size_t *len)
{
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

/*
 * A record for a new buffer: one a freed buffer left, or a new one; under
 * the lock.  A driver that maps and frees buffers at a steady rate reuses
 * the same few records rather than going to malloc() for each.
 */
static struct udrv_dma_buf *rec_get(struct udrv_device *dev)
{
	struct udrv_dma_buf *buf = dev->dma.spare;

	if (!buf)
		return malloc(sizeof(*buf));
	dev->dma.spare = buf->right;
	dev->dma.nspare--;
	return buf;
}

/* Keep @buf's record for the next buffer, up to UDRV_DMA_SPARE_MAX; under the lock. */
static void rec_put(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	if (dev->dma.nspare == UDRV_DMA_SPARE_MAX) {
		free(buf);
		return;
	}
	buf->right = dev->dma.spare;
	dev->dma.spare = buf;
	dev->dma.nspare++;
}

/* Map the caller's memory and file the buffer; under the lock.  One descent files it or finds an overlap. */
static int map_locked(struct udrv_device *dev, void *vaddr, size_t len, struct udrv_dma **bufp)
{
	struct udrv_dma_buf *buf = rec_get(dev);
	int ret;

	if (!buf)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	*buf = (struct udrv_dma_buf){ .pub = { .vaddr = vaddr, .size = len }, .fd = -1 };
	ret = udrv_dma_tree_insert_new(&dev->dma.tree, buf);
	if (ret) {
		rec_put(dev, buf);
		if (ret == -ENOMEM)
			return udrv_err(ENOMEM, "%s: out of memory", dev->name);
		return udrv_err(EEXIST, "%s: %p is already in a DMA buffer of this device: use udrv_dma_addr()",
				dev->name, vaddr);
	}
	ret = dev->ops->dma_map(dev, buf);
	if (ret) {
		udrv_dma_tree_remove(&dev->dma.tree, buf);
		rec_put(dev, buf);
		return ret;
	}
	*bufp = &buf->pub;
	return 0;
}

/* Allocate a buffer with memory of its own and file it; under the lock. */
static int alloc_own_locked(struct udrv_device *dev, size_t size, size_t align, bool streaming,
			    struct udrv_dma **bufp)
{
	struct udrv_dma_buf *buf = rec_get(dev);
	int ret;

	if (!buf)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	*buf = (struct udrv_dma_buf){ .fd = -1, .streaming = streaming };
	/* Backends align buffers to the power of two at or above their size, up to 2 MiB. */
	ret = dev->ops->dma_alloc(dev, size > align ? size : align, buf);
	if (!ret && (((uintptr_t)buf->pub.vaddr | buf->pub.iova) & (align - 1))) {
		ret = udrv_err(ENOTSUP, "%s: the %s backend gave a DMA buffer at %p, device address 0x%llx: not aligned to %zu bytes",
			       dev->name, dev->ops->path.name, buf->pub.vaddr,
			       (unsigned long long)buf->pub.iova, align);
		dev->ops->dma_free(dev, buf);
	} else if (!ret) {
		ret = udrv_dma_tree_insert_new(&dev->dma.tree, buf);
		if (ret == -ENOMEM)
			ret = udrv_err(ENOMEM, "%s: out of memory", dev->name);
		else if (ret)
			/* Fresh memory overlapping a buffer was released without udrv_dma_free(). */
			ret = udrv_err(EEXIST, "%s: new buffer at %p overlaps a DMA buffer whose memory was unmapped without udrv_dma_free()",
				       dev->name, buf->pub.vaddr);
		if (ret)
			dev->ops->dma_free(dev, buf);
	}
	if (ret) {
		rec_put(dev, buf);
		return ret;
	}
	*bufp = &buf->pub;
	return 0;
}

/*
 * Zero a carved buffer (whole pages).  On x86, rep stosq: glibc's memset
 * takes rep stosb for a page, which is as fast on hardware but 4096 steps
 * under an emulator (QEMU's TCG: 7 us a page against 1 us).
 */
static void zero(void *p, size_t len)
{
#if defined(__x86_64__)
	size_t n = len / 8;

	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ULL) : "memory");
#else
	memset(p, 0, len);
#endif
}

/*
 * Allocate: small coherent buffers are carved from a chunk; if no chunk can
 * be had, or the buffer is large or streaming, it gets memory of its own.
 */
static int alloc_locked(struct udrv_device *dev, size_t size, size_t len, size_t align,
			bool streaming, struct udrv_dma **bufp)
{
	struct udrv_err_saved saved;
	struct udrv_dma_buf *piece;
	int ret;

	if (streaming || len > UDRV_DMA_CARVE_MAX)
		return alloc_own_locked(dev, size, align, streaming, bufp);
	ret = udrv_dma_carve(dev, len, align, false, &piece);
	if (ret == -EAGAIN) {
		/* A new chunk; if none can be had, what a buffer of its own gets is the answer. */
		udrv_err_save(&saved);
		ret = udrv_dma_carve(dev, len, align, true, &piece);
		if (ret) {
			udrv_err_restore(&saved);
			return alloc_own_locked(dev, size, align, false, bufp);
		}
	}
	zero(piece->pub.vaddr, piece->pub.size);
	*bufp = &piece->pub;
	return 0;
}

static int new_buf(struct udrv_device *dev, void *vaddr, size_t size, size_t align,
		   bool streaming, struct udrv_dma **bufp)
{
	size_t len, pg = page_size();
	int ret = check_new(dev, vaddr, size, pg, bufp, &len);

	if (ret)
		return ret;
	if (align < pg)
		align = pg;
	pthread_mutex_lock(&dev->dma.lock);
	if (vaddr)
		ret = map_locked(dev, vaddr, len, bufp);
	else
		ret = alloc_locked(dev, size, len, align, streaming, bufp);
	pthread_mutex_unlock(&dev->dma.lock);
	return ret;
}

UDRV_EXPORT int udrv_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma **bufp)
{
	return new_buf(dev, NULL, size, 0, false, bufp);
}

UDRV_EXPORT int udrv_dma_alloc_aligned(struct udrv_device *dev, size_t size, size_t align,
				       struct udrv_dma **bufp)
{
	if (align & (align - 1) || align > UDRV_DMA_ALIGN_MAX)
		return udrv_err(EINVAL, "%s: DMA alignment %zu: must be 0 or a power of two up to %lu",
				dev->name, align, UDRV_DMA_ALIGN_MAX);
	return new_buf(dev, NULL, size, align, false, bufp);
}

UDRV_EXPORT int udrv_dma_alloc_streaming(struct udrv_device *dev, size_t size,
					 struct udrv_dma **bufp)
{
	return new_buf(dev, NULL, size, 0, true, bufp);
}

UDRV_EXPORT int udrv_dma_map(struct udrv_device *dev, void *vaddr, size_t size,
			     struct udrv_dma **bufp)
{
	if (!vaddr)
		return udrv_err(EINVAL, "%s: udrv_dma_map of a NULL address", dev->name);
	return new_buf(dev, vaddr, size, 0, false, bufp);
}

/* @pub's buffer if it is one of @dev's, else NULL; under the lock. */
static struct udrv_dma_buf *find_buf(struct udrv_device *dev, struct udrv_dma *pub)
{
	struct udrv_dma_buf *node = pub ? udrv_dma_tree_find(&dev->dma.tree, pub->vaddr, 1) : NULL;

	/* Only pointers into the device's own records are read as handles. */
	if (node && node->kind == UDRV_DMA_CHUNK)
		return udrv_dma_chunk_piece(node, pub);
	return node && &node->pub == pub ? node : NULL;
}

/* Release a buffer taken out of the tree; under the lock.  A failure is reported, the buffer forgotten. */
static void release(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	int ret = dev->ops->dma_free(dev, buf);

	if (ret)
		udrv_err(ret, "%s: releasing the %zu-byte DMA buffer at %p (device address 0x%llx) failed: %s; its device address stays reserved",
			 dev->name, buf->pub.size, buf->pub.vaddr, (unsigned long long)buf->pub.iova,
			 strerror(-ret));
	rec_put(dev, buf);
}

UDRV_EXPORT void udrv_dma_free(struct udrv_device *dev, struct udrv_dma *pub)
{
	struct udrv_dma_buf *buf;

	if (!pub)
		return;
	pthread_mutex_lock(&dev->dma.lock);
	/* One descent: takes an own buffer out, or finds the chunk a piece is in. */
	buf = udrv_dma_tree_take(&dev->dma.tree, pub);
	if (buf && &buf->pub == pub) {
		release(dev, buf);
	} else if (buf && buf->kind == UDRV_DMA_CHUNK) {
		buf = udrv_dma_chunk_piece(buf, pub);
		if (buf)
			udrv_dma_uncarve(dev, buf);
	}
	/* Else not this device's: left alone. */
	pthread_mutex_unlock(&dev->dma.lock);
}

void udrv_dma_release_all(struct udrv_device *dev)
{
	struct udrv_dma_buf *buf;

	udrv_dma_pools_release_all(dev);
	pthread_mutex_lock(&dev->dma.lock);
	udrv_dma_chunks_release_all(dev);
	while ((buf = udrv_dma_tree_first(&dev->dma.tree))) {
		udrv_dma_tree_remove(&dev->dma.tree, buf);
		release(dev, buf);
	}
	udrv_dma_tree_destroy(&dev->dma.tree);
	while ((buf = dev->dma.spare)) {
		dev->dma.spare = buf->right;
		free(buf);
	}
	dev->dma.nspare = 0;
	pthread_mutex_unlock(&dev->dma.lock);
}

UDRV_EXPORT int udrv_dma_addr(struct udrv_device *dev, const void *p, uint64_t *iova)
{
	struct udrv_dma_buf *buf;
	int ret = 0;

	pthread_mutex_lock(&dev->dma.lock);
	buf = udrv_dma_tree_find(&dev->dma.tree, p, 1);
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
