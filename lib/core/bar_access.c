// SPDX-License-Identifier: MIT
/*
 * Checked register access to any BAR: bounds, alignment, width and holes
 * are checked, memory BARs are read through their mapping with exactly one
 * access of the requested width, I/O-port BARs through the backend.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "udrv_internal.h"

static int check_access(struct udrv_device *dev, unsigned int bar, uint64_t off,
			unsigned int width, struct udrv_bar_info **info)
{
	struct udrv_bar_map *map;
	void *addr;
	unsigned int i;
	int ret;

	if (width != 1 && width != 2 && width != 4 && width != 8)
		return udrv_err(EINVAL, "%s: access width %u: must be 1, 2, 4 or 8 bytes",
				dev->name, width);
	ret = udrv_bar_cached_info(dev, bar, info);
	if (ret)
		return ret;
	if (off % width)
		return udrv_err(EINVAL, "%s: BAR %u offset 0x%" PRIx64 " is not aligned to its %u-byte width",
				dev->name, bar, off, width);
	if (off >= (*info)->size || width > (*info)->size - off)
		return udrv_err(EINVAL, "%s: BAR %u access of %u bytes at 0x%" PRIx64 " is past its end (size 0x%" PRIx64 ")",
				dev->name, bar, width, off, (*info)->size);
	if ((*info)->flags & UDRV_BAR_IO) {
		if (width == 8)
			return udrv_err(EINVAL, "%s: BAR %u is an I/O port BAR: 8-byte access does not exist",
					dev->name, bar);
		return 0;
	}
	ret = udrv_bar_map(dev, bar, &addr, NULL);
	if (ret)
		return ret;
	map = &dev->bars[bar].map;
	for (i = 0; i < map->nranges; i++)
		if (off >= map->ranges[i].offset &&
		    off + width <= map->ranges[i].offset + map->ranges[i].size)
			return 0;
	return udrv_err(EFAULT,
			"%s: BAR %u offset 0x%" PRIx64 " is in a hole (MSI-X table or PBA the backend does not let user space map); see udrv_bar_ranges()",
			dev->name, bar, off);
}

UDRV_EXPORT int udrv_bar_read(struct udrv_device *dev, unsigned int bar, uint64_t off,
			      unsigned int width, uint64_t *val)
{
	struct udrv_bar_info *info;
	uint8_t *p;
	int ret = check_access(dev, bar, off, width, &info);

	if (ret)
		return ret;
	if (info->flags & UDRV_BAR_IO) {
		uint32_t v = 0;

		ret = dev->ops->bar_rw(dev, bar, off, width, &v, false);
		if (!ret)
			*val = width == 1 ? (uint8_t)v : width == 2 ? (uint16_t)v : v;
		return ret;
	}
	p = dev->bars[bar].map.addr;
	switch (width) {
	case 1:
		*val = udrv_read8(p, off);
		break;
	case 2:
		*val = udrv_read16(p, off);
		break;
	case 4:
		*val = udrv_read32(p, off);
		break;
	default:
		*val = udrv_read64(p, off);
		break;
	}
	return 0;
}

UDRV_EXPORT int udrv_bar_write(struct udrv_device *dev, unsigned int bar, uint64_t off,
			       unsigned int width, uint64_t val)
{
	struct udrv_bar_info *info;
	uint8_t *p;
	int ret;

	if (width < 8 && width && (val >> (8 * width)))
		return udrv_err(ERANGE, "%s: value 0x%" PRIx64 " does not fit in %u bytes",
				dev->name, val, width);
	ret = check_access(dev, bar, off, width, &info);
	if (ret)
		return ret;
	if (info->flags & UDRV_BAR_IO) {
		uint32_t v = (uint32_t)val;

		return dev->ops->bar_rw(dev, bar, off, width, &v, true);
	}
	p = dev->bars[bar].map.addr;
	switch (width) {
	case 1:
		udrv_write8(p, off, (uint8_t)val);
		break;
	case 2:
		udrv_write16(p, off, (uint16_t)val);
		break;
	case 4:
		udrv_write32(p, off, (uint32_t)val);
		break;
	default:
		udrv_write64(p, off, val);
		break;
	}
	return 0;
}
