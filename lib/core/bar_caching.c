// SPDX-License-Identifier: MIT
/*
 * Cache type of BAR mappings: uncached unless write-combining is asked for
 * (udrv_bar_map_flags()), and what the backend's mapping actually got.
 */
#include <errno.h>

#include "udrv_internal.h"

UDRV_EXPORT int udrv_bar_map_flags(struct udrv_device *dev, unsigned int bar, unsigned int flags,
				   void **addr, size_t *size)
{
	struct udrv_bar_info *info;
	struct udrv_bar_map *map;
	int ret;

	if (flags & ~UDRV_BAR_MAP_WC)
		return udrv_err(EINVAL, "%s: unknown BAR mapping flags 0x%x", dev->name,
				flags & ~UDRV_BAR_MAP_WC);
	ret = udrv_bar_cached_info(dev, bar, &info);
	if (ret)
		return ret;
	map = &dev->bars[bar].map;
	if (map->base && map->want != flags)
		return udrv_err(EBUSY, "%s: BAR %u is already mapped %s; udrv_bar_unmap() it first",
				dev->name, bar, map->got & UDRV_BAR_MAP_WC ? "write-combining" :
				"uncached");
	if (!map->base)
		map->want = flags;
	ret = udrv_bar_map(dev, bar, addr, size);
	if (ret) {
		map->want = 0;
		return ret;
	}
	return (int)map->got;
}
