// SPDX-License-Identifier: MIT
/*
 * What fork() does to libudrv's handles (<udrv/device.h>, "Processes").
 *
 * A handle belongs to the process that opened it.  fork() copies the
 * handle's memory and file descriptors into the child, but what they refer
 * to (the VFIO container and its IOMMU mappings, the device fd, /dev/uioN,
 * the interrupts) stays the parent's: a child using them would map its DMA
 * into the parent's IOMMU space, disable the parent's interrupts or clear
 * its bus mastering.  So, from pthread_atfork() handlers installed with the
 * first udrv_open():
 *
 *  - before the fork, every DMA buffer libudrv allocated is marked
 *    MADV_DONTFORK: the child gets no copy, and the parent's pages are not
 *    copy-on-write after the fork (a write by the parent would otherwise
 *    move its buffer to a new page behind the device's back);
 *  - in the child, every inherited handle is made inert: its BAR mappings
 *    are unmapped, the backend closes the child's copies of its fds
 *    (ops->forget; the parent's stay open) and every call on it fails with
 *    -EBADF and a message saying so, except udrv_close(), which frees the
 *    child's copy and touches nothing else; then each backend drops its
 *    process-wide state (ops->fork_child: VFIO's container), so the child's
 *    own udrv_open() starts a container of its own;
 *  - a child that still holds an inherited handle of a device cannot open
 *    that device again (-EBUSY): the parent owns it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "udrv_internal.h"

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct udrv_device *open_devs;
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;

/* Mark a buffer with memory of its own (a map_base) DONTFORK. */
static void dontfork(struct udrv_dma_buf *b, void *arg)
{
	(void)arg;
	if (b->map_base && b->map_len)
		madvise(b->map_base, b->map_len, MADV_DONTFORK);
}

static void prepare(void)
{
	struct udrv_device *dev;

	pthread_mutex_lock(&open_lock);
	for (dev = open_devs; dev; dev = dev->next_open) {
		if (dev->inherited)
			continue;
		pthread_mutex_lock(&dev->dma.lock);
		udrv_dma_tree_each(&dev->dma.tree, dontfork, NULL);
	}
}

static void parent(void)
{
	struct udrv_device *dev;

	for (dev = open_devs; dev; dev = dev->next_open)
		if (!dev->inherited)
			pthread_mutex_unlock(&dev->dma.lock);
	pthread_mutex_unlock(&open_lock);
}

static int refuse(struct udrv_device *dev)
{
	return udrv_inherited_err(dev);
}

static int refuse_bar_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info)
{
	(void)bar;
	(void)info;
	return refuse(dev);
}

static int refuse_bar_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map)
{
	(void)bar;
	(void)map;
	return refuse(dev);
}

static ssize_t refuse_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off)
{
	(void)buf;
	(void)len;
	(void)off;
	return refuse(dev);
}

static ssize_t refuse_config_write(struct udrv_device *dev, const void *buf, size_t len, off_t off)
{
	(void)buf;
	(void)len;
	(void)off;
	return refuse(dev);
}

static int refuse_bar_rw(struct udrv_device *dev, unsigned int bar, uint64_t off,
			 unsigned int width, void *val, bool write)
{
	(void)bar;
	(void)off;
	(void)width;
	(void)val;
	(void)write;
	return refuse(dev);
}

static int refuse_on(struct udrv_device *dev, int on)
{
	(void)on;
	return refuse(dev);
}

static int refuse_irq_count(struct udrv_device *dev, enum udrv_irq_type type)
{
	(void)type;
	return refuse(dev);
}

static int refuse_irq_enable(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec)
{
	(void)type;
	(void)nvec;
	return refuse(dev);
}

static void nothing(struct udrv_device *dev)
{
	(void)dev;
}

static int refuse_irq_read(struct udrv_device *dev, unsigned int vec, uint64_t *events)
{
	(void)vec;
	(void)events;
	return refuse(dev);
}

static int refuse_vec(struct udrv_device *dev, unsigned int vec)
{
	(void)vec;
	return refuse(dev);
}

static int refuse_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	(void)size;
	(void)buf;
	return refuse(dev);
}

/*
 * Freeing a buffer of an inherited handle forgets the child's bookkeeping
 * only: the memory is not in the child (MADV_DONTFORK) and its mapping is
 * the parent's.
 */
static int forget_dma(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	(void)dev;
	(void)buf;
	return 0;
}

static int refuse_dma_set_mask(struct udrv_device *dev, unsigned int bits)
{
	(void)bits;
	return refuse(dev);
}

static int refuse_dma_map(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	(void)buf;
	return refuse(dev);
}

static int refuse_dma_sync(struct udrv_device *dev, struct udrv_dma_buf *buf, bool for_device)
{
	(void)buf;
	(void)for_device;
	return refuse(dev);
}

static const struct udrv_backend_ops inherited_ops = {
	.close = nothing,
	.bar_info = refuse_bar_info,
	.bar_map = refuse_bar_map,
	.config_read = refuse_config_read,
	.config_write = refuse_config_write,
	.bar_rw = refuse_bar_rw,
	.reset = refuse,
	.set_bus_master = refuse_on,
	.irq_count = refuse_irq_count,
	.irq_enable = refuse_irq_enable,
	.irq_disable = nothing,
	.irq_read = refuse_irq_read,
	.irq_rearm = refuse_vec,
	.irq_trigger = refuse_vec,
	.dma_alloc = refuse_dma_alloc,
	.dma_free = forget_dma,
	.dma_set_mask = refuse_dma_set_mask,
	.dma_map = refuse_dma_map,
	.dma_sync = refuse_dma_sync,
};

/* In the child: make @dev inert, keeping its name and path for messages. */
static void make_inert(struct udrv_device *dev)
{
	struct udrv_backend_ops *ops = malloc(sizeof(*ops));
	unsigned int i, mask;

	for (i = 0; i < UDRV_NUM_BARS; i++) {
		struct udrv_bar_map *map = &dev->bars[i].map;

		if (map->base)
			munmap(map->base, map->map_len);
		memset(map, 0, sizeof(*map));
	}
	if (dev->ops->forget)
		dev->ops->forget(dev);
	/*
	 * The DMA bookkeeping describes the parent's buffers, whose memory is
	 * not in the child (MADV_DONTFORK): drop the child's copy of it
	 * (without freeing: a pool's lock may be held by a thread the child
	 * does not have), so that nothing hands out the parent's memory.
	 */
	mask = dev->dma.mask_bits;
	memset(&dev->dma, 0, sizeof(dev->dma));
	pthread_mutex_init(&dev->dma.lock, NULL);
	dev->dma.mask_bits = mask;
	/* The fds were the backend's: forgotten (or left to close-on-exec). */
	memset(&dev->irq, 0, sizeof(dev->irq));
	dev->priv = NULL;
	dev->inherited = true;
	if (ops) {
		*ops = inherited_ops;
		ops->path = dev->ops->path;
		dev->inherited_ops = ops;
		dev->ops = ops;
	} else {
		/* Out of memory in a fresh child: the path's name is lost, nothing else. */
		dev->ops = &inherited_ops;
	}
}

static void child(void)
{
	struct udrv_device *dev;
	unsigned int b;

	for (dev = open_devs; dev; dev = dev->next_open) {
		if (dev->inherited)
			continue;
		make_inert(dev);	/* the DMA lock held since prepare() is re-initialised */
		/* The handle's owner is the process that forked this one (no getpid() per open). */
		dev->owner_pid = (int)getppid();
	}
	for (b = UDRV_BACKEND_AUTO + 1;; b++) {
		const struct udrv_backend_ops *ops = udrv_backend_ops((enum udrv_backend)b);

		if (!ops)
			break;
		if (ops->fork_child)
			ops->fork_child();
	}
	pthread_mutex_unlock(&open_lock);
}

static void install(void)
{
	pthread_atfork(prepare, parent, child);
}

void udrv_fork_register(struct udrv_device *dev)
{
	pthread_once(&handlers_once, install);
	pthread_mutex_lock(&open_lock);
	dev->next_open = open_devs;
	open_devs = dev;
	pthread_mutex_unlock(&open_lock);
}

void udrv_fork_unregister(struct udrv_device *dev)
{
	struct udrv_device **p;

	pthread_mutex_lock(&open_lock);
	for (p = &open_devs; *p; p = &(*p)->next_open) {
		if (*p == dev) {
			*p = dev->next_open;
			break;
		}
	}
	pthread_mutex_unlock(&open_lock);
	free(dev->inherited_ops);
	dev->inherited_ops = NULL;
}

bool udrv_fork_inherited_open(const struct udrv_pci_addr *addr, int *parent_pid)
{
	struct udrv_device *dev;
	bool found = false;

	pthread_mutex_lock(&open_lock);
	for (dev = open_devs; dev && !found; dev = dev->next_open) {
		if (dev->inherited && !memcmp(&dev->addr, addr, sizeof(*addr))) {
			*parent_pid = dev->owner_pid;
			found = true;
		}
	}
	pthread_mutex_unlock(&open_lock);
	return found;
}

int udrv_inherited_err(struct udrv_device *dev)
{
	return udrv_err(EBADF,
			"%s: this handle belongs to process %d, which this one was forked from: a forked child cannot use its parent's devices; udrv_close() it here (that releases only this process's copy) and udrv_open() a device of its own",
			dev->name, dev->owner_pid);
}
