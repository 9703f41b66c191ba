// SPDX-License-Identifier: MIT
/*
 * PCI hot-plug and binding events: kernel uevents of the "pci" subsystem,
 * received through libudev, filtered to one function if asked.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libudev.h>

#include "udrv_internal.h"

#include <udrv/monitor.h>

#define RCVBUF_SIZE (1 << 20) /* room for a burst (hot-plug of a whole switch) */

struct udrv_monitor {
	struct udev *udev;
	struct udev_monitor *mon;
	int fd;
	bool one;                        /* watching a single function */
	char name[UDRV_PCI_ADDR_STRLEN]; /* that function */
};

static const char *const action_names[] = {
	[UDRV_PCI_ADD] = "add",
	[UDRV_PCI_REMOVE] = "remove",
	[UDRV_PCI_BIND] = "bind",
	[UDRV_PCI_UNBIND] = "unbind",
	[UDRV_PCI_CHANGE] = "change",
};

UDRV_EXPORT const char *udrv_pci_action_name(enum udrv_pci_action action)
{
	if ((unsigned int)action < sizeof(action_names) / sizeof(action_names[0]))
		return action_names[action];
	return "?";
}

static int parse_action(const char *s)
{
	unsigned int i;

	for (i = 0; s && i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (!strcmp(s, action_names[i]))
			return i;
	return -1;
}

UDRV_EXPORT int udrv_monitor_open(const char *addr, struct udrv_monitor **monp)
{
	struct udrv_pci_addr a;
	struct udrv_monitor *m;
	int ret;

	if (!monp)
		return udrv_err(EINVAL, "udrv_monitor_open: monp is NULL");
	*monp = NULL;
	if (addr) {
		ret = udrv_pci_addr_parse(addr, &a);
		if (ret)
			return ret;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return udrv_err(ENOMEM, "udrv_monitor_open: out of memory");
	if (addr) {
		m->one = true;
		udrv_pci_addr_format(&a, m->name, sizeof(m->name));
	}
	m->udev = udev_new();
	if (!m->udev) {
		ret = udrv_err(errno ? errno : ENOMEM, "PCI monitor: udev_new() failed: %s",
			       strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	m->mon = udev_monitor_new_from_netlink(m->udev, "kernel");
	if (!m->mon) {
		ret = errno ? errno : ENOMEM;
		ret = udrv_err(ret, "PCI monitor: cannot open the kernel uevent socket: %s%s",
			       strerror(ret), ret == EPROTONOSUPPORT || ret == EAFNOSUPPORT ?
			       " (no uevents here: a container's network namespace?)" : "");
		goto fail;
	}
	ret = udev_monitor_filter_add_match_subsystem_devtype(m->mon, "pci", NULL);
	if (!ret)
		ret = udev_monitor_enable_receiving(m->mon);
	if (ret) {
		ret = udrv_err(ret, "PCI monitor: cannot start receiving uevents: %s",
			       strerror(-ret));
		goto fail;
	}
	/* Best effort: beyond the default needs CAP_NET_ADMIN. */
	udev_monitor_set_receive_buffer_size(m->mon, RCVBUF_SIZE);
	m->fd = udev_monitor_get_fd(m->mon);
	*monp = m;
	return 0;
fail:
	udrv_monitor_close(m);
	return ret;
}

UDRV_EXPORT int udrv_monitor_fd(const struct udrv_monitor *mon)
{
	return mon ? mon->fd : -EINVAL;
}

/* Turn a received device into an event; false if it is not one we report. */
static bool to_event(const struct udrv_monitor *m, struct udev_device *d,
		     struct udrv_pci_event *ev)
{
	const char *name = udev_device_get_sysname(d);
	const char *drv = udev_device_get_property_value(d, "DRIVER");
	const char *id = udev_device_get_property_value(d, "PCI_ID");
	unsigned int dom, bus, slot, func, ven, dev;
	int action = parse_action(udev_device_get_action(d));
	char end;

	if (action < 0 || !name || (m->one && strcmp(name, m->name)))
		return false;
	if (sscanf(name, "%x:%x:%x.%x%c", &dom, &bus, &slot, &func, &end) != 4 ||
	    dom > 0xffff || bus > 0xff || slot > 0x1f || func > 7)
		return false;
	memset(ev, 0, sizeof(*ev));
	ev->action = action;
	ev->addr.domain = dom;
	ev->addr.bus = bus;
	ev->addr.slot = slot;
	ev->addr.func = func;
	udrv_pci_addr_format(&ev->addr, ev->name, sizeof(ev->name));
	snprintf(ev->driver, sizeof(ev->driver), "%s", drv ? drv : "");
	if (id && sscanf(id, "%x:%x", &ven, &dev) == 2 && ven <= 0xffff && dev <= 0xffff) {
		ev->vendor = ven;
		ev->device = dev;
	}
	return true;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

UDRV_EXPORT int udrv_monitor_read(struct udrv_monitor *mon, struct udrv_pci_event *ev,
				  int timeout_ms)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct udev_device *d;
	struct pollfd pfd;
	bool ok;
	int n, wait;

	if (!mon || !ev)
		return udrv_err(EINVAL, "udrv_monitor_read: monitor or event is NULL");
	for (;;) {
		errno = 0;
		d = udev_monitor_receive_device(mon->mon);
		if (d) {
			ok = to_event(mon, d, ev);
			udev_device_unref(d);
			if (ok)
				return 0;
			continue;
		}
		if (errno == ENOBUFS)
			return udrv_err(ENOBUFS,
					"PCI monitor: events were lost (socket buffer overflow): rescan with udrv_pci_scan()");
		/* Nothing readable (EAGAIN), or a message libudev dropped: wait for more. */
		if (timeout_ms < 0) {
			wait = -1;
		} else {
			long long left = deadline - now_ms();

			wait = left > 0 ? (int)left : 0;
		}
		pfd.fd = mon->fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, wait);
		if (n < 0 && errno != EINTR)
			return udrv_err(errno, "PCI monitor: poll: %s", strerror(errno));
		if (n > 0 && (pfd.revents & POLLNVAL))
			return udrv_err(EBADF, "PCI monitor: its socket was closed behind its back");
		if (n == 0)
			return udrv_err(EAGAIN, "PCI monitor: no event%s%s within %d ms",
					mon->one ? " for " : "", mon->one ? mon->name : "",
					timeout_ms);
	}
}

UDRV_EXPORT void udrv_monitor_close(struct udrv_monitor *mon)
{
	if (!mon)
		return;
	if (mon->mon)
		udev_monitor_unref(mon->mon);
	if (mon->udev)
		udev_unref(mon->udev);
	free(mon);
}
