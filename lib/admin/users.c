// SPDX-License-Identifier: MIT
/*
 * Who is using a device from user space?  A user-space driver holds one of
 * the character devices its kernel driver exports: /dev/uioN (uio_pci_generic,
 * udrv_stub), /dev/vfio/<group> or /dev/vfio/devices/vfioN (vfio-pci).  Their
 * device numbers come from sysfs ("dev" attributes, so no /dev lookup), and
 * every process's open files are compared with them, as fuser does.
 *
 * Unbinding such a device is unsafe: uio yanks the device from under its
 * user, and vfio-pci's remove() blocks until the user closes it, so the
 * unbinding write would hang - forever if the user is the caller itself.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "admin.h"

#define MAX_DEVS 8
#define MAX_SHOWN 4

struct devset {
	dev_t dev[MAX_DEVS];
	int n;
};

static void add_dev_attr(struct devset *s, const char *path)
{
	unsigned int maj, min;
	char buf[32];

	if (s->n < MAX_DEVS && !udrv_sysfs_read_str(path, buf, sizeof(buf)) &&
	    sscanf(buf, "%u:%u", &maj, &min) == 2)
		s->dev[s->n++] = makedev(maj, min);
}

/* Every <dir>/<entry>/dev, e.g. .../uio/uio0/dev. */
static void add_class_dir(struct devset *s, const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/dev", dir, de->d_name) < (int)sizeof(path))
			add_dev_attr(s, path);
	}
	if (d)
		closedir(d);
}

static void collect_devs(const char *name, struct devset *s)
{
	char path[PATH_MAX], driver[64];
	int group;

	if (!udrv_sysfs_pci_path(name, "uio", path, sizeof(path)))
		add_class_dir(s, path);
	if (!udrv_sysfs_pci_path(name, "vfio-dev", path, sizeof(path)))
		add_class_dir(s, path);

	udrv_sysfs_driver(name, driver, sizeof(driver));
	if (!*driver || udrv_access_path_for_driver(driver)->backend != UDRV_BACKEND_VFIO)
		return;
	group = udrv_sysfs_iommu_group(name);
	if (group < 0)
		return;
	snprintf(path, sizeof(path), "%s/class/vfio/%d/dev", udrv_sysfs_root(), group);
	add_dev_attr(s, path);
	snprintf(path, sizeof(path), "%s/class/vfio/noiommu-%d/dev", udrv_sysfs_root(), group);
	add_dev_attr(s, path);
}

static bool holds(int pid_dir, const struct devset *s)
{
	struct dirent *de;
	struct stat st;
	bool found = false;
	int i, fd = openat(pid_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) ||
		    !S_ISCHR(st.st_mode))
			continue;
		for (i = 0; i < s->n && !found; i++)
			found = st.st_rdev == s->dev[i];
	}
	closedir(d);
	return found;
}

static void describe(int pid_dir, const char *pid, char *buf, size_t size, size_t *used)
{
	char comm[64] = "?";
	ssize_t n;
	int fd = openat(pid_dir, "comm", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, comm, sizeof(comm) - 1);
		comm[n > 0 ? n : 0] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		close(fd);
	}
	if (*used < size)
		*used += snprintf(buf + *used, size - *used, "%spid %s (%s%s)", *used ? ", " : "",
				  pid, comm, atoi(pid) == getpid() ? ", this process" : "");
}

/* Check one /proc/<pid>; describe it if it holds one of the devices. */
static int check_pid(int proc_fd, const char *pid, const struct devset *s, int found, char *buf,
		     size_t size, size_t *used)
{
	int pid_dir = openat(proc_fd, pid, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (pid_dir < 0)
		return 0;
	if (!holds(pid_dir, s)) {
		close(pid_dir);
		return 0;
	}
	if (found < MAX_SHOWN)
		describe(pid_dir, pid, buf, size, used);
	else if (found == MAX_SHOWN && *used < size)
		*used += snprintf(buf + *used, size - *used, ", ...");
	close(pid_dir);
	return 1;
}

int udrv_device_users(const char *name, char *buf, size_t size)
{
	struct devset s = { .n = 0 };
	char self[16];
	struct dirent *de;
	size_t used = 0;
	int found = 0;
	DIR *proc;

	if (size)
		buf[0] = '\0';
	collect_devs(name, &s);
	if (!s.n)
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	/* The caller first: holding the device itself is the likeliest mistake. */
	snprintf(self, sizeof(self), "%d", (int)getpid());
	found += check_pid(dirfd(proc), self, &s, found, buf, size, &used);
	while ((de = readdir(proc)))
		if (isdigit((unsigned char)de->d_name[0]) && strcmp(de->d_name, self))
			found += check_pid(dirfd(proc), de->d_name, &s, found, buf, size, &used);
	closedir(proc);
	return found;
}
