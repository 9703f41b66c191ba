// SPDX-License-Identifier: MIT
/*
 * The one place binding writes to sysfs.  Kept in its own object file so
 * that unit tests can interpose on it (ld --wrap=udrv_sysfs_write) and play
 * the kernel's part on a fake tree: a write to drivers_probe binds, a write
 * to unbind unbinds.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"

int udrv_sysfs_write(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	/* sysfs reports store errors from write(); close() adds nothing, but check it anyway. */
	if (close(fd) && !err)
		err = -errno;
	return err;
}
