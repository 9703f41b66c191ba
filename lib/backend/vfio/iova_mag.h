/* SPDX-License-Identifier: MIT */
/*
 * A device's magazine of freed IOVAs (internal), in front of the shared
 * space of the container (iova.h), as the kernel's per-CPU IOVA caches
 * stand in front of its IOVA domain (drivers/iommu/iova.c).
 *
 * A device that frees a small buffer keeps the IOVA in its own magazine,
 * by size; its next allocation of that size takes it back without the
 * container's lock or a descent of the container's tree.  The magazine is
 * guarded by the device's DMA lock, which every DMA op runs under.  It is
 * small (UDRV_IOVA_MAG_DEPTH per size, sizes up to UDRV_IOVA_MAG_CLASSES
 * units: at most 1.1 MiB of address space per device) and goes back to the
 * container when the device is closed, or when the container cannot serve
 * one of the device's requests.  The container moves IOVAs in and out of it
 * half a magazine at a time (container.c): a driver filling or emptying its
 * rings takes the container's lock once every few buffers.
 */
#ifndef UDRV_IOVA_MAG_H
#define UDRV_IOVA_MAG_H

#include <stdbool.h>
#include <stdint.h>

#define UDRV_IOVA_MAG_UNIT 4096u /* sizes are kept in classes of this many bytes */
#define UDRV_IOVA_MAG_CLASSES 8  /* 1 to 8 units */
#define UDRV_IOVA_MAG_DEPTH 8    /* IOVAs kept per class */

struct udrv_iova_mag {
	uint8_t n[UDRV_IOVA_MAG_CLASSES];
	uint64_t iova[UDRV_IOVA_MAG_CLASSES][UDRV_IOVA_MAG_DEPTH];
};

/*
 * udrv_iova_mag_get(): the most recently put IOVA of exactly @size bytes,
 * if it is aligned to @align (a power of two) and its last byte is at or
 * below @limit: true with *@iova set and the IOVA taken out; else false.
 * udrv_iova_mag_put(): keep [iova, iova + size); false (nothing kept) if
 * @size is not cached or its class is full.
 * udrv_iova_mag_pop(): take out any one; false if the magazine is empty
 * (to empty it into the space).
 * Inline: they are a few instructions each, on every small map and unmap.
 */

/* The class of @size, or UDRV_IOVA_MAG_CLASSES if it is not cached. */
static inline unsigned int udrv_iova_mag_class(uint64_t size)
{
	uint64_t units = size / UDRV_IOVA_MAG_UNIT;

	if (!units || units > UDRV_IOVA_MAG_CLASSES || size % UDRV_IOVA_MAG_UNIT)
		return UDRV_IOVA_MAG_CLASSES;
	return (unsigned int)units - 1;
}

static inline bool udrv_iova_mag_get(struct udrv_iova_mag *m, uint64_t size, uint64_t align, uint64_t limit,
		       uint64_t *iova)
{
	unsigned int c = udrv_iova_mag_class(size);
	uint64_t v;

	if (c == UDRV_IOVA_MAG_CLASSES || !m->n[c])
		return false;
	v = m->iova[c][m->n[c] - 1];
	if ((v & (align - 1)) || v + size - 1 > limit)
		return false;
	m->n[c]--;
	*iova = v;
	return true;
}

static inline bool udrv_iova_mag_put(struct udrv_iova_mag *m, uint64_t iova, uint64_t size)
{
	unsigned int c = udrv_iova_mag_class(size);

	if (c == UDRV_IOVA_MAG_CLASSES || m->n[c] == UDRV_IOVA_MAG_DEPTH)
		return false;
	m->iova[c][m->n[c]++] = iova;
	return true;
}

static inline bool udrv_iova_mag_pop(struct udrv_iova_mag *m, uint64_t *iova, uint64_t *size)
{
	unsigned int c;

	for (c = 0; c < UDRV_IOVA_MAG_CLASSES; c++)
		if (m->n[c]) {
			*iova = m->iova[c][--m->n[c]];
			*size = (uint64_t)(c + 1) * UDRV_IOVA_MAG_UNIT;
			return true;
		}
	return false;
}

#endif /* UDRV_IOVA_MAG_H */
