/* SPDX-License-Identifier: MIT */
/**
 * DOC: hot-plug and binding events
 *
 * A monitor (an opaque &struct udrv_monitor) reports what happens to one
 * PCI function, or to all of them: it appears (add), disappears (remove),
 * gets a driver (bind), loses it (unbind) or changes (change).  It
 * listens to the kernel's uevents through libudev (the "kernel" source, so
 * no udevd is needed and events arrive before udev rules run);
 * udrv_monitor_fd() is a file descriptor to put in poll()/epoll, and
 * udrv_monitor_read() returns the next event.  No privileges are needed.
 *
 * How a driver learns that its device went away:
 *
 * - **unbind** for its address: its kernel driver (uio_pci_generic,
 *   udrv_stub) was detached, e.g. by an administrator.  The device is gone
 *   from under the handle at once: stop touching the BARs and udrv_close()
 *   it.  vfio-pci does not let go of an open device: the kernel asks the
 *   process to release it (VFIO's device-request interrupt) and the unbind,
 *   and so its event, waits until the handle is closed.  udrv_bind() and
 *   udrv_unbind() refuse devices in use for that reason.
 * - **remove** for its address: the function itself is gone (hot-unplug,
 *   surprise removal, ``echo 1 > remove``); udrv_close() the handle.
 * - Without a monitor, a register read that returns all ones (0xffffffff)
 *   from a register that cannot hold that value is the classic sign that the
 *   device no longer answers; confirm with a monitor or with sysfs.
 *
 * Events are queued in the kernel socket from udrv_monitor_open() on; a
 * burst beyond the socket buffer is reported as -ENOBUFS: rescan with
 * udrv_pci_scan() then.
 */
#ifndef UDRV_MONITOR_H
#define UDRV_MONITOR_H

#include <stdint.h>

#include <udrv/pci_addr.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_monitor;

/**
 * enum udrv_pci_action - what happened
 * @UDRV_PCI_ADD:    the function appeared
 * @UDRV_PCI_REMOVE: the function disappeared
 * @UDRV_PCI_BIND:   a driver took the function
 * @UDRV_PCI_UNBIND: the function lost its driver
 * @UDRV_PCI_CHANGE: the kernel reported a change (e.g. after an error reset)
 */
enum udrv_pci_action {
	UDRV_PCI_ADD,
	UDRV_PCI_REMOVE,
	UDRV_PCI_BIND,
	UDRV_PCI_UNBIND,
	UDRV_PCI_CHANGE,
};

/**
 * struct udrv_pci_event - one event
 * @action: what happened
 * @addr:   the function
 * @name:   its canonical address, "0000:00:04.0"
 * @driver: for bind, the new driver; otherwise the driver the kernel named
 *          in the event, usually "" (an unbind does not say which driver left)
 * @vendor: vendor id from the event, 0 if the event carries none
 * @device: device id from the event, 0 if the event carries none
 */
struct udrv_pci_event {
	enum udrv_pci_action action;
	struct udrv_pci_addr addr;
	char name[UDRV_PCI_ADDR_STRLEN];
	char driver[64];
	uint16_t vendor;
	uint16_t device;
};

/**
 * udrv_monitor_open() - start listening for PCI events
 * @addr: the function to watch (``[[domain:]bus:]slot.func``), or NULL for all
 * @monp: set to the new monitor
 *
 * The function need not exist yet: a monitor can wait for it to be added.
 *
 * Return: 0, or -EINVAL (bad address, NULL @monp), -ENOMEM, or the errno of
 * a failure to open the uevent socket (e.g. -EPROTONOSUPPORT in a network
 * namespace without uevents).
 */
int udrv_monitor_open(const char *addr, struct udrv_monitor **monp);

/**
 * udrv_monitor_fd() - file descriptor that polls readable when events wait
 * @mon: the monitor
 *
 * Owned by the monitor: do not read or close it.
 *
 * Return: the descriptor.
 */
int udrv_monitor_fd(const struct udrv_monitor *mon);

/**
 * udrv_monitor_read() - take the next event
 * @mon:        the monitor
 * @ev:         filled in
 * @timeout_ms: 0 = do not wait, -1 = wait for ever, else wait up to that long
 *
 * Events for other functions (with a single-function monitor) and of other
 * kinds are consumed silently.
 *
 * Return: 0 with @ev filled in; -EAGAIN if no event came within @timeout_ms;
 * -ENOBUFS if events were lost (rescan); another negative errno on failure.
 */
int udrv_monitor_read(struct udrv_monitor *mon, struct udrv_pci_event *ev, int timeout_ms);

/**
 * udrv_monitor_close() - stop listening and free the monitor
 * @mon: the monitor, or NULL (no-op)
 */
void udrv_monitor_close(struct udrv_monitor *mon);

/**
 * udrv_pci_action_name() - "add", "remove", "bind", "unbind" or "change"
 * @action: an action
 *
 * Return: a static string; "?" for unknown values.
 */
const char *udrv_pci_action_name(enum udrv_pci_action action);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_MONITOR_H */
