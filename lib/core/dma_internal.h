/* SPDX-License-Identifier: MIT */
/*
 * libudrv's DMA internals shared by dma.c, dma_tree.c, dma_chunk.c and
 * dma_pool.c: what kind of thing a struct udrv_dma_buf is, the chunks
 * small buffers are carved from, and the pools.
 *
 * A device's memory comes in four kinds of struct udrv_dma_buf:
 *
 *  OWN    a buffer with memory of its own from the backend (or the
 *         caller's, udrv_dma_map()), filed in the device's tree;
 *  CHUNK  a 2 MiB piece of backend memory that small buffers and pool
 *         pages are carved from, filed in the tree like an OWN buffer (so
 *         udrv_dma_addr() finds any pointer into it), never handed out;
 *  PIECE  a buddy block of a chunk handed out by udrv_dma_alloc();
 *  BLOCK  a block of a pool, carved from a PIECE (the pool's page); only
 *         udrv_dma_pool_free() takes it back.
 *
 * Locks: a pool's own lock, then the device's DMA lock; never the other
 * way round.  Everything in dma_chunk.c runs under the device's lock.
 */
#ifndef UDRV_DMA_INTERNAL_H
#define UDRV_DMA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "udrv_internal.h"

enum udrv_dma_kind {
	UDRV_DMA_OWN = 0,
	UDRV_DMA_CHUNK,
	UDRV_DMA_PIECE,
	UDRV_DMA_BLOCK,
};

/* The size of a chunk (UDRV_DMA_CARVE_MAX, <udrv/dma.h>, is the largest piece dma.c carves). */
#define UDRV_DMA_CHUNK_SIZE UDRV_HUGE_2M

/* Records of freed OWN buffers a device keeps for its next ones (dma.c). */
#define UDRV_DMA_SPARE_MAX 1024 /* ~100 KiB at most */

/*
 * dma_tree.c: file @b unless it overlaps a buffer (-EEXIST), or the tree
 * cannot grow (-ENOMEM); nothing changed then.  One descent.
 */
int udrv_dma_tree_insert_new(struct udrv_dma_tree *t, struct udrv_dma_buf *b);

/*
 * dma_tree.c: one descent by @pub->vaddr: if @pub is a node's handle, take
 * that node out of the tree and return it; else return the node whose
 * range holds @pub->vaddr (left in), or NULL.  Reads only @pub->vaddr.
 */
struct udrv_dma_buf *udrv_dma_tree_take(struct udrv_dma_tree *t, const struct udrv_dma *pub);

/*
 * dma_chunk.c, all under dev->dma.lock.
 *
 * udrv_dma_carve(): a zeroed-or-not (the caller zeroes) piece of @len bytes
 * (page-rounded) whose vaddr and device address are both multiples of
 * @align (a power of two, at most UDRV_DMA_CHUNK_SIZE) and of the power of
 * two at or above @len, below the device's mask.  0 with *@bufp set,
 * -ENOMEM and friends from the backend (with a message), -E2BIG if @len or
 * @align is beyond UDRV_DMA_CHUNK_SIZE, -EAGAIN if a new chunk is needed
 * and @grow is false (no message for either).
 */
int udrv_dma_carve(struct udrv_device *dev, size_t len, size_t align, bool grow,
		   struct udrv_dma_buf **bufp);
/*
 * The piece handed out as @pub if @pub is one of @chunk's (a CHUNK in the
 * device's tree) piece handles and is out, else NULL.  Reads nothing
 * through @pub: any pointer is safe.
 */
struct udrv_dma_buf *udrv_dma_chunk_piece(struct udrv_dma_buf *chunk, const struct udrv_dma *pub);
/* Give a piece back to its chunk; an empty chunk is released (one is kept). */
void udrv_dma_uncarve(struct udrv_device *dev, struct udrv_dma_buf *piece);
/* The mask changed: chunks reaching above it take no new pieces; spares are released. */
void udrv_dma_chunks_mask_changed(struct udrv_device *dev);
/* Release empty chunks (all of them if @all, else all but one). */
void udrv_dma_chunks_trim(struct udrv_device *dev, bool all);
/* Release every chunk and piece (udrv_close()); pools are gone already. */
void udrv_dma_chunks_release_all(struct udrv_device *dev);
/* How many chunks the device holds (tests). */
size_t udrv_dma_chunks_count(struct udrv_device *dev);

/* dma_pool.c: destroy every pool of @dev, blocks out or not (udrv_close()). */
void udrv_dma_pools_release_all(struct udrv_device *dev);


#endif /* UDRV_DMA_INTERNAL_H */
