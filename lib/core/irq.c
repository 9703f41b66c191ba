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

#include <linux/pci_regs.h>

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

/* Vectors of @type (not BEST) config space offers: interrupt pin, MSI and MSI-X capabilities. */
static int config_irq_count(struct udrv_device *dev, enum udrv_irq_type type)
{
	struct udrv_err_saved saved;
	uint16_t flags;
	uint8_t pin;
	int pos, ret;

	if (type == UDRV_IRQ_INTX) {
		ret = udrv_config_read8(dev, PCI_INTERRUPT_PIN, &pin);
		return ret ? ret : pin ? 1 : 0;
	}
	udrv_err_save(&saved);
	pos = udrv_cap_find(dev, type == UDRV_IRQ_MSI ? PCI_CAP_ID_MSI : PCI_CAP_ID_MSIX, 0);
	if (pos == -ENOENT) {
		udrv_err_restore(&saved);
		return 0;
	}
	if (pos < 0)
		return pos;
	ret = udrv_config_read16(dev, pos + PCI_MSI_FLAGS, &flags);
	if (ret)
		return ret;
	if (type == UDRV_IRQ_MSI)
		return 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	return (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
}

static int irq_count(struct udrv_device *dev, enum udrv_irq_type type)
{
	if (!dev->ops->irq_enable)
		return 0;
	return dev->ops->irq_count ? dev->ops->irq_count(dev, type) : config_irq_count(dev, type);
}

static const enum udrv_irq_type best_order[] = { UDRV_IRQ_MSIX, UDRV_IRQ_MSI, UDRV_IRQ_INTX };

UDRV_EXPORT int udrv_irq_count(struct udrv_device *dev, enum udrv_irq_type type)
{
	unsigned int i;
	int n;

	if (dev->inherited)
		return udrv_inherited_err(dev);
	if ((unsigned int)type > UDRV_IRQ_MSIX)
		return udrv_err(EINVAL, "%s: unknown interrupt type %d", dev->name, (int)type);
	if (type != UDRV_IRQ_BEST)
		return irq_count(dev, type);
	for (i = 0; i < UDRV_ARRAY_SIZE(best_order); i++) {
		n = irq_count(dev, best_order[i]);
		if (n)
			return n;
	}
	return 0;
}

UDRV_EXPORT int udrv_irq_enable_range(struct udrv_device *dev, enum udrv_irq_type type,
				      unsigned int min_vec, unsigned int max_vec)
{
	int counts[UDRV_IRQ_MSIX + 1] = { 0 }, ret = 0, n;
	unsigned int i;

	if (dev->inherited)
		return udrv_inherited_err(dev);
	if (!dev->ops->irq_enable)
		return udrv_err(ENOTSUP, "%s: the %s backend delivers no interrupts (bind the device to vfio-pci, udrv_stub or uio_pci_generic)",
				dev->name, dev->ops->path.name);
	if ((unsigned int)type > UDRV_IRQ_MSIX)
		return udrv_err(EINVAL, "%s: unknown interrupt type %d", dev->name, (int)type);
	if (!min_vec || max_vec < min_vec || max_vec > INT_MAX)
		return udrv_err(EINVAL, "%s: %u to %u vectors asked for: need 1 <= min <= max",
				dev->name, min_vec, max_vec);
	if (dev->irq.type)
		return udrv_err(EBUSY, "%s: interrupts are already enabled (%s); udrv_irq_disable() first",
				dev->name, udrv_irq_type_name(dev->irq.type));
	for (i = 0; i < UDRV_ARRAY_SIZE(best_order); i++) {
		enum udrv_irq_type k = best_order[i];

		if (type != UDRV_IRQ_BEST && type != k)
			continue;
		n = irq_count(dev, k);
		if (n < 0)
			return n;
		counts[k] = n;
		if (k == UDRV_IRQ_INTX && n > 1)
			n = 1;
		if ((unsigned int)n > max_vec)
			n = (int)max_vec;
		if (!n || (unsigned int)n < min_vec)
			continue;
		ret = udrv_irq_enable(dev, k, (unsigned int)n);
		if (ret > 0)
			return n;
	}
	if (ret < 0)
		return ret;	/* the last kind that had enough vectors failed: its message */
	return udrv_err(ENOTSUP, "%s: no %s interrupts with at least %u vector(s) on the %s path: it offers MSI-X %d, MSI %d, INTx %d",
			dev->name, type == UDRV_IRQ_BEST ? "kind of" : udrv_irq_type_name(type),
			min_vec, dev->ops->path.name, counts[UDRV_IRQ_MSIX], counts[UDRV_IRQ_MSI],
			counts[UDRV_IRQ_INTX]);
}

UDRV_EXPORT enum udrv_irq_type udrv_irq_enabled(struct udrv_device *dev, unsigned int *nvec)
{
	if (nvec)
		*nvec = dev->irq.nvec;
	return dev->irq.type;
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
	if (dev->inherited)
		return udrv_inherited_err(dev);
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
