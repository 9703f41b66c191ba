// SPDX-License-Identifier: MIT
/*
 * How a VFIO device reaches the IOMMU: iommufd (iommufd.c), a type1
 * container or a no-IOMMU container (container.c).  All three give the same
 * device fd, so regions, config space and interrupts (vfio.c) do not care;
 * what differs is how the fd is had and how DMA is mapped, and that is
 * chosen here, once per device, from udrv_open()'s vfio_mode option or, by
 * default, from what the kernel offers for the device:
 *
 *   no-IOMMU group (/dev/vfio/noiommu-N)          -> noiommu
 *   device cdev (/dev/vfio/devices/vfioN) and /dev/iommu -> iommufd
 *   otherwise (an IOMMU group, /dev/vfio/N)       -> type1
 *
 * as libvfn prefers iommufd and DPDK and SPDK take no-IOMMU groups.  The
 * process's type1 container and its iommufd IOAS are separate address
 * spaces: two devices meant to share DMA buffers must be opened the same
 * way (the default does that on one kernel).
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vfio.h"

/* What the kernel offers for a function; @group < 0: it has none. */
struct offer {
	bool noiommu;   /* its group is a no-IOMMU group, or would be */
	bool group;     /* it has a group (IOMMU or no-IOMMU) */
	bool cdev;      /* iommufd can be used */
	char why_no_cdev[160];
};

static bool dev_node(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", udrv_dev_root(), name);
	return !access(path, F_OK);
}

/*
 * Is there a /dev/iommu?  Looked for once per process, so every device a
 * process opens gets the same answer (and the same mode by default: the
 * type1 container and the iommufd IOAS are separate address spaces).  A
 * test build asks every time: its tests change the device root.
 */
static bool iommu_node(void)
{
#ifdef UDRV_TEST_HOOKS
	return dev_node("iommu");
#else
	static int have = -1;
	int h = __atomic_load_n(&have, __ATOMIC_RELAXED);

	if (h < 0) {
		h = dev_node("iommu");
		__atomic_store_n(&have, h, __ATOMIC_RELAXED);
	}
	return h;
#endif
}

/* Can @name (bound to a VFIO driver if @bound) use iommufd?  If not, o->why_no_cdev says why. */
static void offer_cdev(const char *name, bool bound, struct offer *o)
{
	char path[PATH_MAX];

	if (!udrv_iommufd_built())
		snprintf(o->why_no_cdev, sizeof(o->why_no_cdev),
			 "libudrv was built without the iommufd UAPI headers");
	else if (!iommu_node())
		snprintf(o->why_no_cdev, sizeof(o->why_no_cdev),
			 "no /dev/iommu: the kernel lacks CONFIG_IOMMUFD (Debian's 6.1 and 6.12 do)");
	else if (bound && udrv_iommufd_cdev(name, path, sizeof(path)))
		snprintf(o->why_no_cdev, sizeof(o->why_no_cdev),
			 "no /dev/vfio/devices/vfioN for it: the kernel lacks CONFIG_VFIO_DEVICE_CDEV");
	else
		o->cdev = true;
}

/* Is no-IOMMU mode switched on (vfio.enable_unsafe_noiommu_mode=1)? */
static bool noiommu_enabled(void)
{
	char path[PATH_MAX], val[8] = "";

	snprintf(path, sizeof(path), "%s/module/vfio/parameters/enable_unsafe_noiommu_mode",
		 udrv_sysfs_root());
	return !udrv_sysfs_read_str(path, val, sizeof(val)) && (val[0] == 'Y' || val[0] == '1');
}

/* The group part of @o: whether there is one, and whether it is a no-IOMMU group. */
static void offer_group(int group, struct offer *o)
{
	char path[PATH_MAX];

	if (group >= 0) {
		o->group = true;
		udrv_vfio_group_path(group, path, sizeof(path), &o->noiommu);
	} else {
		/* vfio-pci makes a no-IOMMU group when it binds, if the mode is on. */
		o->noiommu = o->group = noiommu_enabled();
	}
}

static void what_is_offered(const char *name, int group, bool bound, struct offer *o)
{
	memset(o, 0, sizeof(*o));
	offer_group(group, o);
	offer_cdev(name, bound, o);
}

/* The mode for @want given @o: > 0, or a negative errno with a message. */
static int choose(const char *name, enum udrv_vfio_mode want, const struct offer *o)
{
	if (!o->group)
		return udrv_err(ENOENT, "%s: has no IOMMU group: enable the IOMMU (VT-d or AMD-Vi in the firmware; on Intel also intel_iommu=on on the kernel command line) to use VFIO, or, without an IOMMU, no-IOMMU mode (vfio.enable_unsafe_noiommu_mode=1: no isolation)",
				name);
	switch (want) {
	case UDRV_VFIO_AUTO:
		return o->noiommu ? UDRV_VFIO_NOIOMMU : o->cdev ? UDRV_VFIO_IOMMUFD : UDRV_VFIO_TYPE1;
	case UDRV_VFIO_IOMMUFD:
		if (o->noiommu)
			return udrv_err(ENOTSUP, "%s: iommufd asked for, but its group is a no-IOMMU group (no IOMMU to program): use noiommu",
					name);
		if (!o->cdev)
			return udrv_err(ENOTSUP, "%s: iommufd asked for, but %s; use type1", name,
					o->why_no_cdev);
		return want;
	case UDRV_VFIO_TYPE1:
		if (o->noiommu)
			return udrv_err(ENOTSUP, "%s: type1 asked for, but its group is a no-IOMMU group (no IOMMU to program): use noiommu",
					name);
		return want;
	case UDRV_VFIO_NOIOMMU:
		if (!o->noiommu)
			return udrv_err(ENOTSUP, "%s: noiommu asked for, but an IOMMU translates its DMA (a real IOMMU group): use iommufd or type1",
					name);
		return want;
	}
	return udrv_err(EINVAL, "%s: unknown VFIO mode %d", name, (int)want);
}

static bool has_cap(unsigned int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d))
		return false;
	return d[cap / 32].effective & (1u << (cap % 32));
}

/* The device fd through its group in the container: type1, or no-IOMMU if the group is one. */
static int open_in_container(struct udrv_device *dev, struct udrv_vfio *v)
{
	bool noiommu;
	int ret;

	ret = udrv_vfio_get_group(dev, v->group_id, &v->group, &noiommu);
	if (ret) {
		v->group = -1;
		return ret;
	}
	v->mode = noiommu ? UDRV_VFIO_NOIOMMU : UDRV_VFIO_TYPE1;
	v->container = udrv_vfio_container_fd();
	if (v->mode == UDRV_VFIO_NOIOMMU && !has_cap(CAP_SYS_RAWIO))
		return udrv_err(EPERM, "%s: no-IOMMU VFIO needs CAP_SYS_RAWIO (run as root): without an IOMMU the device can write anywhere in memory",
				dev->name);
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, dev->name);
	if (v->device < 0)
		return udrv_err(errno, "%s: VFIO_GROUP_GET_DEVICE_FD: %s%s", dev->name,
				strerror(errno), errno == EBUSY ? " (already open)" : "");
	return 0;
}

int udrv_vfio_open_device(struct udrv_device *dev, struct udrv_vfio *v)
{
	struct offer o;
	int ret;

	memset(&o, 0, sizeof(o));
	offer_cdev(dev->name, true, &o);
	/* Without iommufd the group's node decides, and opening it tells which it is. */
	if (dev->opts.vfio_mode == UDRV_VFIO_AUTO && v->group_id >= 0 && !o.cdev)
		return open_in_container(dev, v);
	offer_group(v->group_id, &o);
	ret = choose(dev->name, dev->opts.vfio_mode, &o);
	if (ret < 0)
		return ret;
	if (ret == UDRV_VFIO_IOMMUFD) {
		v->mode = UDRV_VFIO_IOMMUFD;
		return udrv_iommufd_open(dev, &v->device);
	}
	/* type1 or noiommu, as chosen: the group's node is the one choose() saw. */
	return open_in_container(dev, v);
}

void udrv_vfio_close_device(struct udrv_vfio *v)
{
	if (v->mode == UDRV_VFIO_IOMMUFD) {
		if (v->device >= 0)
			udrv_iommufd_close(v->device);
		return;
	}
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		udrv_vfio_put_group(v->group_id);
}

UDRV_EXPORT enum udrv_vfio_mode udrv_vfio_mode(const struct udrv_device *dev)
{
	if (!dev || dev->ops->path.backend != UDRV_BACKEND_VFIO || !dev->priv)
		return UDRV_VFIO_AUTO;
	return ((const struct udrv_vfio *)dev->priv)->mode;
}

UDRV_EXPORT const char *udrv_vfio_mode_name(enum udrv_vfio_mode mode)
{
	static const char *const names[] = { "auto", "iommufd", "type1", "noiommu" };

	return (unsigned int)mode < UDRV_ARRAY_SIZE(names) ? names[mode] : "?";
}

UDRV_EXPORT int udrv_vfio_mode_for(const char *addr, enum udrv_vfio_mode want)
{
	struct udrv_pci_addr a;
	char name[UDRV_PCI_ADDR_STRLEN], path[PATH_MAX], driver[64] = "";
	struct offer o;
	int ret, group;

	ret = udrv_pci_addr_parse(addr, &a);
	if (ret)
		return ret;
	udrv_pci_addr_format(&a, name, sizeof(name));
	ret = udrv_sysfs_pci_path(name, NULL, path, sizeof(path));
	if (ret)
		return ret;
	if (access(path, F_OK))
		return udrv_err(ENODEV, "%s: no such PCI device (%s missing; see lspci -D)", name,
				path);
	group = udrv_sysfs_iommu_group(name);
	if (group < 0 && group != -ENOENT)
		return udrv_err(EIO, "%s: unreadable iommu_group link in sysfs", name);
	udrv_sysfs_driver(name, driver, sizeof(driver));
	what_is_offered(name, group,
			udrv_access_path_for_driver(driver)->backend == UDRV_BACKEND_VFIO, &o);
	return choose(name, want, &o);
}
