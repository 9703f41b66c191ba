/* SPDX-License-Identifier: MIT */
/*
 * The admin part's internals (lib/admin: binding, modprobe, users): raw
 * sysfs writes, loading driver modules, and finding the processes that use
 * a device.
 */
#ifndef UDRV_ADMIN_H
#define UDRV_ADMIN_H

#include <stddef.h>

#include "udrv_internal.h"

/*
 * sysfs_write.c: write @val to the sysfs attribute @path (O_TRUNC, so a fake
 * tree of plain files shows the last value).  Returns 0 or -errno and sets
 * no message: callers say what they were doing.  Unit tests wrap this
 * function (ld --wrap) to act as the kernel.
 */
int udrv_sysfs_write(const char *path, const char *val);

/*
 * modprobe.c: run "modprobe @module" (the first of /sbin/modprobe,
 * /usr/sbin/modprobe, /bin/modprobe, /usr/bin/modprobe, with a fixed
 * environment) with posix_spawn; 0 when it exits with 0, else a negative
 * errno and a message quoting its output.  @why ends the message with the
 * remedy.
 */
int udrv_modprobe(const char *module, const char *why);
#ifdef UDRV_TEST_HOOKS
/* The unit tests' stand-in for modprobe; NULL: the real one. */
void udrv_test_set_modprobe(const char *path);
#endif

/*
 * users.c: the processes that hold the character devices through which
 * user space drives @name (its /dev/uioN, its VFIO group, its VFIO cdev).
 * Returns how many were found (0: none or no such device) and describes up
 * to a few as "pid 12 (edu), ..." in @buf.
 */
int udrv_device_users(const char *name, char *buf, size_t size);

#endif /* UDRV_ADMIN_H */
