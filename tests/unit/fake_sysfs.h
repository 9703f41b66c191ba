/* SPDX-License-Identifier: MIT */
/*
 * A fake /sys for unit tests: a temporary directory with
 * bus/pci/devices/<addr>/{config,resource,driver} that the unit tests'
 * libudrv (built with UDRV_TEST_HOOKS) reads instead of /sys.
 */
#ifndef FAKE_SYSFS_H
#define FAKE_SYSFS_H

#include <stddef.h>

#include "fds.h"

/*
 * Create the tree and point libudrv at it (udrv_test_set_roots()), and
 * $UDRV_SYSFS_ROOT too, for scripts the tests run; returns its path.
 */
const char *fake_sysfs_create(void);
/* Remove the tree and point libudrv back at /sys and /dev. */
void fake_sysfs_destroy(void);
/* Point libudrv at another sysfs root (NULL: /sys) and /dev root (NULL: /dev). */
void fake_sysfs_set_roots(const char *sysfs, const char *dev);
/* Write a file (relative to the root), creating parent directories. */
void fake_sysfs_put(const char *rel, const void *data, size_t len);
/* Add a PCI function with this config space and "resource" file text. */
void fake_sysfs_add_device(const char *addr, const void *config, size_t config_len,
			   const char *resource);
/* Point the function's driver link at bus/pci/drivers/<driver> (NULL: unbind). */
void fake_sysfs_bind(const char *addr, const char *driver);
/* Read a recorded config space from tests/unit/data; returns its length. */
size_t fake_sysfs_load(const char *name, unsigned char *buf, size_t size);

#endif /* FAKE_SYSFS_H */
