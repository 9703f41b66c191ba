// SPDX-License-Identifier: MIT
/*
 * Where sysfs and the device nodes live.  A release build answers /sys and
 * /dev, always: libudrv runs in root and setuid programs, whose environment
 * must not steer which files they open or write.  The unit tests need a
 * fake tree; only a library compiled for them (-DUDRV_TEST_HOOKS, which
 * lib/meson.build passes to the tests' copy alone) has the setter.
 */
#include <stdio.h>

#include "udrv_internal.h"

#ifdef UDRV_TEST_HOOKS
static char sysfs_root[PATH_MAX] = "/sys";
static char dev_root[PATH_MAX] = "/dev";

/* Copied: the caller's strings may be gone by the time they are used. */
void udrv_test_set_roots(const char *sysfs, const char *dev)
{
	snprintf(sysfs_root, sizeof(sysfs_root), "%s", sysfs ? sysfs : "/sys");
	snprintf(dev_root, sizeof(dev_root), "%s", dev ? dev : "/dev");
}

const char *udrv_sysfs_root(void)
{
	return sysfs_root;
}

const char *udrv_dev_root(void)
{
	return dev_root;
}
#else
const char *udrv_sysfs_root(void)
{
	return "/sys";
}

const char *udrv_dev_root(void)
{
	return "/dev";
}
#endif
