/* SPDX-License-Identifier: MIT */
/*
 * IOVA space allocator for VFIO DMA mappings (internal).
 *
 * The device-visible address space is what the IOMMU reports as usable
 * (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: x86 reserves the MSI window at
 * 0xfee00000, for one), clipped to the device's DMA mask.  Free space is a
 * sorted array of extents: allocation is first fit from the lowest address
 * (friendly to narrow masks), freeing coalesces with both neighbours and
 * rejects double frees.  The array stays as short as the space is
 * fragmented, so a long-running driver that allocates and frees keeps it
 * small; lookups by address are binary searches.  Cost: allocation scans the
 * extents (first fit), freeing moves the tail of the array; with 10,000
 * buffers freed in random order (the worst fragmentation) a free took
 * ~1.4 us (-O2; ~6 us under ASan) against 23 ns per allocation, measured by
 * tests/unit/test_iova.c.  A balanced tree is the upgrade if
 * the allocator benchmark asks for it.
 */
#ifndef UDRV_IOVA_H
#define UDRV_IOVA_H

#include <stddef.h>
#include <stdint.h>

#include <udrv/device.h>

struct udrv_iova_space {
	struct udrv_range *free;  /* sorted, disjoint, non-adjacent extents */
	size_t nfree;
	size_t cap;
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
void udrv_iova_destroy(struct udrv_iova_space *s);

/*
 * Allocate @size bytes (rounded up to pages) aligned to @align (a power of
 * two, at least the page size).  Returns 0 with *iova set, -EINVAL for bad
 * arguments, -ENOSPC when no free extent fits.
 */
int udrv_iova_alloc(struct udrv_iova_space *s, uint64_t size, uint64_t align, uint64_t *iova);

/* The same, with the whole allocation at or below @limit (a device's DMA mask). */
int udrv_iova_alloc_below(struct udrv_iova_space *s, uint64_t size, uint64_t align,
			  uint64_t limit, uint64_t *iova);

/*
 * Return [iova, iova + size) (size rounded up to pages) to the space.
 * Returns 0, or -EINVAL if any of it is already free (double free) or it is
 * not page-aligned, -ENOMEM.
 */
int udrv_iova_free(struct udrv_iova_space *s, uint64_t iova, uint64_t size);

/* Total free bytes. */
uint64_t udrv_iova_free_bytes(const struct udrv_iova_space *s);

#endif /* UDRV_IOVA_H */
