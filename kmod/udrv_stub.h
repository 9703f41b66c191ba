/* SPDX-License-Identifier: GPL-2.0 */
/*
 * udrv_stub - internal definitions shared by the driver's source files.
 *
 * One struct udrv_stub_dev exists per bound PCI function.  It is reference
 * counted (not devm-allocated) because it must outlive remove(): a process
 * may still have a BAR mapped when the device is unbound, and the mapping's
 * vm_operations keep using the struct until munmap().  Every DMA buffer
 * (a dma-buf handed out through the control device /dev/udrv/<address>)
 * and every open file of that control device hold a reference the same
 * way, so the struct and the pci_dev stay until the last of them is gone;
 * so does a queued drain (udrv_stub_dma_quiesce()).
 */
#ifndef UDRV_STUB_H
#define UDRV_STUB_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uio_driver.h>
#include <linux/workqueue.h>

#define UDRV_STUB_NAME		"udrv_stub"
#define UDRV_STUB_VERSION	"0.1.0"

struct udrv_stub_dev;
struct eventfd_ctx;
struct udrv_stub_irq_info;
struct udrv_stub_intx_ack;

/**
 * struct udrv_stub_map - one memory BAR exposed as a UIO map
 * @sdev: the device this BAR belongs to
 * @index: UIO map index; user space passes index * PAGE_SIZE as mmap offset
 * @bar: PCI BAR number (0-5); the map is named "BAR<bar>"
 * @start: physical address of the BAR's first byte
 * @len: length of the BAR in bytes
 * @pfn: page frame number of the page holding @start
 * @pages: number of pages the BAR touches (its "page span")
 * @prefetch: prefetchable: write-combining may be asked for
 * @mappable: the BAR's pages hold nothing else (a BAR smaller than a page
 *            only if @subpage reserved the rest of its page)
 * @nr_holes: entries in @hole_first/@hole_last
 * @hole_first: first page (from the map's first page) of an MSI-X table
 *              or PBA hole, never mapped
 * @hole_last: last page of that hole
 * @subpage: the rest of a sub-page BAR's page, reserved in the resource
 *           tree so that no other device is placed there; or NULL
 * @name: "BAR<n>", pointed to by the uio_mem entry
 * @wc_vmas: live VMAs mapping the BAR write-combining (under sdev->lock)
 * @uc_vmas: live VMAs mapping the BAR uncached (under sdev->lock)
 *
 * Apart from the two counters, immutable between probe and the final
 * reference drop, so the mmap and fault paths read it without locking.
 */
struct udrv_stub_map {
	struct udrv_stub_dev *sdev;
	unsigned int index;
	int bar;
	phys_addr_t start;
	resource_size_t len;
	unsigned long pfn;
	unsigned long pages;
	u8 prefetch;
	u8 mappable;
	u8 nr_holes;
	unsigned long hole_first[2];
	unsigned long hole_last[2];
	struct resource *subpage;
	char name[8];
	unsigned int wc_vmas;
	unsigned int uc_vmas;
};

/**
 * struct udrv_stub_vec - one interrupt vector in use
 * @sdev: its device
 * @index: vector number (0: also reported through /dev/uioN)
 * @irq: Linux IRQ number
 * @trigger: eventfd signalled per interrupt, or NULL
 * @name: name passed to request_irq() (/proc/interrupts)
 */
struct udrv_stub_vec {
	struct udrv_stub_dev *sdev;
	unsigned int index;
	int irq;
	struct eventfd_ctx *trigger;
	char name[40];
};

/**
 * struct udrv_stub_ack - an installed INTx ack program (kernel form)
 * @base: pci_iomap_range() of the pages holding both registers
 * @status: the status register inside @base
 * @ack: the acknowledge register inside @base
 * @width: register width, 1, 2 or 4
 * @flags: UDRV_STUB_ACK_WRITE_STATUS or 0
 * @mask: status bits meaning "interrupt requested"
 * @value: value written to @ack without UDRV_STUB_ACK_WRITE_STATUS
 * @bar: the BAR
 */
struct udrv_stub_ack {
	void __iomem *base;
	void __iomem *status;
	void __iomem *ack;
	u8 width;
	u32 flags;
	u32 mask;
	u32 value;
	int bar;
};

/**
 * struct udrv_stub_dev - per-device state
 * @ref: lifetime; probe holds one reference, every live VMA holds one
 * @pdev: the PCI function (reference held until @ref drops to zero)
 * @info: what the UIO core knows about the device
 * @bar_mask: BARs requested with pci_request_selected_regions()
 * @dma_bits: DMA address width that dma_set_mask_and_coherent() accepted
 * @maps: memory BARs, in BAR order; maps[i] is info.mem[i]
 * @nr_maps: number of valid entries in @maps
 * @port_names: "BAR<n>" names for the info.port entries
 * @lock: serialises the mmap/fault paths against revocation, and every
 *        change of bus mastering; guards @revoked, @files, @open_count,
 *        @ctl_open_count, @quiesce_gen and @drain_gen
 * @revoked: set once by remove(); the BARs may no longer be mapped
 * @files: address_spaces (one per device node inode) that have our VMAs
 * @open_count: number of open file descriptions of /dev/uioN
 * @ctl_open_count: number of open file descriptions of the control device
 * @quiesce_gen: bumped whenever bus mastering is turned on or a quiesce
 *               starts; a drain only counts if it did not change
 * @drain_gen: @quiesce_gen when the queued drain started
 * @drain: the background drain of udrv_stub_dma_quiesce()
 * @nr_mappings: live VMAs mapping one of our BARs (sysfs "mappings")
 * @master: bus mastering turned on through SET_MASTER (under @lock)
 * @drain_queued: a drain was queued by a last close and has not run
 * @irq_default: interrupt type chosen at probe, restored when the vectors
 *               set through SET_IRQS are released
 * @intx_maskable: the function has PCI 2.3's INTx disable bit
 * @irq_mutex: serialises changes of the vectors and the ack program;
 *             guards @irq_kind, @vecs, @nr_vecs, @irq_owner, @ack_owner,
 *             @irq_gone.  Taken after @lock when both are held
 * @irq_kind: interrupt type in use (UDRV_STUB_IRQ_*, from the UAPI header)
 * @vecs: the vectors in use (@nr_vecs entries), or NULL
 * @nr_vecs: number of vectors in use
 * @irq_owner: the control file that set the vectors, or NULL (probe's)
 * @ack_owner: the control file that installed @ack, or NULL
 * @irq_gone: set by remove(): no vectors are set up any more
 * @irq_lock: protects @irq_masked, @irq_pending and @ack against the hard
 *            interrupt handler
 * @irq_masked: interrupt masked, waiting for user space to write 1
 * @irq_pending: ack program: an interrupt arrived while masked
 * @ack: the INTx ack program, or NULL
 * @ctl: the control device /dev/udrv/<address> (udrv_stub_ctl.c)
 * @ctl_name: its name in /sys/class/misc ("udrv-<address>")
 * @ctl_nodename: its node below /dev ("udrv/<address>")
 * @ctl_registered: @ctl is registered (between probe and remove)
 * @dma_lock: serialises allocations, frees, DMA mask changes and remove()
 *            against each other; guards @dma_gone, @dma_quiet, @buffers,
 *            @nr_buffers, @quarantine, @nr_quarantined and @pinned
 * @dma_gone: set once by remove(): no new buffers, ioctls fail with ENODEV
 * @dma_quiet: bus mastering has been off since the device was last
 *             quiesced (reset or drained): nothing it had pending can
 *             reach memory any more.  Written under @lock and @dma_lock
 * @buffers: live DMA buffers (struct udrv_stub_buf, udrv_stub_dmabuf.c)
 * @nr_buffers: number of entries on @buffers (sysfs "dma_buffers")
 * @quarantine: buffers released while the device was not quiet: memory
 *              and bus address kept until it is
 * @nr_quarantined: entries on @quarantine (sysfs "dma_quarantined")
 * @pinned: bytes of DMA memory held, live and quarantined (sysfs
 *          "dma_pinned_kb"; capped by the max_pinned_mb parameter)
 * @old_max_seg: the device's max DMA segment size before probe, restored
 *               at remove
 */
struct udrv_stub_dev {
	struct kref ref;
	struct pci_dev *pdev;
	struct uio_info info;
	int bar_mask;
	unsigned int dma_bits;

	struct udrv_stub_map maps[MAX_UIO_MAPS];
	unsigned int nr_maps;
	char port_names[MAX_UIO_PORT_REGIONS][8];

	struct mutex lock;	/* see the kernel-doc above */
	u8 revoked;
	struct list_head files;
	unsigned int open_count;
	unsigned int ctl_open_count;
	unsigned long quiesce_gen;
	unsigned long drain_gen;
	struct delayed_work drain;
	atomic_t nr_mappings;

	u8 master;
	u8 drain_queued;

	unsigned int irq_default;
	u8 intx_maskable;
	struct mutex irq_mutex;	/* see the kernel-doc above */
	unsigned int irq_kind;
	struct udrv_stub_vec *vecs;
	unsigned int nr_vecs;
	struct file *irq_owner;
	struct file *ack_owner;
	u8 irq_gone;
	spinlock_t irq_lock;	/* see the kernel-doc above */
	u8 irq_masked;
	u8 irq_pending;
	struct udrv_stub_ack *ack;

	struct miscdevice ctl;
	char ctl_name[32];
	char ctl_nodename[32];
	u8 ctl_registered;
	struct mutex dma_lock;	/* see the kernel-doc above */
	u8 dma_gone;
	u8 dma_quiet;
	struct list_head buffers;
	unsigned int nr_buffers;
	struct list_head quarantine;
	unsigned int nr_quarantined;
	u64 pinned;
	unsigned int old_max_seg;
};

/*
 * vm_flags became read-only in 6.3 (set through vm_flags_set(), which also
 * asserts the mmap lock).  Kbuild defines UDRV_STUB_HAVE_VM_FLAGS_SET when
 * the kernel headers have it; feature detection rather than a version
 * check also covers distribution kernels that backported it.
 */
static inline void udrv_stub_vm_flags_set(struct vm_area_struct *vma,
					  vm_flags_t flags)
{
#ifdef UDRV_STUB_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * PCI_IRQ_LEGACY was renamed PCI_IRQ_INTX in 6.8 (and later removed);
 * Kbuild defines UDRV_STUB_HAVE_PCI_IRQ_INTX when the headers have it.
 */
#ifndef UDRV_STUB_HAVE_PCI_IRQ_INTX
#define PCI_IRQ_INTX	PCI_IRQ_LEGACY
#endif

/*
 * MODULE_IMPORT_NS() takes a string literal since 6.13 and a bare
 * identifier before (Kbuild: UDRV_STUB_HAVE_NS_STRING).
 */
#ifdef UDRV_STUB_HAVE_NS_STRING
#define UDRV_STUB_NS_DMA_BUF	"DMA_BUF"
#else
#define UDRV_STUB_NS_DMA_BUF	DMA_BUF
#endif

static inline struct udrv_stub_dev *to_udrv_stub_dev(struct uio_info *info)
{
	return container_of(info, struct udrv_stub_dev, info);
}

/**
 * enum udrv_stub_drain - how udrv_stub_dma_quiesce() waits for a device
 *                        that cannot be reset
 * @UDRV_STUB_DRAIN_ASYNC: in a delayed work (last close)
 * @UDRV_STUB_DRAIN_SYNC: sleep, interruptibly (QUIESCE ioctl)
 * @UDRV_STUB_DRAIN_REMOVE: sleep; the device lock is held (remove)
 */
enum udrv_stub_drain {
	UDRV_STUB_DRAIN_ASYNC,
	UDRV_STUB_DRAIN_SYNC,
	UDRV_STUB_DRAIN_REMOVE,
};

/* udrv_stub_main.c */
void udrv_stub_get(struct udrv_stub_dev *sdev);
void udrv_stub_put(struct udrv_stub_dev *sdev);
void udrv_stub_master_on(struct udrv_stub_dev *sdev);
int udrv_stub_set_master(struct udrv_stub_dev *sdev, bool on, u32 *freed);
int udrv_stub_dma_quiesce(struct udrv_stub_dev *sdev,
			  enum udrv_stub_drain mode, u32 *how);

/* udrv_stub_mmap.c */
int udrv_stub_bars_init(struct udrv_stub_dev *sdev);
void udrv_stub_bars_fini(struct udrv_stub_dev *sdev);
int udrv_stub_mmap(struct uio_info *info, struct vm_area_struct *vma);
int udrv_stub_ctl_mmap(struct udrv_stub_dev *sdev, struct file *file,
		       struct vm_area_struct *vma);
void udrv_stub_mmap_revoke(struct udrv_stub_dev *sdev);

/* udrv_stub_irq.c */
int udrv_stub_irq_init(struct udrv_stub_dev *sdev);
int udrv_stub_irq_start(struct udrv_stub_dev *sdev);
void udrv_stub_irq_fini(struct udrv_stub_dev *sdev);
void udrv_stub_irq_rearm(struct udrv_stub_dev *sdev);
const char *udrv_stub_irq_kind_name(unsigned int kind);
int udrv_stub_irq_info(struct udrv_stub_dev *sdev,
		       struct udrv_stub_irq_info *info);
int udrv_stub_set_irqs(struct udrv_stub_dev *sdev, struct file *owner,
		       unsigned int type, unsigned int count,
		       const s32 *fds);
int udrv_stub_set_intx_ack(struct udrv_stub_dev *sdev, struct file *owner,
			   const struct udrv_stub_intx_ack *arg);
void udrv_stub_irq_release(struct udrv_stub_dev *sdev, struct file *owner);

/* udrv_stub_ctl.c */
int udrv_stub_ctl_init(struct udrv_stub_dev *sdev);
void udrv_stub_ctl_fini(struct udrv_stub_dev *sdev);

/* udrv_stub_dmabuf.c */
struct dma_buf;
struct udrv_stub_segment;

/**
 * enum udrv_stub_buf_kind - the two kinds of DMA buffer
 * @UDRV_STUB_BUF_COHERENT: dma_alloc_coherent(), one bus-contiguous range
 * @UDRV_STUB_BUF_STREAMING: dma_alloc_noncontiguous(): not coherent, synced
 *                           with DMA_BUF_IOCTL_SYNC
 */
enum udrv_stub_buf_kind {
	UDRV_STUB_BUF_COHERENT,
	UDRV_STUB_BUF_STREAMING,
};

struct dma_buf *udrv_stub_buf_create(struct udrv_stub_dev *sdev,
				     enum udrv_stub_buf_kind kind, size_t size,
				     u64 *dma_addr, u32 *nr_segments);
int udrv_stub_buf_segments(struct udrv_stub_dev *sdev, struct dma_buf *dmabuf,
			   bool importer, struct udrv_stub_segment *seg,
			   u32 *nr);
bool udrv_stub_dma_quiet(struct udrv_stub_dev *sdev);
unsigned int udrv_stub_free_quarantine(struct udrv_stub_dev *sdev);
void udrv_stub_bufs_revoke(struct udrv_stub_dev *sdev);
u64 udrv_stub_max_buffer_size(void);

#endif /* UDRV_STUB_H */
