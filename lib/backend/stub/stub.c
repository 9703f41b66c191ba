// SPDX-License-Identifier: MIT
/*
 * udrv_stub backend.  The device is /dev/uioN (uio/uio_dev.c) plus the
 * control device /dev/udrv/<address> (include/uapi/linux/udrv_stub.h), through
 * which BARs are mapped (uncached, or write-combining on request, around
 * the MSI-X table and PBA), bus mastering is turned on and off (the stub
 * never does it implicitly), interrupts are set up as INTx, MSI or MSI-X
 * vectors each signalling its own eventfd (SET_IRQS, as VFIO), and DMA
 * buffers come from (dma.c).  INTx is unmasked with a write of 1 to
 * /dev/uioN (UIO's irqcontrol).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/udrv_stub.h>

#include "stub.h"

_Static_assert(UDRV_STUB_IRQ_INTX == UDRV_IRQ_INTX && UDRV_STUB_IRQ_MSI == UDRV_IRQ_MSI &&
	       UDRV_STUB_IRQ_MSIX == UDRV_IRQ_MSIX,
	       "udrv_stub numbers interrupt types as libudrv does");

int udrv_stub_ctl(struct udrv_device *dev)
{
	struct udrv_stub *s = udrv_stub(dev);
	char path[PATH_MAX];

	if (s->ctl_fd >= 0)
		return s->ctl_fd;
	snprintf(path, sizeof(path), "%s/udrv/%s", udrv_dev_root(), dev->name);
	s->ctl_fd = open(path, O_RDWR | O_CLOEXEC);
	if (s->ctl_fd < 0)
		return udrv_err(errno, "%s: cannot open %s: %s%s", dev->name, path, strerror(errno),
				errno == ENOENT ? " (udrv_stub too old, or the device was unbound)" :
				errno == EACCES ? " (run as root)" : "");
	return s->ctl_fd;
}

static int stub_open(struct udrv_device *dev)
{
	struct udrv_stub *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	s->ctl_fd = -1;
	ret = udrv_uio_open(dev, &s->uio, "udrv_stub");
	if (ret) {
		free(s);
		return ret;
	}
	dev->priv = s;
	return 0;
}

static void stub_close(struct udrv_device *dev)
{
	struct udrv_stub *s = udrv_stub(dev);

	/* First: vectors and ack program go; /dev/uioN's last close quiesces. */
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	udrv_uio_close(&s->uio);
	free(s);
}

/*
 * A forked child's copy of the parent's handle: close the child's copies of
 * the fds (the open files, the vectors and the bus master state stay the
 * parent's: no ioctl here).
 */
static void stub_forget(struct udrv_device *dev)
{
	struct udrv_stub *s = udrv_stub(dev);
	unsigned int i;

	if (dev->irq.fds) {
		for (i = 0; i < dev->irq.nvec; i++)
			close(dev->irq.fds[i]);
		free(dev->irq.fds);
		dev->irq.fds = NULL;
	}
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	udrv_uio_close(&s->uio);
	free(s);
}

/* mmap of [0, len) of @bar through the control device, with @flags. */
static void *stub_mmap_bar(int fd, unsigned int bar, uint64_t flags, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    (off_t)UDRV_STUB_MMAP_OFFSET(bar, flags));
}

/*
 * Through the control device: uncached, or write-combining if asked for and
 * granted (prefetchable BAR, PAT, no uncached mapping of it elsewhere); a
 * refused WC request falls back to uncached, and map->got says which.  The
 * stub never maps the MSI-X table and PBA pages: a BAR holding them is
 * mapped around them, as under VFIO.
 */
static int stub_bar_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct udrv_range holes[2], ranges[UDRV_BAR_MAX_RANGES];
	unsigned int nholes = 0, nranges = 0;
	uint64_t flags = map->want & UDRV_BAR_MAP_WC ? UDRV_STUB_MMAP_WC : 0;
	struct udrv_bar_info info, *cached;
	size_t pgoff, len;
	void *base;
	int fd, ret;

	/* Described by udrv_bar_map() just before: no second read of sysfs. */
	ret = udrv_bar_cached_info(dev, bar, &cached);
	if (ret)
		return ret;
	info = *cached;
	fd = udrv_stub_ctl(dev);
	if (fd < 0)
		return fd;
	pgoff = info.phys & (pg - 1);
	len = (pgoff + info.size + pg - 1) & ~(size_t)(pg - 1);
	ret = udrv_msix_holes(dev, bar, holes, &nholes);
	if (ret)
		return ret;
	if (nholes && udrv_ranges_subtract(info.size, holes, nholes, pg, ranges, &nranges))
		return udrv_err(E2BIG, "%s: BAR %u: too many holes", dev->name, bar);

	for (;;) {
		if (nholes) {
			map->size = info.size;
			ret = udrv_map_ranges(dev, fd, (off_t)UDRV_STUB_MMAP_OFFSET(bar, flags),
					      PROT_READ | PROT_WRITE, ranges, nranges, map);
			if (!ret)
				break;
			ret = -ret;
		} else {
			base = stub_mmap_bar(fd, bar, flags, len);
			if (base != MAP_FAILED) {
				map->base = base;
				map->map_len = len;
				map->addr = (char *)base + pgoff;
				map->size = info.size;
				break;
			}
			ret = errno;
		}
		if (!flags)
			return udrv_err(ret, "%s: mmap of BAR %u through /dev/udrv/%s failed: %s%s",
					dev->name, bar, dev->name, strerror(ret),
					ret == EINVAL && info.size < (uint64_t)pg ?
					" (a BAR smaller than a page is mapped only if udrv_stub "
					"could reserve the rest of its page)" :
					ret == EBUSY ? " (the BAR is mapped write-combining elsewhere)" :
					"");
		flags = 0;	/* WC refused: uncached */
	}
	map->got = flags ? UDRV_BAR_MAP_WC : 0;
	return 0;
}

static int stub_set_bus_master(struct udrv_device *dev, int on)
{
	struct udrv_stub_master m = { .argsz = sizeof(m), .on = !!on };
	int fd = udrv_stub_ctl(dev);

	if (fd < 0)
		return fd;
	if (ioctl(fd, UDRV_STUB_SET_MASTER, &m))
		return udrv_err(errno, "%s: turning bus mastering %s through /dev/udrv/%s: %s",
				dev->name, on ? "on" : "off", dev->name, strerror(errno));
	return 0;
}

static int stub_irqcontrol(struct udrv_device *dev, int32_t on)
{
	struct udrv_uio *u = &udrv_stub(dev)->uio;

	if (write(u->fd, &on, sizeof(on)) != sizeof(on))
		return udrv_err(errno, "%s: irqcontrol write to /dev/uio%d: %s", dev->name, u->num,
				strerror(errno));
	return 0;
}

/* Vectors of @type the device offers (0: none), with GET_IRQ_INFO flags. */
static int stub_irq_count(struct udrv_device *dev, int fd, unsigned int type, uint32_t *flags)
{
	struct udrv_stub_irq_info i = { .argsz = sizeof(i), .type = type };

	if (ioctl(fd, UDRV_STUB_GET_IRQ_INFO, &i))
		return udrv_err(errno, "%s: udrv_stub GET_IRQ_INFO: %s", dev->name,
				strerror(errno));
	if (flags)
		*flags = i.flags;
	/* INTx that nothing can mask is not offered. */
	if (type == UDRV_STUB_IRQ_INTX &&
	    !(i.flags & (UDRV_STUB_IRQ_INFO_MASKABLE | UDRV_STUB_IRQ_INFO_ACK)))
		return 0;
	return (int)i.count;
}

/* irq_count op: what GET_IRQ_INFO says the stub can give the function. */
static int stub_irq_count_op(struct udrv_device *dev, enum udrv_irq_type type)
{
	int fd = udrv_stub_ctl(dev);

	return fd < 0 ? fd : stub_irq_count(dev, fd, type, NULL);
}

static void stub_close_fds(int *fds, unsigned int n)
{
	while (n-- > 0)
		close(fds[n]);
	free(fds);
}

static int stub_irq_enable(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec)
{
	static const unsigned int best[] = { UDRV_STUB_IRQ_MSIX, UDRV_STUB_IRQ_MSI,
					     UDRV_STUB_IRQ_INTX };
	struct udrv_stub_irq_set set = { .argsz = sizeof(set) };
	int counts[4] = { 0 }, fd = udrv_stub_ctl(dev), *efds, ret;
	uint32_t intx_flags = 0;
	unsigned int i;

	if (fd < 0)
		return fd;
	for (i = 0; i < 3; i++) {
		ret = stub_irq_count(dev, fd, best[i], best[i] == UDRV_STUB_IRQ_INTX ?
				     &intx_flags : NULL);
		if (ret < 0)
			return ret;
		counts[best[i]] = ret;
	}
	if (type == UDRV_IRQ_BEST) {
		for (i = 0; i < 3 && counts[best[i]] < (int)nvec; i++)
			;
		if (i == 3)
			return udrv_err(ENOTSUP, "%s: no interrupt kind with %u vector(s): msix %d, msi %d, intx %d",
					dev->name, nvec, counts[3], counts[2], counts[1]);
		type = (enum udrv_irq_type)best[i];
	}
	if (!counts[type])
		return udrv_err(ENOTSUP, "%s: the function offers no %s interrupt%s (msix %d, msi %d, intx %d vectors)",
				dev->name, udrv_irq_type_name(type),
				type == UDRV_IRQ_INTX && !(intx_flags & UDRV_STUB_IRQ_INFO_MASKABLE) ?
				" that udrv_stub can mask (no INTx disable bit, no ack program)" : "",
				counts[3], counts[2], counts[1]);
	if ((int)nvec > counts[type])
		return udrv_err(EINVAL, "%s: %u %s vectors asked for, the function has %d",
				dev->name, nvec, udrv_irq_type_name(type), counts[type]);

	efds = calloc(nvec, sizeof(*efds));
	if (!efds)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	for (i = 0; i < nvec; i++) {
		efds[i] = eventfd(0, EFD_CLOEXEC);
		if (efds[i] < 0) {
			ret = udrv_err(errno, "%s: eventfd: %s", dev->name, strerror(errno));
			stub_close_fds(efds, i);
			return ret;
		}
	}
	set.type = type;
	set.count = nvec;
	set.eventfds = (uintptr_t)efds;
	if (ioctl(fd, UDRV_STUB_SET_IRQS, &set)) {
		int err = errno;

		ret = udrv_err(err, "%s: udrv_stub: setting %u %s vector(s): %s%s", dev->name, nvec,
			       udrv_irq_type_name(type), strerror(err),
			       err == EBUSY ? " (another open of the control device holds the vectors)" :
			       err == ENOSPC ? " (the platform cannot allocate them: multi-vector MSI needs interrupt remapping; use MSI-X or one vector)" :
			       "");
		stub_close_fds(efds, nvec);
		return ret;
	}
	dev->irq.type = type;
	dev->irq.nvec = nvec;
	dev->irq.fds = efds;
	/* INTx: unmask, in case a previous user left it masked. */
	return type == UDRV_IRQ_INTX ? stub_irqcontrol(dev, 1) : 0;
}

static void stub_irq_disable(struct udrv_device *dev)
{
	struct udrv_stub_irq_set set = { .argsz = sizeof(set) };
	int fd = udrv_stub(dev)->ctl_fd;

	if (fd >= 0)
		ioctl(fd, UDRV_STUB_SET_IRQS, &set);
	stub_close_fds(dev->irq.fds, dev->irq.nvec);
	dev->irq.fds = NULL;
}

/* MSI and MSI-X are edges: nothing to rearm.  INTx: unmask vector 0. */
static int stub_irq_rearm(struct udrv_device *dev, unsigned int vec)
{
	(void)vec;
	return dev->irq.type == UDRV_IRQ_INTX ? stub_irqcontrol(dev, 1) : 0;
}

const struct udrv_backend_ops udrv_stub_ops = {
	.path = {
		.backend = UDRV_BACKEND_STUB,
		.name = "stub",
		.driver = "udrv_stub",
		.modules = { "udrv_stub" },
		.remedy = "install udrv_stub.ko (DKMS: kmod/dkms.conf) or load it by hand (insmod build/kmod/udrv_stub.ko)",
		.summary = "/dev/uioN and /dev/udrv/<address> of udrv_stub.ko: every BAR kind (uncached, WC on request), INTx/MSI/MSI-X vectors on eventfds, coherent and streaming DMA buffers",
	},
	.open = stub_open,
	.close = stub_close,
	.bar_info = udrv_sysfs_mappable_bar_info,
	.bar_map = stub_bar_map,
	.config_read = udrv_sysfs_config_read,
	.config_write = udrv_sysfs_config_write,
	.bar_rw = udrv_sysfs_bar_rw,
	.reset = udrv_sysfs_reset,
	.set_bus_master = stub_set_bus_master,
	.irq_count = stub_irq_count_op,
	.irq_enable = stub_irq_enable,
	.irq_disable = stub_irq_disable,
	.irq_rearm = stub_irq_rearm,
	.dma_alloc = udrv_stub_dma_alloc,
	.dma_free = udrv_stub_dma_free,
	.dma_set_mask = udrv_stub_dma_set_mask,
	.dma_sync = udrv_stub_dma_sync,
	.forget = stub_forget,
};
