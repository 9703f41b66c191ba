// SPDX-License-Identifier: MIT
/*
 * Moving PCI functions between kernel drivers: driver_override, unbind,
 * drivers_probe, a check of the result, and the checks that make it safe
 * (modules loaded, device not in use, IOMMU group usable by VFIO).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "vfio/vfio.h"

#include <udrv/bind.h>

#define BIND_WAIT_MS 1000 /* how long a driver may take to probe asynchronously */

struct target {
	char name[UDRV_PCI_ADDR_STRLEN];
	char dir[PATH_MAX];
	char driver[UDRV_DRIVER_NAME_MAX];   /* bound now, "" if none */
	char override[UDRV_DRIVER_NAME_MAX]; /* driver_override now, "" if none */
};

/* A driver of the VFIO family: vfio-pci or one of its variants. */
static bool is_vfio(const char *driver)
{
	return udrv_access_path_for_driver(driver)->backend == UDRV_BACKEND_VFIO;
}

static int check_driver_name(const char *driver, const char *what)
{
	size_t i, len = driver ? strlen(driver) : 0;

	if (!len)
		return udrv_err(EINVAL, "%s: no driver name given (e.g. vfio-pci, uio_pci_generic, udrv_stub)",
				what);
	if (len >= UDRV_DRIVER_NAME_MAX || driver[0] == '.')
		goto bad;
	for (i = 0; i < len; i++)
		if (driver[i] == '/' || driver[i] <= ' ' || driver[i] > '~')
			goto bad;
	return 0;
bad:
	return udrv_err(EINVAL,
			"%s: '%s' is not a driver name (a name from /sys/bus/pci/drivers, e.g. vfio-pci)",
			what, driver);
}

static int open_target(const char *addr, struct target *t)
{
	struct udrv_pci_addr a;
	char path[PATH_MAX + 32];
	int ret;

	ret = udrv_pci_addr_parse(addr, &a);
	if (ret)
		return ret;
	udrv_pci_addr_format(&a, t->name, sizeof(t->name));
	ret = udrv_sysfs_pci_path(t->name, NULL, t->dir, sizeof(t->dir));
	if (ret)
		return ret;
	if (access(t->dir, F_OK))
		return udrv_err(ENODEV, "%s: no such PCI device (%s missing; see udrv-bind --status)",
				t->name, t->dir);
	udrv_sysfs_driver(t->name, t->driver, sizeof(t->driver));
	snprintf(path, sizeof(path), "%s/driver_override", t->dir);
	ret = udrv_sysfs_read_str(path, t->override, sizeof(t->override));
	if (ret)
		return udrv_err(ret == -ENOENT ? ENOTSUP : ret,
				"%s: cannot read %s: %s (driver_override needs Linux 3.16 or later)",
				t->name, path, strerror(-ret));
	if (!strcmp(t->override, "(null)"))
		t->override[0] = '\0';
	return 0;
}

static const char *write_hint(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return " (binding drivers needs root)";
	case EROFS:
		return " (sysfs is read-only here: in a container?)";
	case ENODEV:
	case EINVAL:
		return " (the driver refused the device: see dmesg)";
	case EBUSY:
		return " (the device is busy)";
	default:
		return "";
	}
}

/* Write @val to @attr, relative to the sysfs root; say what failed. */
static int write_attr(const struct target *t, const char *attr, const char *val)
{
	char path[PATH_MAX + 64];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", udrv_sysfs_root(), attr);
	ret = udrv_sysfs_write(path, val);
	if (ret)
		return udrv_err(ret, "%s: cannot write '%s' to %s: %s%s", t->name,
				strcmp(val, "\n") ? val : "\\n", path, strerror(-ret),
				write_hint(-ret));
	return 0;
}

static int write_override(const struct target *t, const char *driver)
{
	char attr[64];

	snprintf(attr, sizeof(attr), "bus/pci/devices/%s/driver_override", t->name);
	return write_attr(t, attr, *driver ? driver : "\n");
}

static int write_to_driver(const struct target *t, const char *driver, const char *file)
{
	char attr[128];

	snprintf(attr, sizeof(attr), "bus/pci/drivers/%s/%s", driver, file);
	return write_attr(t, attr, t->name);
}

/* Wait until the function's driver is @want ("" = none); @now gets the last one seen. */
static bool wait_bound(const struct target *t, const char *want, char *now, size_t size)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int waited;

	for (waited = 0;; waited += 10) {
		udrv_sysfs_driver(t->name, now, size);
		if (!strcmp(now, want) || waited >= BIND_WAIT_MS)
			return !strcmp(now, want);
		nanosleep(&tick, NULL);
	}
}

/*
 * Load @driver's modules unless it is registered already: those the access
 * path table lists for it, else a module of the driver's own name.
 */
static int ensure_driver(const char *driver)
{
	const struct udrv_access_path *p = udrv_access_path_for_driver(driver);
	const char *remedy = "check the name (ls /sys/bus/pci/drivers) or load its module by hand";
	const char *const *mods = (const char *const[]){ driver, NULL };
	char path[PATH_MAX];
	size_t i;
	int ret;

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", udrv_sysfs_root(), driver);
	if (!access(path, F_OK))
		return 0;
	if (p->driver && !strcmp(driver, p->driver)) {
		mods = p->modules;
		remedy = p->remedy;
	}
	for (i = 0; i < UDRV_ACCESS_PATH_MAX_MODULES && mods[i]; i++) {
		ret = udrv_modprobe(mods[i], remedy);
		if (ret)
			return ret;
	}
	if (access(path, F_OK))
		return udrv_err(ENOENT,
				"no PCI driver '%s': %s is missing after modprobe %s (is it a PCI driver? see ls /sys/bus/pci/drivers)",
				driver, path, mods[0]);
	return 0;
}

static bool noiommu_enabled(void)
{
	char path[PATH_MAX], val[8];

	snprintf(path, sizeof(path), "%s/module/vfio/parameters/enable_unsafe_noiommu_mode",
		 udrv_sysfs_root());
	return !udrv_sysfs_read_str(path, val, sizeof(val)) && (val[0] == 'Y' || val[0] == '1');
}

static int check_vfio_group(const struct target *t, const char *driver)
{
	int group = udrv_sysfs_iommu_group(t->name);

	if (group == -ENOENT && noiommu_enabled())
		return 0;
	if (group < 0)
		return udrv_err(ENODEV,
				"%s: has no IOMMU group, so %s cannot take it: enable the IOMMU (VT-d or AMD-Vi in the firmware; on Intel also intel_iommu=on on the kernel command line), or use uio_pci_generic or udrv_stub",
				t->name, driver);
	return udrv_vfio_group_viable(t->name, group, driver);
}

static int check_unused(const struct target *t)
{
	char users[256];
	int n = udrv_device_users(t->name, users, sizeof(users));

	if (!n)
		return 0;
	return udrv_err(EBUSY,
			"%s: in use from user space by %s (it holds the device's /dev/uio or VFIO node): stop %s before changing the driver",
			t->name, users, n > 1 ? "them" : "it");
}

/*
 * The move itself: override, unbind, probe, check.  On failure, put back
 * driver_override and the old driver, and say how that went.
 */
static int switch_driver(const struct target *t, const char *to)
{
	char now[UDRV_DRIVER_NAME_MAX], msg[512];
	int ret;

	ret = write_override(t, to);
	if (ret)
		return ret;
	if (*t->driver) {
		ret = write_to_driver(t, t->driver, "unbind");
		if (ret)
			goto undo;
	}
	if (!*to)
		return 0;
	ret = write_attr(t, "bus/pci/drivers_probe", t->name);
	if (!ret && !wait_bound(t, to, now, sizeof(now)))
		ret = udrv_err(EIO, "%s: %s did not take the device (driver now: %s; see dmesg)",
			       t->name, to, *now ? now : "none");
	if (!ret)
		return 0;
undo:
	snprintf(msg, sizeof(msg), "%s", udrv_last_error());
	write_override(t, t->override);
	if (*t->driver) {
		udrv_sysfs_driver(t->name, now, sizeof(now));
		if (!*now)
			write_to_driver(t, t->driver, "bind");
		udrv_sysfs_driver(t->name, now, sizeof(now));
		return udrv_err(ret, "%s; %s", msg,
				strcmp(now, t->driver) ? "could not put it back on its old driver" :
							 "put back on its old driver");
	}
	return udrv_err(ret, "%s", msg);
}

UDRV_EXPORT int udrv_bind(const char *addr, const char *driver, struct udrv_bind_state *previous)
{
	struct target t;
	int ret;

	ret = check_driver_name(driver, "udrv_bind");
	if (!ret)
		ret = open_target(addr, &t);
	if (ret)
		return ret;
	if (previous) {
		snprintf(previous->driver, sizeof(previous->driver), "%s", t.driver);
		snprintf(previous->override, sizeof(previous->override), "%s", t.override);
	}
	if (!strcmp(t.driver, driver))
		return 0;
	ret = ensure_driver(driver);
	if (!ret && is_vfio(driver))
		ret = check_vfio_group(&t, driver);
	if (!ret && *t.driver)
		ret = check_unused(&t);
	if (!ret)
		ret = switch_driver(&t, driver);
	return ret;
}

UDRV_EXPORT int udrv_unbind(const char *addr)
{
	char now[UDRV_DRIVER_NAME_MAX];
	struct target t;
	int ret;

	ret = open_target(addr, &t);
	if (ret || !*t.driver)
		return ret;
	ret = check_unused(&t);
	if (!ret)
		ret = write_to_driver(&t, t.driver, "unbind");
	if (!ret && !wait_bound(&t, "", now, sizeof(now)))
		ret = udrv_err(EIO, "%s: still bound to %s after unbind", t.name, now);
	return ret;
}

UDRV_EXPORT int udrv_restore(const char *addr, const struct udrv_bind_state *previous)
{
	struct target t;
	int ret;

	if (!previous)
		return udrv_err(EINVAL, "udrv_restore: previous is NULL (pass what udrv_bind() filled in)");
	if (*previous->driver && check_driver_name(previous->driver, "udrv_restore"))
		return -EINVAL;
	if (*previous->override && check_driver_name(previous->override, "udrv_restore"))
		return -EINVAL;
	ret = open_target(addr, &t);
	if (ret)
		return ret;
	if (strcmp(t.driver, previous->driver)) {
		if (*previous->driver) {
			ret = ensure_driver(previous->driver);
			if (!ret && is_vfio(previous->driver))
				ret = check_vfio_group(&t, previous->driver);
		}
		if (!ret && *t.driver)
			ret = check_unused(&t);
		if (!ret)
			ret = switch_driver(&t, previous->driver);
		if (ret)
			return ret;
		snprintf(t.override, sizeof(t.override), "%s", previous->driver);
	}
	if (strcmp(t.override, previous->override))
		ret = write_override(&t, previous->override);
	return ret;
}
