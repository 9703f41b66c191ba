/* SPDX-License-Identifier: MIT */
/*
 * libudrv internals: the device structure, the backend ops table every
 * access path implements, and helpers shared between backends.
 */
#ifndef UDRV_INTERNAL_H
#define UDRV_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <udrv/udrv.h>

#define UDRV_EXPORT __attribute__((visibility("default")))

struct udrv_bar_map {
	void *base;       /* what mmap() returned */
	size_t map_len;   /* what was mapped */
	void *addr;       /* first byte of the BAR inside the mapping */
	size_t size;      /* BAR length */
	/* Accessible parts of the BAR; none set by a backend means all of it. */
	struct udrv_range ranges[UDRV_BAR_MAX_RANGES];
	unsigned int nranges;
};

/* Per-BAR state of a device: cached description, mapping, I/O-port fd. */
struct udrv_bar {
	struct udrv_bar_info info;
	bool have_info;
	struct udrv_bar_map map;
	int io_fd;        /* sysfs resourceN for I/O-port access, or -1 */
};

struct udrv_dma_buf;

/**
 * struct udrv_backend_ops - one access path
 * @kind:         which backend this is
 * @name:         short name, as udrv_backend_name() returns
 * @open:         acquire the device (fds, containers); undo everything on error
 * @close:        release what open acquired (mappings are already gone)
 * @bar_info:     describe a BAR
 * @bar_map:      map a whole memory BAR into @map
 * @config_read:  pread() semantics on config space
 * @config_write: pwrite() semantics on config space
 * @bar_rw:       one access of @width bytes to an I/O-port BAR (checked by the caller)
 * @reset:        reset the function
 * @irq_enable:   start interrupts of @type (never BEST) on @nvec vectors, fill dev->irq
 * @irq_disable:  stop them; irq.c closes the fds it owns
 * @irq_rearm:    let the next interrupt of @vec through
 * @irq_trigger:  raise @vec's event from software, or NULL
 * @dma_alloc:    fill @buf (vaddr, iova, size page-rounded, map_base/map_len, fd);
 *                buf->streaming asks for a streaming buffer
 * @dma_free:     undo dma_alloc
 * @dma_set_mask: tell the kernel side about a new mask, or NULL
 * @dma_map:      map the caller's memory at buf->pub.vaddr (size set), or NULL
 * A NULL irq_enable means the path has no interrupts, a NULL dma_alloc no DMA.
 */
struct udrv_backend_ops {
	enum udrv_backend kind;
	const char *name;
	int (*open)(struct udrv_device *dev);
	void (*close)(struct udrv_device *dev);
	int (*bar_info)(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info);
	int (*bar_map)(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map);
	ssize_t (*config_read)(struct udrv_device *dev, void *buf, size_t len, off_t off);
	ssize_t (*config_write)(struct udrv_device *dev, const void *buf, size_t len, off_t off);
	int (*bar_rw)(struct udrv_device *dev, unsigned int bar, uint64_t off, unsigned int width,
		      void *val, bool write);
	int (*reset)(struct udrv_device *dev);
	int (*irq_enable)(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec);
	void (*irq_disable)(struct udrv_device *dev);
	int (*irq_rearm)(struct udrv_device *dev, unsigned int vec);
	int (*irq_trigger)(struct udrv_device *dev, unsigned int vec);
	int (*dma_alloc)(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf);
	void (*dma_free)(struct udrv_device *dev, struct udrv_dma_buf *buf);
	int (*dma_set_mask)(struct udrv_device *dev, unsigned int bits);
	int (*dma_map)(struct udrv_device *dev, struct udrv_dma_buf *buf);
};

/* A DMA buffer: the public part first, then what it takes to release it. */
struct udrv_dma_buf {
	struct udrv_dma pub;      /* first: a handle is its buffer (udrv_dma_buf_of()) */
	void *map_base;           /* what to munmap; NULL for the caller's memory */
	size_t map_len;
	int fd;                   /* stub streaming dma-buf fd (for syncs), or -1 */
	bool streaming;
	struct udrv_dma_buf *left, *right; /* dma_tree.c */
	uint32_t prio;
};

/* The buffer a handle given out by libudrv belongs to. */
static inline struct udrv_dma_buf *udrv_dma_buf_of(struct udrv_dma *pub)
{
	return (struct udrv_dma_buf *)pub;
}

/* DMA state of a device (dma.c). */
struct udrv_dma_state {
	unsigned int mask_bits;   /* 0 means 64 */
	struct udrv_dma_buf *tree; /* by address (dma_tree.c) */
	int ctl_fd;               /* udrv_stub's /dev/udrv/<address>, or -1 */
};

/* Interrupt state of a device (irq.c). */
struct udrv_irq {
	enum udrv_irq_type type;  /* 0: not enabled */
	unsigned int nvec;
	int *fds;                 /* per vector */
	bool fds_owned;           /* eventfds to close (VFIO); else the UIO fd */
	bool uio;                 /* events are UIO 32-bit counts, not eventfd counters */
	uint32_t uio_last;        /* UIO count at the last wait */
};

struct udrv_vfio;

struct udrv_device {
	struct udrv_pci_addr addr;
	char name[UDRV_PCI_ADDR_STRLEN];
	const struct udrv_backend_ops *ops;
	struct udrv_bar bars[UDRV_NUM_BARS];
	int config_fd;           /* sysfs config file (UIO, stub, sysfs) or -1 */
	size_t config_size;      /* 256 or 4096 */
	int uio_fd;              /* /dev/uioN (UIO, stub) or -1 */
	int uio_num;             /* N of /dev/uioN, or -1 */
	struct udrv_vfio *vfio;  /* VFIO state, or NULL */
	struct udrv_irq irq;
	struct udrv_dma_state dma;
};

extern const struct udrv_backend_ops udrv_vfio_ops;
extern const struct udrv_backend_ops udrv_uio_ops;
extern const struct udrv_backend_ops udrv_stub_ops;
extern const struct udrv_backend_ops udrv_sysfs_ops;

/* error.c: record a message for udrv_last_error(); returns -abs(err). */
int udrv_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* device.c */
const struct udrv_backend_ops *udrv_backend_for_driver(const char *driver);
const struct udrv_backend_ops *udrv_backend_ops(enum udrv_backend kind);
int udrv_bar_cached_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info **info);

/* bar_ranges.c: [0, size) minus page-rounded @holes, in ascending order. */
int udrv_ranges_subtract(uint64_t size, const struct udrv_range *holes, unsigned int nholes,
			 uint64_t page, struct udrv_range *out, unsigned int *nout);
int udrv_msix_holes(struct udrv_device *dev, unsigned int bar, struct udrv_range holes[2],
		    unsigned int *nholes);
int udrv_map_ranges(struct udrv_device *dev, int fd, off_t file_off, int prot,
		    const struct udrv_range *ranges, unsigned int n, struct udrv_bar_map *map);

/* vfio_container.c: the process's container and its groups */
const char *udrv_dev_root(void);
int udrv_vfio_group_path(int group_id, char *buf, size_t size, bool *noiommu);
int udrv_vfio_get_group(struct udrv_device *dev, int group_id, int *group_fd);
void udrv_vfio_put_group(int group_id);
int udrv_vfio_container_fd(void);
int udrv_vfio_not_viable(struct udrv_device *dev, int group_id);
int udrv_vfio_iova_alloc(struct udrv_device *dev, uint64_t size, uint64_t align, uint64_t limit,
			 uint64_t *iova);
void udrv_vfio_iova_free(uint64_t iova, uint64_t size);

/* dma.c */
uint64_t udrv_dma_limit(const struct udrv_device *dev);
void udrv_dma_release_all(struct udrv_device *dev);

/* dma_tree.c: a device's buffers by address, O(log n), no allocation. */
void udrv_dma_tree_insert(struct udrv_dma_buf **root, struct udrv_dma_buf *b);
/* Take @b out of the tree; false (and nothing changed) if it is not in it. */
bool udrv_dma_tree_remove(struct udrv_dma_buf **root, struct udrv_dma_buf *b);
/* The buffer overlapping [p, p + len), or NULL. */
struct udrv_dma_buf *udrv_dma_tree_find(struct udrv_dma_buf *root, const void *p, size_t len);

/* dma_vfio.c, dma_stub.c, dma_uio.c: the backends' DMA ops */
int udrv_vfio_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf);
int udrv_vfio_dma_map(struct udrv_device *dev, struct udrv_dma_buf *buf);
void udrv_vfio_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf);
int udrv_stub_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf);
void udrv_stub_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf);
int udrv_stub_dma_set_mask(struct udrv_device *dev, unsigned int bits);
int udrv_uio_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf);
void udrv_uio_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf);

/* irq.c */
int udrv_uio_irq_setup(struct udrv_device *dev);

/* sysfs.c: paths below $UDRV_SYSFS_ROOT (default /sys) */
const char *udrv_sysfs_root(void);
int udrv_sysfs_dev_path(const struct udrv_device *dev, const char *attr, char *buf, size_t size);
int udrv_sysfs_read_str(const char *path, char *buf, size_t size);
int udrv_sysfs_read_u64(const char *path, uint64_t *val);
int udrv_sysfs_link_name(const char *path, char *buf, size_t size);
int udrv_sysfs_resource(const struct udrv_device *dev, unsigned int bar, uint64_t *start,
			uint64_t *size, uint64_t *flags);
int udrv_sysfs_bar_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info);
int udrv_sysfs_config_open(struct udrv_device *dev);
ssize_t udrv_sysfs_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off);
ssize_t udrv_sysfs_config_write(struct udrv_device *dev, const void *buf, size_t len, off_t off);
int udrv_sysfs_resource_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map);
int udrv_sysfs_bar_rw(struct udrv_device *dev, unsigned int bar, uint64_t off, unsigned int width,
		      void *val, bool write);
int udrv_sysfs_reset(struct udrv_device *dev);

#endif /* UDRV_INTERNAL_H */
