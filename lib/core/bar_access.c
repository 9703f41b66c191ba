// SPDX-License-Identifier: MIT
/*
 * Checked register access to any BAR: bounds, alignment, width and holes
 * are checked, memory BARs are read through their mapping with exactly one
 * access of the requested width, I/O-port BARs with in/out instructions
 * where the thread may, else through the backend.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <sys/io.h>
#define HAVE_PIO 1
#else
#define HAVE_PIO 0
#endif

#include "udrv_internal.h"

/*
 * Direct port I/O.  x86 user space may run in/out itself once the kernel
 * lets it: ioperm() for ports below 0x400, iopl(3) (on Linux 5.5+ an I/O
 * bitmap with every port) above; both need CAP_SYS_RAWIO and are refused
 * under kernel lockdown or a seccomp filter.  The permission belongs to the
 * thread (and to threads it creates afterwards), so each thread asks once,
 * on its first access: a bitmap of the low ports it was granted, and
 * whether it has iopl.  A BAR whose ports cannot be had directly falls back
 * to the backend's bar_rw (a system call per access) and keeps the reason
 * for udrv_bar_pio_direct().
 */
enum { PIO_UNTRIED, PIO_DIRECT, PIO_FALLBACK };
#define IOPERM_PORTS 0x400

static __thread uint8_t pio_low[IOPERM_PORTS / 8];
static __thread bool pio_iopl;

/* Can this thread run in/out on @bar's ports?  Sets up what it takes. */
static bool pio_ok(struct udrv_device *dev, unsigned int bar, const struct udrv_bar_info *info)
{
	struct udrv_pio *p = &dev->pio[bar];
	unsigned char state = __atomic_load_n(&p->state, __ATOMIC_RELAXED);
	unsigned int port, i;

	if (state == PIO_FALLBACK)
		return false;
	if (state == PIO_UNTRIED) {
		if (!HAVE_PIO) {
			snprintf(p->why, sizeof(p->why), "direct port I/O is x86's; using %s",
				 dev->ops->path.name);
			goto fallback;
		}
#ifdef UDRV_TEST_HOOKS
		/* A fake sysfs tree's ports are not this machine's. */
		if (strcmp(udrv_sysfs_root(), "/sys")) {
			snprintf(p->why, sizeof(p->why), "the sysfs root is a test tree");
			goto fallback;
		}
#endif
		if (!info->phys || info->phys + info->size > 0x10000) {
			snprintf(p->why, sizeof(p->why),
				 "the BAR's port range (0x%" PRIx64 ", %" PRIu64 " ports) is unknown or past 0xffff",
				 info->phys, info->size);
			goto fallback;
		}
		p->port = (uint16_t)info->phys;
	}
#if HAVE_PIO
	port = p->port;
	if (port + info->size <= IOPERM_PORTS) {
		if (!(pio_low[port / 8] & (1u << (port % 8)))) {
			if (ioperm(port, info->size, 1)) {
				snprintf(p->why, sizeof(p->why),
					 "ioperm(0x%x, %" PRIu64 ") failed: %s (it needs root or CAP_SYS_RAWIO, and no kernel lockdown)",
					 port, info->size, strerror(errno));
				goto fallback;
			}
			for (i = port; i < port + info->size; i++)
				pio_low[i / 8] |= 1u << (i % 8);
		}
	} else if (!pio_iopl) {
		if (iopl(3)) {
			snprintf(p->why, sizeof(p->why),
				 "iopl(3) for ports 0x%x-0x%" PRIx64 " failed: %s (it needs root or CAP_SYS_RAWIO, and no kernel lockdown)",
				 port, port + info->size - 1, strerror(errno));
			goto fallback;
		}
		pio_iopl = true;
	}
	__atomic_store_n(&p->state, PIO_DIRECT, __ATOMIC_RELAXED);
	return true;
#else
	(void)port;
	(void)i;
#endif
fallback:
	__atomic_store_n(&p->state, PIO_FALLBACK, __ATOMIC_RELAXED);
	return false;
}

#if HAVE_PIO
static uint32_t pio_in(uint16_t port, unsigned int width)
{
	return width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
}

static void pio_out(uint16_t port, unsigned int width, uint32_t v)
{
	if (width == 1)
		outb((uint8_t)v, port);
	else if (width == 2)
		outw((uint16_t)v, port);
	else
		outl(v, port);
}
#endif

/* One I/O-port access: in/out if this thread may, else the backend's system call. */
static int pio_rw(struct udrv_device *dev, unsigned int bar, const struct udrv_bar_info *info,
		  uint64_t off, unsigned int width, uint32_t *v, bool write)
{
#if HAVE_PIO
	if (pio_ok(dev, bar, info)) {
		uint16_t port = (uint16_t)(dev->pio[bar].port + off);

		if (write)
			pio_out(port, width, *v);
		else
			*v = pio_in(port, width);
		return 0;
	}
#else
	(void)info;
#endif
	return dev->ops->bar_rw(dev, bar, off, width, v, write);
}

UDRV_EXPORT int udrv_bar_pio_base(struct udrv_device *dev, unsigned int bar, uint16_t *base,
				  uint64_t *size)
{
	int ret = udrv_bar_pio_direct(dev, bar);

	if (ret)
		return ret;
	*base = dev->pio[bar].port;
	if (size)
		*size = dev->bars[bar].info.size;
	return 0;
}

UDRV_EXPORT int udrv_bar_pio_direct(struct udrv_device *dev, unsigned int bar)
{
	struct udrv_bar_info *info;
	int ret;

	if (dev->inherited)
		return udrv_inherited_err(dev);
	ret = udrv_bar_cached_info(dev, bar, &info);
	if (ret)
		return ret;
	if (!(info->flags & UDRV_BAR_IO))
		return udrv_err(EINVAL, "%s: BAR %u is a memory BAR: map it (udrv_bar_map())",
				dev->name, bar);
	if (pio_ok(dev, bar, info))
		return 0;
	return udrv_err(HAVE_PIO ? EPERM : ENOTSUP,
			"%s: BAR %u: no direct port I/O: %s; udrv_bar_read/udrv_bar_write use the %s path's system call instead",
			dev->name, bar, dev->pio[bar].why, dev->ops->path.name);
}

static int check_access(struct udrv_device *dev, unsigned int bar, uint64_t off,
			unsigned int width, struct udrv_bar_info **info)
{
	struct udrv_bar_map *map;
	void *addr;
	unsigned int i;
	int ret;

	if (dev->inherited)
		return udrv_inherited_err(dev);
	if (width != 1 && width != 2 && width != 4 && width != 8)
		return udrv_err(EINVAL, "%s: access width %u: must be 1, 2, 4 or 8 bytes",
				dev->name, width);
	ret = udrv_bar_cached_info(dev, bar, info);
	if (ret)
		return ret;
	if (off % width)
		return udrv_err(EINVAL, "%s: BAR %u offset 0x%" PRIx64 " is not aligned to its %u-byte width",
				dev->name, bar, off, width);
	if (off >= (*info)->size || width > (*info)->size - off)
		return udrv_err(EINVAL, "%s: BAR %u access of %u bytes at 0x%" PRIx64 " is past its end (size 0x%" PRIx64 ")",
				dev->name, bar, width, off, (*info)->size);
	if ((*info)->flags & UDRV_BAR_IO) {
		if (width == 8)
			return udrv_err(EINVAL, "%s: BAR %u is an I/O port BAR: 8-byte access does not exist",
					dev->name, bar);
		return 0;
	}
	ret = udrv_bar_map(dev, bar, &addr, NULL);
	if (ret)
		return ret;
	map = &dev->bars[bar].map;
	for (i = 0; i < map->nranges; i++)
		if (off >= map->ranges[i].offset &&
		    off + width <= map->ranges[i].offset + map->ranges[i].size)
			return 0;
	return udrv_err(EFAULT,
			"%s: BAR %u offset 0x%" PRIx64 " is in a hole (MSI-X table or PBA the backend does not let user space map); see udrv_bar_ranges()",
			dev->name, bar, off);
}

UDRV_EXPORT int udrv_bar_read(struct udrv_device *dev, unsigned int bar, uint64_t off,
			      unsigned int width, uint64_t *val)
{
	struct udrv_bar_info *info;
	uint8_t *p;
	int ret = check_access(dev, bar, off, width, &info);

	if (ret)
		return ret;
	if (info->flags & UDRV_BAR_IO) {
		uint32_t v = 0;

		ret = pio_rw(dev, bar, info, off, width, &v, false);
		if (!ret)
			*val = width == 1 ? (uint8_t)v : width == 2 ? (uint16_t)v : v;
		return ret;
	}
	p = dev->bars[bar].map.addr;
	switch (width) {
	case 1:
		*val = udrv_read8(p, off);
		break;
	case 2:
		*val = udrv_read16(p, off);
		break;
	case 4:
		*val = udrv_read32(p, off);
		break;
	default:
		*val = udrv_read64(p, off);
		break;
	}
	return 0;
}

UDRV_EXPORT int udrv_bar_write(struct udrv_device *dev, unsigned int bar, uint64_t off,
			       unsigned int width, uint64_t val)
{
	struct udrv_bar_info *info;
	uint8_t *p;
	int ret;

	if (width < 8 && width && (val >> (8 * width)))
		return udrv_err(ERANGE, "%s: value 0x%" PRIx64 " does not fit in %u bytes",
				dev->name, val, width);
	ret = check_access(dev, bar, off, width, &info);
	if (ret)
		return ret;
	if (info->flags & UDRV_BAR_IO) {
		uint32_t v = (uint32_t)val;

		return pio_rw(dev, bar, info, off, width, &v, true);
	}
	p = dev->bars[bar].map.addr;
	switch (width) {
	case 1:
		udrv_write8(p, off, (uint8_t)val);
		break;
	case 2:
		udrv_write16(p, off, (uint16_t)val);
		break;
	case 4:
		udrv_write32(p, off, (uint32_t)val);
		break;
	default:
		udrv_write64(p, off, val);
		break;
	}
	return 0;
}
