/* SPDX-License-Identifier: MIT */
/**
 * DOC: DMA buffers
 *
 * Memory a device can read and write: pinned, with a device-visible
 * address (an IOVA behind an IOMMU, a bus/physical address without one).
 *
 * ====== ==================================================================
 * path   where the memory comes from
 * ====== ==================================================================
 * VFIO   anonymous memory (2 MiB huge pages for buffers of 2 MiB and more,
 *        when the system has them) mapped into the process's container
 *        at an IOVA chosen below the device's DMA mask (see IOVAs below)
 * stub   udrv_stub's coherent buffers (dma_alloc_coherent), as dma-buf fds
 * UIO    2 MiB huge pages, locked, their physical addresses read from
 *        /proc/self/pagemap (root, no IOMMU translating)
 * sysfs  none
 * ====== ==================================================================
 *
 * Small buffers share memory: udrv_dma_alloc() of up to
 * %UDRV_DMA_CARVE_MAX bytes carves the buffer from one of the device's
 * 2 MiB chunks of that memory (each allocated and mapped for the device
 * once), so a 4 KiB buffer costs neither a huge page on UIO nor a mapping
 * on VFIO.  A chunk stays mapped until every buffer in it is freed; then
 * it is released, except one empty chunk per device kept for the next
 * allocation.  Larger buffers, and streaming ones, get memory of their
 * own.  <udrv/dma_pool.h> carves blocks smaller than a page.
 *
 * Alignment: a buffer's vaddr and device address are both multiples of
 * the page size (4 KiB on x86) and of @align for udrv_dma_alloc_aligned().
 * Buffers of a power-of-two size up to 2 MiB happen to be aligned to it
 * too, on every path, but only udrv_dma_alloc_aligned() promises it.
 *
 * IOVAs (VFIO): first fit from the bottom of the IOMMU's usable space,
 * except that each new container starts at a random base below 64 MiB, so
 * a device still holding an address from an earlier process (one that
 * died with DMA in flight, on a device without a reset) is unlikely to
 * reach a new process's first buffers; the base is given back when the
 * space runs out.  A freed IOVA of up to 64 KiB is handed out again first
 * for a buffer of its size: reuse is the rule, so quiesce before freeing.
 *
 * Freeing a buffer the device may still read or write is the caller's bug,
 * as in the kernel: its memory is handed out again by the next allocation
 * (at once, for a carved buffer), and the device's late writes land in
 * someone else's data.  Stop the device's DMA to a buffer before freeing
 * it.  A chunk's device mapping outlives every buffer carved from it.
 *
 * All three are cache-coherent on x86, so udrv_dma_sync_for_cpu() and
 * udrv_dma_sync_for_device() cost nothing there; call them anyway where a
 * non-coherent platform would need them.
 *
 * Thread safety: every function here may be called from any number of
 * threads at once on the same device; the device's buffers are guarded by
 * a lock of their own.  Freeing a buffer while another thread still uses
 * it (or its memory) is the caller's race to avoid, as with free().
 */
#ifndef UDRV_DMA_H
#define UDRV_DMA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_device;

/** UDRV_DMA_MASK_BITS_MIN - the narrowest DMA mask udrv_dma_set_mask() takes */
#define UDRV_DMA_MASK_BITS_MIN 24
/** UDRV_DMA_MASK_BITS_MAX - the widest DMA mask (the default) */
#define UDRV_DMA_MASK_BITS_MAX 64
/** UDRV_DMA_CARVE_MAX - udrv_dma_alloc() carves buffers up to this size from chunks (1 MiB) */
#define UDRV_DMA_CARVE_MAX (1UL << 20)
/** UDRV_DMA_ALIGN_MAX - the largest alignment udrv_dma_alloc_aligned() takes (2 MiB) */
#define UDRV_DMA_ALIGN_MAX (2UL << 20)

/**
 * struct udrv_dma - a DMA buffer
 * @vaddr: the buffer in this process
 * @iova:  the address the device uses for @vaddr
 * @size:  length in bytes (page-rounded; a pool block's exact size)
 *
 * Read-only for the caller; owned by the device it was allocated for.
 */
struct udrv_dma {
	void *vaddr;
	uint64_t iova;
	size_t size;
};

/**
 * udrv_dma_set_mask() - how many address bits the device can drive
 * @dev:  the device
 * @bits: %UDRV_DMA_MASK_BITS_MIN..%UDRV_DMA_MASK_BITS_MAX (QEMU's edu: 28)
 *
 * Buffers allocated afterwards get addresses below 2^@bits.  Default: 64.
 *
 * Return: 0, -EINVAL for @bits out of range, -EBUSY (stub) while buffers
 * exist.
 */
int udrv_dma_set_mask(struct udrv_device *dev, unsigned int bits);

/**
 * udrv_dma_alloc() - allocate a zeroed DMA buffer
 * @dev:  the device
 * @size: bytes; rounded up to pages
 * @bufp: set to the buffer
 *
 * vaddr and device address are page-aligned.  Up to %UDRV_DMA_CARVE_MAX
 * bytes, the buffer is carved from a chunk (DOC above): after the first,
 * such an allocation makes no system call.
 *
 * Return: 0, or a negative errno with the reason and the remedy in
 * udrv_last_error(): -ENOTSUP (no DMA on this path), -ENOMEM (memory, the
 * locked-memory limit RLIMIT_MEMLOCK, no huge pages configured), -ENOSPC (no
 * address below the mask, or VFIO's dma_entry_limit), -EPERM (pagemap hides
 * physical addresses), -EEXIST (the new memory overlaps a buffer whose
 * memory was unmapped without udrv_dma_free()), -EINVAL.
 */
int udrv_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma **bufp);

/**
 * udrv_dma_alloc_aligned() - allocate a zeroed DMA buffer, aligned
 * @dev:   the device
 * @size:  bytes; rounded up to pages
 * @align: 0, or a power of two up to %UDRV_DMA_ALIGN_MAX: the buffer's
 *         vaddr and device address are both multiples of it (and of the
 *         page)
 * @bufp:  set to the buffer
 *
 * For a device that needs more than a page: a queue aligned to its size,
 * a 64 KiB-aligned ring.  Buffers of up to %UDRV_DMA_CARVE_MAX bytes
 * aligned up to that are carved from chunks like udrv_dma_alloc()'s.
 *
 * Return: as udrv_dma_alloc(); -EINVAL for a bad @align, -ENOTSUP if the
 * path's memory could not be had at that alignment.
 */
int udrv_dma_alloc_aligned(struct udrv_device *dev, size_t size, size_t align,
			   struct udrv_dma **bufp);

/**
 * udrv_dma_alloc_streaming() - allocate a buffer for streaming DMA
 * @dev:  the device
 * @size: bytes; rounded up to pages
 * @bufp: set to the buffer
 *
 * Like udrv_dma_alloc(), but the memory may be cached, so the sync calls
 * matter: udrv_dma_sync_for_device() after the CPU wrote and before the
 * device reads, udrv_dma_sync_for_cpu() after the device wrote and before
 * the CPU reads.  On udrv_stub these are page-backed dma-buf buffers (the
 * kernel's dma_map_sgtable, synced with DMA_BUF_IOCTL_SYNC), which need
 * an IOMMU to be contiguous for the device beyond one page; on VFIO and
 * UIO the memory is the same as udrv_dma_alloc()'s.
 *
 * Return: as udrv_dma_alloc(); -ENOTSUP (stub) when the buffer is not
 * contiguous in bus space (no IOMMU merged its pages).
 */
int udrv_dma_alloc_streaming(struct udrv_device *dev, size_t size, struct udrv_dma **bufp);

/**
 * udrv_dma_map() - make the caller's own memory visible to the device (VFIO)
 * @dev:   the device
 * @vaddr: page-aligned start (e.g. from mmap() or posix_memalign())
 * @size:  bytes; rounded up to pages
 * @bufp:  set to a buffer describing the mapping; @vaddr stays the caller's
 *
 * The pages are pinned and mapped at an IOVA below the device's mask until
 * udrv_dma_free(), which unmaps them but leaves the memory to the caller.
 *
 * Return: 0, -ENOTSUP on paths without an IOMMU (use udrv_dma_alloc()),
 * -EINVAL for an unaligned @vaddr, -EEXIST if the memory is already (part
 * of) a buffer of @dev, or the errors of udrv_dma_alloc().
 */
int udrv_dma_map(struct udrv_device *dev, void *vaddr, size_t size, struct udrv_dma **bufp);

/**
 * udrv_dma_free() - release a buffer
 * @dev: the device it was allocated for
 * @buf: the buffer, or NULL
 *
 * The device must no longer be using it (DOC above: it is the caller's
 * bug otherwise, and the memory is reused).  Pool blocks go back with
 * udrv_dma_pool_free().  Like free(), this ends the handle: do not use @buf, or free it again, afterwards (its memory may
 * already describe a newer buffer).  NULL, or a buffer of another device,
 * is left alone.  udrv_last_error() is left as it was, unless the buffer
 * could not be released (the IOMMU refused to unmap it): then it says so,
 * and the buffer's device address stays reserved, never handed out again.
 */
void udrv_dma_free(struct udrv_device *dev, struct udrv_dma *buf);

/**
 * udrv_dma_addr() - device address of any byte of any buffer of a device
 * @dev:  the device
 * @p:    a pointer into one of its buffers
 * @iova: set to the device address of @p
 *
 * An O(log n) lookup in the tree of the device's buffers.
 *
 * Return: 0, or -EFAULT if @p is in none of them.
 */
int udrv_dma_addr(struct udrv_device *dev, const void *p, uint64_t *iova);

/**
 * udrv_dma_sync_for_cpu() - make the device's writes visible to the CPU
 * @dev: the device
 * @buf: the buffer
 *
 * Return: 0 or a negative errno.
 */
int udrv_dma_sync_for_cpu(struct udrv_device *dev, struct udrv_dma *buf);

/**
 * udrv_dma_sync_for_device() - make the CPU's writes visible to the device
 * @dev: the device
 * @buf: the buffer
 *
 * Return: 0 or a negative errno.
 */
int udrv_dma_sync_for_device(struct udrv_device *dev, struct udrv_dma *buf);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_DMA_H */
