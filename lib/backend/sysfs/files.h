/* SPDX-License-Identifier: MIT */
/*
 * The files sysfs gives every PCI function: "config", "resourceN" (and
 * "resourceN_wc"), "reset".  The sysfs backend is made of them, and the UIO
 * backends use them for what UIO does not offer (config space, I/O ports,
 * BARs the UIO driver does not export).
 *
 * A backend that uses these helpers starts its private state (dev->priv)
 * with a struct udrv_sysfs_files, so that they can serve as its ops
 * directly.
 */
#ifndef UDRV_BACKEND_SYSFS_FILES_H
#define UDRV_BACKEND_SYSFS_FILES_H

#include "udrv_internal.h"

struct udrv_sysfs_files {
	int config_fd;                 /* "config", or -1 */
	int io_fd[UDRV_NUM_BARS];      /* "resourceN" of I/O-port BARs, opened on first use */
};

static inline struct udrv_sysfs_files *udrv_sysfs_files(struct udrv_device *dev)
{
	return dev->priv;
}

/* Open "config" into @f (read-only if not root) and set dev->config_size. */
int udrv_sysfs_files_open(struct udrv_device *dev, struct udrv_sysfs_files *f);
/* Close what @f holds; @f may be partly open. */
void udrv_sysfs_files_close(struct udrv_sysfs_files *f);

/* Ops, on the files at the start of dev->priv. */
ssize_t udrv_sysfs_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off);
ssize_t udrv_sysfs_config_write(struct udrv_device *dev, const void *buf, size_t len, off_t off);
int udrv_sysfs_bar_rw(struct udrv_device *dev, unsigned int bar, uint64_t off, unsigned int width,
		      void *val, bool write);
int udrv_sysfs_reset(struct udrv_device *dev);
/* mmap of "resourceN" ("resourceN_wc" for a prefetchable BAR if map->want asks for WC). */
int udrv_sysfs_resource_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map);
/* BAR description from the "resource" file; memory BARs can be mapped. */
int udrv_sysfs_mappable_bar_info(struct udrv_device *dev, unsigned int bar,
				 struct udrv_bar_info *info);

#endif /* UDRV_BACKEND_SYSFS_FILES_H */
