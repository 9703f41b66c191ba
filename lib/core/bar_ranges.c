// SPDX-License-Identifier: MIT
/*
 * Holes in BARs.  A BAR that holds the MSI-X table and PBA cannot always be
 * mapped whole: VFIO refuses to let user space map those pages unless the
 * platform remaps interrupts, and says so with a sparse-mmap capability.
 * Then udrv maps the rest of the BAR around the holes.  The arithmetic lives
 * here so it can be unit-tested without a device.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/pci_regs.h>

#include "udrv_internal.h"

int udrv_ranges_subtract(uint64_t size, const struct udrv_range *holes, unsigned int nholes,
			 uint64_t page, struct udrv_range *out, unsigned int *nout)
{
	struct udrv_range h[UDRV_BAR_MAX_RANGES];
	uint64_t pos = 0;
	unsigned int i, j, n = 0;

	if (nholes > UDRV_BAR_MAX_RANGES || !page || (page & (page - 1)))
		return -EINVAL;
	/* Round each hole out to whole pages, clip to the BAR, sort by offset. */
	for (i = 0; i < nholes; i++) {
		uint64_t start = holes[i].offset & ~(page - 1);
		uint64_t end = (holes[i].offset + holes[i].size + page - 1) & ~(page - 1);

		h[i].offset = start < size ? start : size;
		h[i].size = (end < size ? end : size) - h[i].offset;
		for (j = i; j > 0 && h[j - 1].offset > h[j].offset; j--) {
			struct udrv_range t = h[j];

			h[j] = h[j - 1];
			h[j - 1] = t;
		}
	}
	for (i = 0; i <= nholes; i++) {
		uint64_t end = i < nholes ? h[i].offset : size;

		if (end > pos) {
			if (n == UDRV_BAR_MAX_RANGES)
				return -E2BIG;
			out[n].offset = pos;
			out[n].size = end - pos;
			n++;
		}
		if (i < nholes && h[i].offset + h[i].size > pos)
			pos = h[i].offset + h[i].size;
	}
	*nout = n;
	return 0;
}

int udrv_msix_holes(struct udrv_device *dev, unsigned int bar, struct udrv_range holes[2],
		    unsigned int *nholes)
{
	uint32_t table, pba;
	uint16_t flags;
	unsigned int entries;
	int cap, ret;

	*nholes = 0;
	cap = udrv_cap_find(dev, UDRV_CAP_ID_MSIX, 0);
	if (cap == -ENOENT)
		return 0;
	if (cap < 0)
		return cap;
	ret = udrv_config_read16(dev, cap + PCI_MSIX_FLAGS, &flags);
	if (!ret)
		ret = udrv_config_read32(dev, cap + PCI_MSIX_TABLE, &table);
	if (!ret)
		ret = udrv_config_read32(dev, cap + PCI_MSIX_PBA, &pba);
	if (ret)
		return ret;
	entries = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
	if ((table & PCI_MSIX_TABLE_BIR) == bar) {
		holes[*nholes].offset = table & PCI_MSIX_TABLE_OFFSET;
		holes[*nholes].size = entries * PCI_MSIX_ENTRY_SIZE;
		(*nholes)++;
	}
	if ((pba & PCI_MSIX_PBA_BIR) == bar) {
		holes[*nholes].offset = pba & PCI_MSIX_PBA_OFFSET;
		holes[*nholes].size = (entries + 63) / 64 * 8;
		(*nholes)++;
	}
	return 0;
}

int udrv_map_ranges(struct udrv_device *dev, int fd, off_t file_off, int prot,
		    const struct udrv_range *ranges, unsigned int n, struct udrv_bar_map *map)
{
	size_t len = map->size;
	unsigned int i;
	char *base;

	/* Reserve the whole BAR's span inaccessible, then map each range into it. */
	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return udrv_err(errno, "%s: cannot reserve %zu bytes of address space: %s",
				dev->name, len, strerror(errno));
	for (i = 0; i < n; i++) {
		void *p = mmap(base + ranges[i].offset, ranges[i].size, prot, MAP_SHARED | MAP_FIXED,
			       fd, file_off + ranges[i].offset);

		if (p == MAP_FAILED) {
			int err = errno;

			munmap(base, len);
			return udrv_err(err, "%s: mmap of BAR range 0x%llx+0x%llx failed: %s",
					dev->name, (unsigned long long)ranges[i].offset,
					(unsigned long long)ranges[i].size, strerror(err));
		}
	}
	map->base = base;
	map->map_len = len;
	map->addr = base;
	memcpy(map->ranges, ranges, n * sizeof(*ranges));
	map->nranges = n;
	return 0;
}
