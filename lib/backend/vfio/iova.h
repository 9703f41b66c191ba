/* SPDX-License-Identifier: MIT */
/*
 * IOVA space allocator for VFIO DMA mappings (internal).
 *
 * The device-visible address space is what the IOMMU reports as usable
 * (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: x86 reserves the MSI window at
 * 0xfee00000, for one), clipped to the device's DMA mask.  Allocation is
 * first fit from the lowest address (friendly to narrow masks), aligned to
 * a power of two; freeing coalesces with both neighbours and rejects double
 * frees.
 *
 * The free extents live in an AVL tree by address (iova_tree.h) whose
 * nodes bound, for their subtree, the largest room at each alignment from
 * the page to 2 MiB, so first fit goes down to the lowest extent that fits,
 * skipping the subtrees that cannot hold it; freeing finds its neighbours
 * by one descent.  Both are O(log n) in the number of extents, at most the
 * live allocations plus the usable ranges (first fit amortised: a bound
 * left loose can send one search astray, which tightens it).  Outside the tree's
 * classes the search is exact but slower: an alignment above 2 MiB (which
 * dma_vfio.c never asks for) may visit every extent long enough, a size
 * of 256 MiB or more (4 KiB pages) every extent at least that long.
 *
 * Measured by tests/bench/bench_alloc.c (KVM guest, AMD EPYC, -O2): in
 * churn through 4-64 KiB and 2 MiB buffers freed in random order, with
 * 100 / 1,000 / 10,000 live, an allocation takes 102 / 123 / 160 ns and a
 * free 110 / 136 / 171 ns; the sorted array this replaced took 55 / 263 /
 * 2,140 ns and 45 / 113 / 500 ns.  What still grows is the depth: a tree
 * 15 high, mostly out of L1, at 10,000 against 7 in L1 at 100.
 */
#ifndef UDRV_IOVA_H
#define UDRV_IOVA_H

#include <stddef.h>
#include <stdint.h>

#include <udrv/device.h>

#include "iova_tree.h"

struct udrv_iova_chunk;

struct udrv_iova_space {
	struct udrv_iova_tree tree;     /* the free extents, by address */
	struct udrv_iova_node *spare;   /* nodes to reuse, linked through ->right */
	struct udrv_iova_chunk *chunks; /* where all nodes live (iova.c) */
	size_t nfree;                   /* extents in the tree */
	uint64_t free_bytes;            /* their total size */
	uint64_t page;
};

/*
 * Set up @s from the usable ranges, clipped to [page, mask] (IOVA 0 is kept
 * out: many devices read a zero address as "none") and shrunk to whole pages.
 * Returns 0, -EINVAL for a bad page size, -ENOSPC if nothing usable is left,
 * -ENOMEM.
 */
int udrv_iova_init(struct udrv_iova_space *s, const struct udrv_range *usable, size_t n,
		   uint64_t mask, uint64_t page);

/* Free what @s holds and zero it. */
void udrv_iova_destroy(struct udrv_iova_space *s);

/*
 * Allocate @size bytes (rounded up to pages) aligned to @align (a power of
 * two, at least the page size).  Returns 0 with *iova set, -EINVAL for bad
 * arguments, -ENOSPC when no free extent fits, -ENOMEM (the space is
 * unchanged).
 */
int udrv_iova_alloc(struct udrv_iova_space *s, uint64_t size, uint64_t align, uint64_t *iova);

/* The same, with the whole allocation at or below @limit (a device's DMA mask). */
int udrv_iova_alloc_below(struct udrv_iova_space *s, uint64_t size, uint64_t align,
			  uint64_t limit, uint64_t *iova);

/*
 * Return [iova, iova + size) (size rounded up to pages) to the space.
 * Returns 0, or -EINVAL if any of it is already free (double free), it is
 * not page-aligned or it wraps around, -ENOMEM (the space is unchanged).
 */
int udrv_iova_free(struct udrv_iova_space *s, uint64_t iova, uint64_t size);

/* Total free bytes.  O(1). */
uint64_t udrv_iova_free_bytes(const struct udrv_iova_space *s);

/* How many free extents (disjoint, non-touching ranges) the space holds. */
size_t udrv_iova_extents(const struct udrv_iova_space *s);

/*
 * The @i-th lowest free extent (from 0) into *@r: 0, or -ENOENT past the
 * last.  Walks i extents: for tests and debugging.
 */
int udrv_iova_extent(const struct udrv_iova_space *s, size_t i, struct udrv_range *r);

/*
 * Check every internal invariant (tree shape and order, merged neighbours,
 * counts): NULL if all hold, else what is broken.  O(n): for tests.
 */
const char *udrv_iova_check(const struct udrv_iova_space *s);

#endif /* UDRV_IOVA_H */
