/* SPDX-License-Identifier: MIT */
/**
 * DOC: access paths
 *
 * The one table of the ways libudrv reaches a device: for each backend, the
 * kernel driver that offers it, the modules to load for that driver, and
 * what to do when they cannot be loaded.  udrv_open() picks its backend from
 * it, udrv_bind() loads modules from it, and the tools list it
 * (``udrv-bind --paths``), so no program keeps a copy.
 *
 * A driver selects a backend by its exact name (``vfio-pci``) or by its
 * family: vfio-pci's variant drivers (``mlx5_vfio_pci``,
 * ``hisi_acc_vfio_pci``...) are VFIO devices too, and every driver whose name
 * contains ``vfio`` is taken for one.  A driver no entry claims is reached
 * through sysfs.
 */
#ifndef UDRV_ACCESS_PATH_H
#define UDRV_ACCESS_PATH_H

#include <udrv/device.h>

#ifdef __cplusplus
extern "C" {
#endif

/** UDRV_ACCESS_PATH_MAX_MODULES - most modules one access path loads */
#define UDRV_ACCESS_PATH_MAX_MODULES 3

/**
 * struct udrv_access_path - one access path
 * @backend: its value in &enum udrv_backend
 * @name:    short name ("vfio"), as udrv_backend_name() returns
 * @driver:  the kernel driver that offers it ("vfio-pci"), or NULL for a path
 *           that works with any driver or none (sysfs)
 * @family:  a driver whose name contains this also selects the path
 *           ("vfio"), or NULL
 * @modules: the modules that ``modprobe`` loads for @driver, in order;
 *           unused slots are NULL
 * @remedy:  what to do when they cannot be loaded, for error messages
 * @summary: one line: what the path gives
 */
struct udrv_access_path {
	enum udrv_backend backend;
	const char *name;
	const char *driver;
	const char *family;
	const char *modules[UDRV_ACCESS_PATH_MAX_MODULES];
	const char *remedy;
	const char *summary;
};

/**
 * udrv_access_path() - an access path by its backend value
 * @backend: a value of &enum udrv_backend other than %UDRV_BACKEND_AUTO
 *
 * The paths are numbered from 1 without gaps, so
 * ``for (b = 1; (p = udrv_access_path(b)); b++)`` lists them all.
 *
 * Return: the path, or NULL for %UDRV_BACKEND_AUTO and unknown values.
 * Sets no error message.
 */
const struct udrv_access_path *udrv_access_path(enum udrv_backend backend);

/**
 * udrv_access_path_by_name() - an access path by its short name
 * @name: "vfio", "uio", "stub", "sysfs"...
 *
 * Return: the path, or NULL if no path has that name (or @name is NULL).
 * Sets no error message.
 */
const struct udrv_access_path *udrv_access_path_by_name(const char *name);

/**
 * udrv_access_path_for_driver() - the access path a bound driver gives
 * @driver: a PCI driver's name as in /sys/bus/pci/drivers, or NULL or ""
 *          for no driver
 *
 * Exact driver names first, then families, then the path that works with
 * any driver (sysfs).
 *
 * Return: the path udrv_open() uses for a function bound to @driver; never
 * NULL.
 */
const struct udrv_access_path *udrv_access_path_for_driver(const char *driver);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_ACCESS_PATH_H */
