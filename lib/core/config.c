// SPDX-License-Identifier: MIT
/*
 * Config space: range checks once for every backend, then the backend's
 * config_read/config_write; sized accessors convert from little-endian.
 */
#include <endian.h>
#include <errno.h>
#include <stdint.h>

#include "udrv_internal.h"

static int check_config(struct udrv_device *dev, const void *buf, size_t len, off_t off)
{
	if (!buf)
		return udrv_err(EINVAL, "%s: config access with a NULL buffer", dev->name);
	if (off < 0)
		return udrv_err(EINVAL, "%s: negative config offset %jd", dev->name, (intmax_t)off);
	if ((size_t)off > dev->config_size || len > dev->config_size - off)
		return udrv_err(EINVAL,
				"%s: config access of %zu bytes at 0x%jx is outside the device's %zu-byte config space",
				dev->name, len, (intmax_t)off, dev->config_size);
	return 0;
}

UDRV_EXPORT ssize_t udrv_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off)
{
	int ret = check_config(dev, buf, len, off);

	return ret ? ret : dev->ops->config_read(dev, buf, len, off);
}

UDRV_EXPORT ssize_t udrv_config_write(struct udrv_device *dev, const void *buf, size_t len,
				      off_t off)
{
	int ret = check_config(dev, buf, len, off);

	return ret ? ret : dev->ops->config_write(dev, buf, len, off);
}

static int config_sized(struct udrv_device *dev, off_t off, void *val, size_t width, bool write)
{
	ssize_t n;

	if (off % width)
		return udrv_err(EINVAL, "%s: config offset 0x%jx is not aligned to its %zu-byte width",
				dev->name, (intmax_t)off, width);
	n = write ? udrv_config_write(dev, val, width, off) : udrv_config_read(dev, val, width, off);
	return n < 0 ? (int)n : 0;
}

/* Config space is little-endian; these convert on big-endian hosts. */
UDRV_EXPORT int udrv_config_read32(struct udrv_device *dev, off_t off, uint32_t *val)
{
	uint32_t le;
	int ret = config_sized(dev, off, &le, 4, false);

	if (!ret)
		*val = le32toh(le);
	return ret;
}

UDRV_EXPORT int udrv_config_read16(struct udrv_device *dev, off_t off, uint16_t *val)
{
	uint16_t le;
	int ret = config_sized(dev, off, &le, 2, false);

	if (!ret)
		*val = le16toh(le);
	return ret;
}

UDRV_EXPORT int udrv_config_write16(struct udrv_device *dev, off_t off, uint16_t val)
{
	uint16_t le = htole16(val);

	return config_sized(dev, off, &le, 2, true);
}

UDRV_EXPORT int udrv_config_read8(struct udrv_device *dev, off_t off, uint8_t *val)
{
	return config_sized(dev, off, val, 1, false);
}

UDRV_EXPORT int udrv_config_write8(struct udrv_device *dev, off_t off, uint8_t val)
{
	return config_sized(dev, off, &val, 1, true);
}

UDRV_EXPORT int udrv_config_write32(struct udrv_device *dev, off_t off, uint32_t val)
{
	uint32_t le = htole32(val);

	return config_sized(dev, off, &le, 4, true);
}
