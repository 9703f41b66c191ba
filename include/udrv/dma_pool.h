/* SPDX-License-Identifier: MIT */
/**
 * DOC: DMA pools
 *
 * Many small DMA blocks of one size, like the kernel's dma_pool: NVMe
 * PRP lists and queue entries, descriptor rings, command blocks.  A pool
 * hands out blocks of a fixed size, each aligned as asked in both the
 * process and the device's address space, none crossing a boundary the
 * device cannot (a 4 KiB page for a PRP list, say).  Allocating and
 * freeing a block are O(1): a pool takes pages of the device's DMA memory
 * (carved from 2 MiB chunks: a huge page on UIO, one VFIO mapping, one
 * udrv_stub coherent buffer), each mapped for the device once, grows by a
 * page when its pages are full, and gives a page back when all its blocks
 * are free (keeping one empty page for the next allocation).  Works on
 * every path that has DMA: VFIO, udrv_stub, UIO.
 *
 * A block's memory is coherent (<udrv/dma.h>), and is not zeroed: it may
 * hold what a block freed earlier held.  udrv_dma_addr() translates any
 * pointer into a block.
 *
 * Freeing a block the device may still read or write is the caller's bug,
 * as in the kernel: the block is handed out again by the next allocation,
 * and the device's late writes land in someone else's data.  Quiesce the
 * device (or the queue) first.  The page stays mapped for the device until
 * every block in it is free, so a late write never reaches memory outside
 * the pool while the pool lives.
 *
 * Thread safety: any number of threads may allocate and free blocks of one
 * pool at once (a lock per pool).  Destroying a pool while another thread
 * uses it is the caller's race.  udrv_close() destroys the device's pools.
 */
#ifndef UDRV_DMA_POOL_H
#define UDRV_DMA_POOL_H

#include <stddef.h>

#include <udrv/dma.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_device;
struct udrv_dma_pool;

/** UDRV_DMA_POOL_BLOCK_MAX - the largest block a pool hands out (2 MiB) */
#define UDRV_DMA_POOL_BLOCK_MAX (2UL << 20)

/**
 * udrv_dma_pool_create() - make a pool of DMA blocks for a device
 * @dev:      the device (VFIO, udrv_stub or UIO path)
 * @size:     bytes per block, 1..%UDRV_DMA_POOL_BLOCK_MAX
 * @align:    alignment of every block's vaddr and device address: a power
 *            of two up to 2 MiB, or 0 for 8 bytes
 * @boundary: a power of two no block may cross (its device address range
 *            stays within one multiple of @boundary), at least @size; or 0
 *            for none
 * @poolp:    set to the pool
 *
 * Blocks are @size rounded up to @align apart.  Memory is taken on the
 * first udrv_dma_pool_alloc().
 *
 * Return: 0, or a negative errno with a message in udrv_last_error():
 * -EINVAL (@size 0 or too large, @align or @boundary not a power of two
 * or too large, @boundary below @size, no @poolp), -ENOTSUP (no DMA on
 * this path), -ENOMEM.
 */
int udrv_dma_pool_create(struct udrv_device *dev, size_t size, size_t align, size_t boundary,
			 struct udrv_dma_pool **poolp);

/**
 * udrv_dma_pool_alloc() - take a block
 * @pool:   the pool
 * @blockp: set to the block: vaddr, device address (iova) and size (the
 *          pool's block size); read-only, valid until udrv_dma_pool_free()
 *
 * Return: 0, or a negative errno with a message: -EINVAL (no @blockp),
 * or when the pool must grow, the errors of udrv_dma_alloc() (-ENOMEM,
 * -ENOSPC...).
 */
int udrv_dma_pool_alloc(struct udrv_dma_pool *pool, struct udrv_dma **blockp);

/**
 * udrv_dma_pool_free() - give a block back
 * @pool:  its pool
 * @block: the block, or NULL
 *
 * The device must no longer use it (see DOC above).  A block of another
 * pool, or one already freed, is left alone and reported in
 * udrv_last_error() (-EINVAL); anything but a pool block is undefined, as
 * with free().
 */
void udrv_dma_pool_free(struct udrv_dma_pool *pool, struct udrv_dma *block);

/**
 * udrv_dma_pool_destroy() - release a pool and its memory
 * @pool: the pool, or NULL
 *
 * Refuses while blocks are out: the pool stays as it was, usable.
 *
 * Return: 0 (also for NULL), or -EBUSY with the number of blocks still
 * out in udrv_last_error().
 */
int udrv_dma_pool_destroy(struct udrv_dma_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_DMA_POOL_H */
