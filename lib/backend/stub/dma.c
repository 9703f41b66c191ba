// SPDX-License-Identifier: MIT
/*
 * DMA buffers from udrv_stub: coherent memory (dma_alloc_coherent in the
 * kernel) handed over as a dma-buf fd with its bus address, through the
 * control device /dev/udrv/<address> (include/uapi/linux/udrv_stub.h), mapped at a
 * vaddr aligned as the bus address is (up to 2 MiB).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <linux/udrv_stub.h>

#include "stub.h"

_Static_assert(UDRV_STUB_DMA_BITS_MIN <= UDRV_DMA_MASK_BITS_MIN &&
	       UDRV_STUB_DMA_BITS_MAX >= UDRV_DMA_MASK_BITS_MAX,
	       "udrv_stub accepts every mask udrv_dma_set_mask() does");

static int ctl_open(struct udrv_device *dev)
{
	int fd = udrv_stub_ctl(dev);

	return fd < 0 ? fd : 0;
}

/*
 * Map a buffer of @size bytes at a multiple of the power of two at or above
 * it, up to 2 MiB, as its bus address is (the core's chunks rely on it):
 * reserve room for the alignment, map over the aligned part, trim the rest.
 */
static void *mmap_aligned(int fd, size_t size)
{
	size_t pg = (size_t)getpagesize(), align = pg, extra, head;
	char *room, *mem;

	while (align < size && align < UDRV_HUGE_2M)
		align <<= 1;
	extra = align - pg;
	room = mmap(NULL, size + extra, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (room == MAP_FAILED)
		return MAP_FAILED;
	head = (size_t)(-(uintptr_t)room & (align - 1));
	mem = mmap(room + head, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (mem == MAP_FAILED) {
		int err = errno;

		munmap(room, size + extra);
		errno = err;
		return MAP_FAILED;
	}
	if (head)
		munmap(room, head);
	if (extra - head)
		munmap(mem + size, extra - head);
	return mem;
}

int udrv_stub_dma_set_mask(struct udrv_device *dev, unsigned int bits)
{
	struct udrv_stub_dma_mask m = { .argsz = sizeof(m), .bits = bits };
	int ret = ctl_open(dev);

	if (ret)
		return ret;
	if (ioctl(udrv_stub(dev)->ctl_fd, UDRV_STUB_SET_DMA_MASK, &m))
		return udrv_err(errno, "%s: setting a %u-bit DMA mask: %s%s", dev->name, bits,
				strerror(errno),
				errno == EBUSY ? " (free the device's buffers first)" : "");
	return 0;
}

int udrv_stub_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	struct udrv_stub_alloc a = { .argsz = sizeof(a), .size = size };
	unsigned long req = buf->streaming ? UDRV_STUB_ALLOC_STREAMING : UDRV_STUB_ALLOC_COHERENT;
	void *mem;
	int ret = ctl_open(dev);

	if (ret)
		return ret;
	if (ioctl(udrv_stub(dev)->ctl_fd, req, &a))
		return udrv_err(errno, "%s: udrv_stub could not allocate %zu bytes: %s%s", dev->name,
				size, strerror(errno),
				errno == E2BIG ? " (over the max_buffer_mb module parameter)" :
				errno == ENOSPC ? " (the device holds max_pinned_mb of live and quarantined buffers: buffers freed while it runs come back when /dev/uioN is closed)" :
				errno == ENOMEM ? " (no memory below the DMA mask)" : "");
	if (a.nr_segments != 1) {
		close(a.fd);
		return udrv_err(ENOTSUP, "%s: the %zu-byte streaming buffer is %u pieces in bus space (no IOMMU merged it): use udrv_dma_alloc(), or an IOMMU",
				dev->name, size, a.nr_segments);
	}
	mem = mmap_aligned(a.fd, a.size);
	if (mem == MAP_FAILED) {
		ret = errno;
		close(a.fd);
		return udrv_err(ret, "%s: mmap of a udrv_stub buffer: %s", dev->name, strerror(ret));
	}
	/* The mapping keeps a coherent dma-buf alive; a streaming one keeps its fd for syncs. */
	if (buf->streaming)
		buf->fd = a.fd;
	else
		close(a.fd);
	buf->pub.vaddr = mem;
	buf->pub.iova = a.dma_addr;
	buf->pub.size = a.size;
	buf->map_base = mem;
	buf->map_len = a.size;
	return 0;
}

int udrv_stub_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	int ret = munmap(buf->map_base, buf->map_len) ? -errno : 0;

	(void)dev;
	if (buf->fd >= 0)
		close(buf->fd);
	return ret;
}

/* A streaming dma-buf brackets CPU access with DMA_BUF_IOCTL_SYNC (dma_sync_sgtable_for_*). */
int udrv_stub_dma_sync(struct udrv_device *dev, struct udrv_dma_buf *buf, bool for_device)
{
	struct dma_buf_sync s = {
		.flags = (for_device ? DMA_BUF_SYNC_END : DMA_BUF_SYNC_START) | DMA_BUF_SYNC_RW,
	};

	if (buf->fd < 0)
		return 0;
	if (ioctl(buf->fd, DMA_BUF_IOCTL_SYNC, &s))
		return udrv_err(errno, "%s: DMA_BUF_IOCTL_SYNC: %s", dev->name, strerror(errno));
	return 0;
}
