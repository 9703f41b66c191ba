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
 * Two policies on top, both on by default (udrv_iova_init()), both off
 * with udrv_iova_set_fast() for an exact first-fit allocator:
 *
 *  - A per-size cache of freed IOVAs, for sizes up to UDRV_IOVA_CACHE_PAGES
 *    pages: a free pushes the range onto its size's stack (up to
 *    UDRV_IOVA_CACHE_DEPTH) instead of merging it into the tree, and an
 *    allocation of that size pops it if it is aligned and below the limit,
 *    without a tree descent (what the kernel's IOVA rcache does).  When the
 *    tree cannot serve a request, the caches are flushed into it first.  A
 *    double free of a cached size is not detected.
 *
 *  - A rotating base: the space's lowest extent starts out with a random
 *    number of pages (up to UDRV_IOVA_BASE_SPAN) set aside, so a new space
 *    does not hand out the same first IOVA as the last one did.  A device
 *    left holding a stale address of an earlier container (a driver that
 *    died with DMA in flight, on a device without a reset) is then unlikely
 *    to hit the new process's first buffers; with the same first IOVA every
 *    time it would hit them for sure.  The reservation is given back the
 *    first time the space runs out, so it never costs a failed allocation,
 *    and it stays below 64 MiB so that narrow masks (edu's 28 bits: 256 MiB)
 *    keep most of their space.
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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <udrv/device.h>

#include "iova_tree.h"

struct udrv_iova_chunk;

#define UDRV_IOVA_CACHE_PAGES 16  /* sizes cached: 1 to 16 pages */
#define UDRV_IOVA_CACHE_DEPTH 128 /* freed IOVAs kept per size */
#define UDRV_IOVA_BASE_SPAN (64ULL << 20) /* the rotating base's range */

struct udrv_iova_cache {
	unsigned int n[UDRV_IOVA_CACHE_PAGES];
	uint64_t iova[UDRV_IOVA_CACHE_PAGES][UDRV_IOVA_CACHE_DEPTH];
};

struct udrv_iova_space {
	struct udrv_iova_tree tree;     /* the free extents, by address */
	struct udrv_iova_node *spare;   /* nodes to reuse, linked through ->right */
	struct udrv_iova_chunk *chunks; /* where all nodes live (iova.c) */
	size_t nfree;                   /* extents in the tree */
	uint64_t free_bytes;            /* their total size */
	uint64_t page;
	struct udrv_iova_cache *cache;  /* freed IOVAs by size, or NULL */
	uint64_t cached_bytes;          /* their total size */
	uint64_t base_start, base_size; /* the rotating base's reservation, or size 0 */
};

/*
 * Set up @s from the usable ranges, clipped to [page, mask] (IOVA 0 is kept
 * out: many devices read a zero address as "none") and shrunk to whole pages,
 * with the cache and the rotating base on.  Returns 0, -EINVAL for a bad
 * page size, -ENOSPC if nothing usable is left, -ENOMEM.
 */
int udrv_iova_init(struct udrv_iova_space *s, const struct udrv_range *usable, size_t n,
		   uint64_t mask, uint64_t page);

/*
 * Turn the cache and the rotating base on or off.  Turning the cache off
 * flushes it into the tree; turning the base off gives its reservation
 * back; turning it on sets a fresh random one aside if the lowest extent
 * has room.  Returns 0 or -ENOMEM (the cache could not be allocated; off).
 */
int udrv_iova_set_fast(struct udrv_iova_space *s, bool cache, bool rotate);

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

/* Total free bytes, cached and set aside for the rotating base included.  O(1). */
uint64_t udrv_iova_free_bytes(const struct udrv_iova_space *s);

/* How many free extents (disjoint, non-touching ranges) the tree holds. */
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
