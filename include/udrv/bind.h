/* SPDX-License-Identifier: MIT */
/**
 * DOC: binding
 *
 * Moving a PCI function between kernel drivers, as root, the way the kernel
 * documents it (Documentation/ABI/testing/sysfs-bus-pci):
 *
 * 1. ``driver_override`` := the new driver, so that only it may claim the
 *    function, whatever udev or another probe does in between;
 * 2. ``/sys/bus/pci/drivers/<old>/unbind`` := the address, if bound;
 * 3. ``/sys/bus/pci/drivers_probe`` := the address;
 * 4. check that ``driver`` now links to the new driver (waiting up to 1 s
 *    for drivers that probe asynchronously).
 *
 * If ``/sys/bus/pci/drivers/<driver>`` does not exist, the module is loaded
 * first with ``modprobe`` (vfio-pci also loads vfio_iommu_type1).  Before
 * anything is written, udrv_bind() refuses a function that a process is
 * driving from user space (its /dev/uioN or VFIO group is open; vfio-pci
 * would make the unbind wait for that process forever), and binding to
 * vfio-pci is refused when the function has no IOMMU group or when other
 * functions of its group are bound to host drivers (VFIO could not use the
 * group).  If a step fails, what was changed is put back.
 *
 * ``driver_override`` stays set after udrv_bind(), so the function stays
 * with its new driver across re-probes; udrv_restore() puts back the driver
 * and the ``driver_override`` value that udrv_bind() recorded.
 *
 * Modules are loaded with the first of /sbin/modprobe, /usr/sbin/modprobe,
 * /bin/modprobe and /usr/bin/modprobe, with a fixed environment: nothing in
 * the caller's environment chooses what a root or setuid program runs.  The
 * modules for vfio-pci, uio_pci_generic and udrv_stub come from the table
 * of <udrv/access_path.h>; any other driver is loaded by its own name.
 */
#ifndef UDRV_BIND_H
#define UDRV_BIND_H

#include <udrv/discover.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct udrv_bind_state - the binding of a function before udrv_bind()
 * @driver:   the driver it was bound to, "" if none
 * @override: its driver_override, "" if none
 */
struct udrv_bind_state {
	char driver[UDRV_DRIVER_NAME_MAX];
	char override[UDRV_DRIVER_NAME_MAX];
};

/**
 * udrv_bind() - bind a PCI function to a driver
 * @addr:     PCI address, ``[[domain:]bus:]slot.func``
 * @driver:   "vfio-pci", "uio_pci_generic", "udrv_stub" or any PCI driver name
 * @previous: if not NULL, filled with the binding before the call, for
 *            udrv_restore()
 *
 * Binding a function to the driver it already has changes nothing.
 *
 * Return: 0, or a negative errno with udrv_last_error() saying what and why:
 * -EINVAL bad address or driver name; -ENODEV no such function, or no IOMMU
 * group for vfio-pci; -ENOENT the driver does not exist even after modprobe
 * (or modprobe failed; the message quotes it); -EACCES/-EPERM not root;
 * -EBUSY a process uses the function (named), or its IOMMU group is not
 * viable for vfio-pci (the other functions and their drivers are named);
 * -EIO the new driver did not take the function (see dmesg).
 */
int udrv_bind(const char *addr, const char *driver, struct udrv_bind_state *previous);

/**
 * udrv_unbind() - detach a PCI function from its driver
 * @addr: PCI address
 *
 * driver_override is left alone.  An unbound function is left as it is.
 *
 * Return: 0, or -EINVAL, -ENODEV, -EACCES/-EPERM, -EBUSY (a process uses the
 * function), -EIO (still bound afterwards).
 */
int udrv_unbind(const char *addr);

/**
 * udrv_restore() - undo udrv_bind()
 * @addr:     PCI address
 * @previous: what udrv_bind() recorded
 *
 * Binds the function back to @previous->driver (or leaves it unbound if that
 * is ""), then sets driver_override back to @previous->override, which
 * normally clears it.
 *
 * Return: 0, or the errors of udrv_bind().
 */
int udrv_restore(const char *addr, const struct udrv_bind_state *previous);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_BIND_H */
