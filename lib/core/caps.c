// SPDX-License-Identifier: MIT
/*
 * Capability lists.  The walkers work on a config space image so they can
 * be tested on recorded config spaces; the device variants read the image
 * through the backend first.
 */
#include <errno.h>
#include <stdlib.h>

#include <linux/pci_regs.h>

#include "udrv_internal.h"

#define PCI_EXT_CAP_START   PCI_CFG_SPACE_SIZE
/* A capability is at least 4 bytes, so no list can be longer than this. */
#define MAX_CAPS            (PCI_CFG_SPACE_EXP_SIZE / 4)

static uint16_t rd16(const struct udrv_cap_walk_buf *c, unsigned int off)
{
	return c->data[off] | c->data[off + 1] << 8;
}

static uint32_t rd32(const struct udrv_cap_walk_buf *c, unsigned int off)
{
	return rd16(c, off) | (uint32_t)rd16(c, off + 2) << 16;
}

UDRV_EXPORT int udrv_cap_find_in(const struct udrv_cap_walk_buf *cfg, uint8_t id,
				 unsigned int after)
{
	unsigned int pos, n;

	if (!cfg || !cfg->data || cfg->size < 256)
		return udrv_err(EINVAL, "capability walk: config image must be 256 or 4096 bytes");
	if (after && (after < 0x40 || after > 256 - 4))
		return udrv_err(EINVAL, "capability walk: 'after' 0x%x is not a capability offset",
				after);
	if (!(rd16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return -ENOENT;
	pos = after ? cfg->data[after + 1] : cfg->data[PCI_CAPABILITY_LIST];
	for (n = 0; pos; n++) {
		pos &= ~3u;
		if (pos < 0x40 || pos > 256 - 4)
			return udrv_err(EIO, "capability list points to 0x%x, outside 0x40-0xfc", pos);
		if (n >= MAX_CAPS)
			return udrv_err(ELOOP, "capability list loops (at 0x%x)", pos);
		if (cfg->data[pos] == id)
			return pos;
		pos = cfg->data[pos + 1];
	}
	return -ENOENT;
}

UDRV_EXPORT int udrv_ext_cap_find_in(const struct udrv_cap_walk_buf *cfg, uint16_t id,
				     unsigned int after)
{
	unsigned int pos, n;
	uint32_t hdr;

	if (!cfg || !cfg->data || cfg->size < 256)
		return udrv_err(EINVAL, "capability walk: config image must be 256 or 4096 bytes");
	if (cfg->size < 4096)
		return -ENOENT;
	if (after && (after < PCI_EXT_CAP_START || after > 4096 - 4 || (after & 3)))
		return udrv_err(EINVAL,
				"extended capability walk: 'after' 0x%x is not a capability offset",
				after);
	pos = after ? rd32(cfg, after) >> 20 : PCI_EXT_CAP_START;
	for (n = 0; pos; n++) {
		if (pos < PCI_EXT_CAP_START || pos > 4096 - 4 || (pos & 3))
			return udrv_err(EIO, "extended capability list points to 0x%x", pos);
		if (n >= MAX_CAPS)
			return udrv_err(ELOOP, "extended capability list loops (at 0x%x)", pos);
		hdr = rd32(cfg, pos);
		/* An all-zero or all-ones header at 0x100 means: no extended capabilities. */
		if (!hdr || hdr == 0xffffffff)
			return -ENOENT;
		if ((hdr & 0xffff) == id)
			return pos;
		pos = hdr >> 20;
	}
	return -ENOENT;
}

/* Read the device's config space into a freshly allocated image. */
static int read_image(struct udrv_device *dev, struct udrv_cap_walk_buf *cfg, size_t size)
{
	uint8_t *buf = malloc(size);
	ssize_t n;

	if (!buf)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	n = udrv_config_read(dev, buf, size, 0);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	cfg->data = buf;
	cfg->size = size;
	return 0;
}

/* A walk's failure on a device's own config space: name the device. */
static int name_device(struct udrv_device *dev, int ret)
{
	struct udrv_err_saved saved;

	if (ret >= 0 || ret == -ENOENT)
		return ret;
	udrv_err_save(&saved);
	return udrv_err(ret, "%s: %s", dev->name, saved.msg);
}

UDRV_EXPORT int udrv_cap_find(struct udrv_device *dev, uint8_t id, unsigned int after)
{
	struct udrv_cap_walk_buf cfg;
	int ret = read_image(dev, &cfg, 256);

	if (ret)
		return ret;
	ret = name_device(dev, udrv_cap_find_in(&cfg, id, after));
	free((void *)cfg.data);
	return ret;
}

UDRV_EXPORT int udrv_ext_cap_find(struct udrv_device *dev, uint16_t id, unsigned int after)
{
	struct udrv_cap_walk_buf cfg;
	int ret;

	if (dev->config_size < 4096)
		return -ENOENT;
	ret = read_image(dev, &cfg, 4096);
	if (ret)
		return ret;
	ret = name_device(dev, udrv_ext_cap_find_in(&cfg, id, after));
	free((void *)cfg.data);
	return ret;
}
