/* SPDX-License-Identifier: MIT */
/**
 * DOC: PCI capabilities
 *
 * Walking the standard capability list (config offset 0x34, IDs as in
 * PCI_CAP_ID_*) and the PCIe extended capability list (from offset 0x100,
 * IDs as in PCI_EXT_CAP_ID_*).  Malformed lists (loops, pointers into the
 * header or past config space) end the walk with -ELOOP or -EIO instead of
 * spinning or reading garbage.
 */
#ifndef UDRV_CAPS_H
#define UDRV_CAPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_device;

/** UDRV_CAP_ID_MSI - MSI capability ID */
#define UDRV_CAP_ID_MSI  0x05
/** UDRV_CAP_ID_EXP - PCI Express capability ID */
#define UDRV_CAP_ID_EXP  0x10
/** UDRV_CAP_ID_MSIX - MSI-X capability ID */
#define UDRV_CAP_ID_MSIX 0x11

/**
 * udrv_cap_find() - find a standard capability
 * @dev:   the device
 * @id:    capability ID
 * @after: 0 to search from the start of the list, or the offset of a
 *         capability found before, to find the next one with the same ID
 *
 * Return: the config-space offset of the capability (> 0), -ENOENT if there
 * is none, or another negative errno (-ELOOP for a looping list).
 */
int udrv_cap_find(struct udrv_device *dev, uint8_t id, unsigned int after);

/**
 * udrv_ext_cap_find() - find a PCIe extended capability
 * @dev:   the device
 * @id:    extended capability ID
 * @after: 0, or the offset of a previous match to continue from
 *
 * Return: the offset (>= 0x100), -ENOENT if the device has none (including
 * devices with only 256 bytes of config space), or another negative errno.
 */
int udrv_ext_cap_find(struct udrv_device *dev, uint16_t id, unsigned int after);

/**
 * struct udrv_cap_walk_buf - a config space image to walk without a device
 * @data: config space bytes, little-endian as on the bus
 * @size: 256 or 4096
 */
struct udrv_cap_walk_buf {
	const uint8_t *data;
	size_t size;
};

/**
 * udrv_cap_find_in() - udrv_cap_find() on a config space image
 * @cfg:   the image (e.g. from ``lspci -xxx`` or a sysfs ``config`` file)
 * @id:    capability ID
 * @after: as for udrv_cap_find()
 *
 * Return: as udrv_cap_find().
 */
int udrv_cap_find_in(const struct udrv_cap_walk_buf *cfg, uint8_t id, unsigned int after);

/**
 * udrv_ext_cap_find_in() - udrv_ext_cap_find() on a config space image
 * @cfg:   the image
 * @id:    extended capability ID
 * @after: as for udrv_ext_cap_find()
 *
 * Return: as udrv_ext_cap_find().
 */
int udrv_ext_cap_find_in(const struct udrv_cap_walk_buf *cfg, uint16_t id, unsigned int after);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_CAPS_H */
