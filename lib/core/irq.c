// SPDX-License-Identifier: MIT
/*
 * Interrupts: argument checks and the wait loop, the same for every
 * backend.  A backend's irq_enable gives one fd per vector; reading it says
 * how many events arrived: an eventfd's read() returns the number since the
 * last read, and a backend whose fds count otherwise (UIO's running total)
 * reads them with its irq_read op.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "udrv_internal.h"

UDRV_EXPORT const char *udrv_irq_type_name(enum udrv_irq_type type)
{
	static const char *const names[] = { "best", "intx", "msi", "msix" };

	return (unsigned int)type < 4 ? names[type] : "?";
}

UDRV_EXPORT int udrv_irq_enable(struct udrv_device *dev, enum udrv_irq_type type,
				unsigned int nvec)
{
	int ret;

	if (!dev->ops->irq_enable)
		return udrv_err(ENOTSUP, "%s: the %s backend delivers no interrupts (bind the device to vfio-pci, udrv_stub or uio_pci_generic)",
				dev->name, dev->ops->path.name);
	if ((unsigned int)type > UDRV_IRQ_MSIX)
		return udrv_err(EINVAL, "%s: unknown interrupt type %d", dev->name, (int)type);
	if (!nvec || (type == UDRV_IRQ_INTX && nvec != 1))
		return udrv_err(EINVAL, "%s: %u vectors asked for: INTx has 1, MSI/MSI-X at least 1",
				dev->name, nvec);
	if (dev->irq.type)
		return udrv_err(EBUSY, "%s: interrupts are already enabled (%s); udrv_irq_disable() first",
				dev->name, udrv_irq_type_name(dev->irq.type));
	ret = dev->ops->irq_enable(dev, type, nvec);
	if (ret && dev->irq.type) {
		/* Started, then failed (e.g. unmasking): stop it, keep the message. */
		struct udrv_err_saved saved;

		udrv_err_save(&saved);
		dev->ops->irq_disable(dev);
		memset(&dev->irq, 0, sizeof(dev->irq));
		udrv_err_restore(&saved);
	}
	return ret ? ret : (int)dev->irq.type;
}

UDRV_EXPORT void udrv_irq_disable(struct udrv_device *dev)
{
	struct udrv_err_saved saved;

	if (!dev || !dev->irq.type)
		return;
	udrv_err_save(&saved);
	dev->ops->irq_disable(dev);
	memset(&dev->irq, 0, sizeof(dev->irq));
	udrv_err_restore(&saved);
}

static int check_vec(struct udrv_device *dev, unsigned int vec)
{
	if (!dev->irq.type)
		return udrv_err(EINVAL, "%s: interrupts are not enabled (udrv_irq_enable())", dev->name);
	if (vec >= dev->irq.nvec)
		return udrv_err(EINVAL, "%s: vector %u out of range (%u enabled)", dev->name, vec,
				dev->irq.nvec);
	return 0;
}

UDRV_EXPORT int udrv_irq_fd(struct udrv_device *dev, unsigned int vec)
{
	int ret = check_vec(dev, vec);

	return ret ? ret : dev->irq.fds[vec];
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Read what a readable fd says: > 0 new events, 0 stale readiness, < 0 error. */
static int read_events(struct udrv_device *dev, unsigned int vec, uint64_t *events)
{
	ssize_t n;

	if (dev->ops->irq_read)
		return dev->ops->irq_read(dev, vec, events);
	n = read(dev->irq.fds[vec], events, sizeof(*events));
	if (n == sizeof(*events))
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return udrv_err(n < 0 ? errno : EIO, "%s: reading interrupt events: %s", dev->name,
			n < 0 ? strerror(errno) : "short read");
}

UDRV_EXPORT int udrv_irq_wait(struct udrv_device *dev, unsigned int vec, int timeout_ms,
			      uint64_t *events)
{
	long long deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	int ret = check_vec(dev, vec);

	if (ret)
		return ret;
	/*
	 * Waiting for ever is one blocking read(), the same system call a
	 * hand-written driver makes (the fds are blocking); a timeout needs
	 * poll() first.  If the read finds nothing (the caller made the fd
	 * non-blocking, a signal, a stale UIO count), poll() waits.
	 */
	if (timeout_ms < 0) {
		ret = read_events(dev, vec, events);
		if (ret != 0)
			return ret < 0 ? ret : 0;
	}
	for (;;) {
		struct pollfd p = { .fd = dev->irq.fds[vec], .events = POLLIN };
		int left = timeout_ms < 0 ? -1 : (int)(deadline - now_ms());

		ret = poll(&p, 1, left < 0 && timeout_ms >= 0 ? 0 : left);
		if (ret < 0 && errno != EINTR)
			return udrv_err(errno, "%s: poll on interrupt fd: %s", dev->name,
					strerror(errno));
		if (ret > 0) {
			if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
				return udrv_err(EIO, "%s: interrupt fd reports an error (device unbound?)",
						dev->name);
			ret = read_events(dev, vec, events);
			if (ret != 0)
				return ret < 0 ? ret : 0;
		}
		if (timeout_ms >= 0 && now_ms() >= deadline)
			return udrv_err(ETIMEDOUT, "%s: no interrupt on vector %u within %d ms",
					dev->name, vec, timeout_ms);
	}
}

UDRV_EXPORT int udrv_irq_rearm(struct udrv_device *dev, unsigned int vec)
{
	int ret = check_vec(dev, vec);

	return ret ? ret : dev->ops->irq_rearm(dev, vec);
}

UDRV_EXPORT int udrv_irq_trigger(struct udrv_device *dev, unsigned int vec)
{
	int ret = check_vec(dev, vec);

	if (ret)
		return ret;
	if (!dev->ops->irq_trigger)
		return udrv_err(ENOTSUP, "%s: software-triggered interrupts need VFIO", dev->name);
	return dev->ops->irq_trigger(dev, vec);
}
