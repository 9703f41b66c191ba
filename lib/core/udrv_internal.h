/* SPDX-License-Identifier: MIT */
/*
 * libudrv internals shared by the core and the backends: the device
 * structure, the ops table every access path implements, and the core's
 * helpers.  Nothing here knows any particular backend: a backend keeps its
 * own state behind dev->priv and releases it in its close op.
 */
#ifndef UDRV_INTERNAL_H
#define UDRV_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <udrv/udrv.h>

#define UDRV_EXPORT __attribute__((visibility("default")))

#define UDRV_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A 2 MiB huge page: the largest natural alignment of a DMA buffer. */
#define UDRV_HUGE_2M (2UL << 20)

struct udrv_bar_map {
	void *base;       /* what mmap() returned */
	size_t map_len;   /* what was mapped */
	void *addr;       /* first byte of the BAR inside the mapping */
	size_t size;      /* BAR length */
	/* Accessible parts of the BAR; none set by a backend means all of it. */
	struct udrv_range ranges[UDRV_BAR_MAX_RANGES];
	unsigned int nranges;
	unsigned int want; /* UDRV_BAR_MAP_* asked for (set before bar_map) */
	unsigned int got;  /* UDRV_BAR_MAP_* the backend's mapping has */
};

/* Per-BAR state of a device: cached description and mapping. */
struct udrv_bar {
	struct udrv_bar_info info;
	bool have_info;
	bool phys_tried;        /* info.phys looked up in sysfs (device.c) */
	struct udrv_bar_map map;
};

struct udrv_dma_buf;

/**
 * struct udrv_backend_ops - one access path
 * @path:         what the path is: name, driver, modules (<udrv/access_path.h>);
 *                first, so a public &struct udrv_access_path leads back here
 * @open:         acquire the device (fds, containers) into dev->priv and set
 *                dev->config_size; undo everything on error
 * @close:        release what open acquired, dev->priv included (mappings,
 *                interrupts and DMA buffers are already gone)
 * @bar_info:     describe a BAR
 * @bar_map:      map a whole memory BAR into @map, honouring map->want where
 *                it can and saying what it did in map->got
 * @config_read:  pread() semantics on config space
 * @config_write: pwrite() semantics on config space
 * @bar_rw:       one access of @width bytes to an I/O-port BAR (checked by the caller)
 * @reset:        reset the function
 * @set_bus_master: turn bus mastering on/off through the kernel driver, or
 *                NULL: udrv_set_bus_master() writes the Command register
 * @irq_count:    vectors of @type (never BEST) this path can give the device
 *                (0: none), or a negative errno; NULL: what config space's
 *                interrupt pin and MSI/MSI-X capabilities offer
 * @irq_enable:   start interrupts of @type (never BEST) on @nvec vectors, fill
 *                dev->irq (type, nvec, fds: the backend's, one per vector)
 * @irq_disable:  stop them and release what irq_enable acquired (fds array included)
 * @irq_read:     read what @vec's readable fd says into @events: > 0 new
 *                events, 0 nothing new, < 0 error; NULL means eventfd counters
 * @irq_rearm:    let the next interrupt of @vec through
 * @irq_trigger:  raise @vec's event from software, or NULL
 * @dma_alloc:    fill @buf (vaddr, iova, size page-rounded, map_base/map_len, fd);
 *                buf->streaming asks for a streaming buffer
 * @dma_free:     undo dma_alloc or dma_map; returns 0, or a negative errno
 *                when something could not be released (no message: teardown)
 * @dma_set_mask: tell the kernel side about a new mask, or NULL
 * @dma_map:      map the caller's memory at buf->pub.vaddr (size set), or NULL
 * @dma_sync:     hand a streaming buffer to the CPU or (@for_device) to the
 *                device, or NULL: the path's buffers are coherent
 * @forget:       in a forked child, on a handle inherited from the parent:
 *                close this process's copies of the fds and free dev->priv,
 *                with no effect on the device or the parent (no ioctl, no
 *                config write); NULL: the copies stay open (close-on-exec)
 * @fork_child:   in a forked child, after every inherited handle was
 *                forgotten: drop the process-wide state inherited from the
 *                parent (VFIO's container), so that the child starts afresh
 * A NULL irq_enable means the path has no interrupts, a NULL dma_alloc no DMA.
 */
struct udrv_backend_ops {
	struct udrv_access_path path;
	int (*open)(struct udrv_device *dev);
	void (*close)(struct udrv_device *dev);
	int (*bar_info)(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info);
	int (*bar_map)(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map);
	ssize_t (*config_read)(struct udrv_device *dev, void *buf, size_t len, off_t off);
	ssize_t (*config_write)(struct udrv_device *dev, const void *buf, size_t len, off_t off);
	int (*bar_rw)(struct udrv_device *dev, unsigned int bar, uint64_t off, unsigned int width,
		      void *val, bool write);
	int (*reset)(struct udrv_device *dev);
	int (*set_bus_master)(struct udrv_device *dev, int on);
	int (*irq_count)(struct udrv_device *dev, enum udrv_irq_type type);
	int (*irq_enable)(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec);
	void (*irq_disable)(struct udrv_device *dev);
	int (*irq_read)(struct udrv_device *dev, unsigned int vec, uint64_t *events);
	int (*irq_rearm)(struct udrv_device *dev, unsigned int vec);
	int (*irq_trigger)(struct udrv_device *dev, unsigned int vec);
	int (*dma_alloc)(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf);
	int (*dma_free)(struct udrv_device *dev, struct udrv_dma_buf *buf);
	int (*dma_set_mask)(struct udrv_device *dev, unsigned int bits);
	int (*dma_map)(struct udrv_device *dev, struct udrv_dma_buf *buf);
	int (*dma_sync)(struct udrv_device *dev, struct udrv_dma_buf *buf, bool for_device);
	void (*forget)(struct udrv_device *dev);
	void (*fork_child)(void);
};

/* A DMA buffer: the public part first, then what it takes to release it. */
struct udrv_dma_buf {
	struct udrv_dma pub;      /* first: a handle is its buffer (udrv_dma_buf_of()) */
	struct udrv_dma_buf *left, *right; /* a free piece's or block's links (dma_chunk.c, dma_pool.c) */
	int fd;                   /* the backend's per-buffer fd (for syncs), or -1 */
	void *map_base;           /* what to munmap; NULL for the caller's memory */
	size_t map_len;
	bool streaming;
	unsigned char kind;       /* enum udrv_dma_kind (dma_internal.h) */
	bool out;                 /* a piece or a pool block: handed out, not yet freed */
	void *owner;              /* a piece's chunk, a pool block's pool page */
};

/* The buffer a handle given out by libudrv belongs to. */
static inline struct udrv_dma_buf *udrv_dma_buf_of(struct udrv_dma *pub)
{
	return (struct udrv_dma_buf *)pub;
}

struct udrv_dma_chunks;
struct udrv_dma_pool;
struct udrv_dma_node;

/* A device's buffers by address (dma_tree.c: a B+tree); zeroed is empty. */
struct udrv_dma_tree {
	struct udrv_dma_node *root;
	unsigned int height;       /* levels; 1: the root is a leaf */
	size_t count;              /* buffers filed */
	struct udrv_dma_node *spare; /* freed nodes, for the next splits */
	unsigned int nspare;
};

/* DMA state of a device (dma.c); @lock guards all of it. */
struct udrv_dma_state {
	pthread_mutex_t lock;
	unsigned int mask_bits;   /* 0 means 64 */
	struct udrv_dma_tree tree; /* by address (dma_tree.c) */
	struct udrv_dma_chunks *chunks; /* small buffers' chunks (dma_chunk.c), or NULL */
	struct udrv_dma_pool *pools;    /* the device's pools (dma_pool.c) */
	struct udrv_dma_buf *spare;     /* records of freed buffers, to reuse (linked by right) */
	unsigned int nspare;
};

/* Interrupt state of a device (irq.c); the fds belong to the backend. */
struct udrv_irq {
	enum udrv_irq_type type;  /* 0: not enabled */
	unsigned int nvec;
	int *fds;                 /* per vector */
};

struct udrv_device {
	struct udrv_pci_addr addr;
	char name[UDRV_PCI_ADDR_STRLEN];
	const struct udrv_backend_ops *ops;
	struct udrv_open_opts opts; /* as udrv_open() was given them (zeroed: defaults) */
	void *priv;              /* the backend's own state */
	struct udrv_bar bars[UDRV_NUM_BARS];
	size_t config_size;      /* 256 or 4096 */
	struct udrv_irq irq;
	struct udrv_dma_state dma;
	/* command.c: the Command register at udrv_open(), restored by udrv_close() */
	uint16_t cmd_at_open;
	bool have_cmd;
	unsigned int nbar_regs;   /* BAR registers read with it (0 if the read failed) */
	uint32_t bar_regs[6];
	int (*quiesce)(struct udrv_device *dev, void *arg); /* udrv_set_quiesce() */
	void *quiesce_arg;
	/* fork.c: open handles of this process; an inherited one is the parent's */
	struct udrv_device *next_open;
	bool inherited;
	int owner_pid;           /* an inherited handle: the process that forked this one */
	struct udrv_backend_ops *inherited_ops; /* what dev->ops points to then */
	/* bar_access.c: direct port I/O per I/O BAR */
	struct udrv_pio {
		unsigned char state;  /* 0 not tried, 1 direct, 2 fallback */
		uint16_t port;        /* first port of the BAR */
		char why[200];        /* why not direct (state 2) */
	} pio[UDRV_NUM_BARS];
};

/* error.c: record a message for udrv_last_error(); returns -abs(err). */
int udrv_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * error.c: teardown (close, free, disable) must not replace the message of
 * the failure the caller is handling.  Save it before, put it back after.
 */
struct udrv_err_saved {
	char msg[512];
};
void udrv_err_save(struct udrv_err_saved *s);
void udrv_err_restore(const struct udrv_err_saved *s);

/* access_path.c: the table (lib/backend/backends.def) */
const struct udrv_backend_ops *udrv_backend_ops(enum udrv_backend kind);
const struct udrv_backend_ops *udrv_backend_for_driver(const char *driver);

/* device.c */
int udrv_bar_cached_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info **info);

/* bar_ranges.c: [0, size) minus page-rounded @holes, in ascending order. */
int udrv_ranges_subtract(uint64_t size, const struct udrv_range *holes, unsigned int nholes,
			 uint64_t page, struct udrv_range *out, unsigned int *nout);
int udrv_msix_holes(struct udrv_device *dev, unsigned int bar, struct udrv_range holes[2],
		    unsigned int *nholes);
int udrv_map_ranges(struct udrv_device *dev, int fd, off_t file_off, int prot,
		    const struct udrv_range *ranges, unsigned int n, struct udrv_bar_map *map);

/* The highest device address the device's DMA mask reaches. */
static inline uint64_t udrv_dma_limit(const struct udrv_device *dev)
{
	unsigned int bits = dev->dma.mask_bits ? dev->dma.mask_bits : 64;

	return bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;
}

/* dma.c */
void udrv_dma_release_all(struct udrv_device *dev);

/*
 * phys_dma.c: a buffer of one locked 2 MiB huge page below the device's mask
 * at its physical address (pagemap; CAP_SYS_ADMIN), for paths without a
 * translating IOMMU (the caller checks that); and its release.
 */
int udrv_phys_dma_alloc(struct udrv_device *dev, struct udrv_dma_buf *buf);
int udrv_phys_dma_free(struct udrv_dma_buf *buf);

/* dma_tree.c: a device's buffers by address, O(log n).  Take @b out; false if it is not in. */
bool udrv_dma_tree_remove(struct udrv_dma_tree *t, struct udrv_dma_buf *b);
/* The buffer overlapping [p, p + len), or NULL. */
struct udrv_dma_buf *udrv_dma_tree_find(const struct udrv_dma_tree *t, const void *p, size_t len);
/* The buffer with the lowest address, or NULL. */
struct udrv_dma_buf *udrv_dma_tree_first(const struct udrv_dma_tree *t);
/* Call @fn for every buffer, in address order; @fn must not change the tree. */
void udrv_dma_tree_each(const struct udrv_dma_tree *t,
			void (*fn)(struct udrv_dma_buf *b, void *arg), void *arg);
/* Free the tree's spare nodes (it must be empty: udrv_dma_release_all()). */
void udrv_dma_tree_destroy(struct udrv_dma_tree *t);
/* The tree's invariants (tests): NULL, or what is wrong; *@count: the buffers seen. */
const char *udrv_dma_tree_check(const struct udrv_dma_tree *t, size_t *count);

/* command.c: set and clear bits of the Command register (one write, if any). */
int udrv_update_command(struct udrv_device *dev, uint16_t set, uint16_t clear);
/* command.c: remember the Command register (udrv_open) / put it back (udrv_close). */
void udrv_command_snapshot(struct udrv_device *dev);
void udrv_command_restore(struct udrv_device *dev);
/* command.c: BAR register @bar as udrv_open() read it (the kind bits), else read now. */
int udrv_bar_register(struct udrv_device *dev, unsigned int bar, uint32_t *reg);

/*
 * fork.c: the process's open handles and what a fork does to them.
 * udrv_fork_register() files a new handle (and installs the fork handlers
 * once), udrv_fork_unregister() takes it out.  In a forked child every
 * handle inherited from the parent is marked inherited: its BAR mappings
 * are gone, its ops refuse with udrv_inherited_err(), and udrv_close() only
 * frees this process's copy.  udrv_fork_inherited_open() says whether this
 * process still holds an inherited handle of @addr (udrv_open refuses then).
 */
void udrv_fork_register(struct udrv_device *dev);
void udrv_fork_unregister(struct udrv_device *dev);
bool udrv_fork_inherited_open(const struct udrv_pci_addr *addr, int *parent);
int udrv_inherited_err(struct udrv_device *dev);

/*
 * roots.c: where sysfs and device nodes live: /sys and /dev.  Only a
 * library built for the unit tests (-DUDRV_TEST_HOOKS) can move them, with
 * udrv_test_set_roots(); a release build has no way to, so no environment
 * or caller can point a privileged program elsewhere.
 */
const char *udrv_sysfs_root(void);
const char *udrv_dev_root(void);
#ifdef UDRV_TEST_HOOKS
void udrv_test_set_roots(const char *sysfs, const char *dev);
#endif

/* sysfs.c: a PCI function's sysfs attributes, below udrv_sysfs_root(). */
int udrv_sysfs_pci_path(const char *name, const char *attr, char *buf, size_t size);
int udrv_sysfs_dev_path(const struct udrv_device *dev, const char *attr, char *buf, size_t size);
int udrv_sysfs_read_str(const char *path, char *buf, size_t size);
int udrv_sysfs_read_u64(const char *path, uint64_t *val);
int udrv_sysfs_link_name(const char *path, char *buf, size_t size);
/* The function's bound driver into @buf ("" if none). */
void udrv_sysfs_driver(const char *name, char *buf, size_t size);
/* The function's IOMMU group number, or -ENOENT if it has none (-EINVAL if unreadable). */
int udrv_sysfs_iommu_group(const char *name);
int udrv_sysfs_resource(const struct udrv_device *dev, unsigned int bar, uint64_t *start,
			uint64_t *size, uint64_t *flags);
int udrv_sysfs_bar_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info);

#endif /* UDRV_INTERNAL_H */
