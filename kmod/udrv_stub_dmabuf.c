// SPDX-License-Identifier: GPL-2.0
/*
 * udrv_stub - DMA buffers for user-space drivers, handed out as dma-bufs.
 *
 * A user-space driver needs memory its device can reach by DMA, the bus
 * address to program into the device, and a CPU mapping of the same
 * memory.  The control device (udrv_stub_ctl.c) allocates it in one of the
 * two ways the DMA API offers and wraps it in a dma-buf, so that user space
 * gets a file descriptor: mmap() gives the CPU mapping, DMA_BUF_IOCTL_SYNC
 * the cache maintenance, and the same fd can be given to another driver
 * that imports dma-bufs.
 *
 * COHERENT buffers: dma_alloc_coherent() + dma_mmap_coherent()
 *   One allocation that is contiguous for the device (physically without an
 *   IOMMU, in IOVA space with one) and that CPU and device see without any
 *   cache maintenance.  The DMA API owns this memory (it may be remapped
 *   uncached, come from CMA or a per-device pool, or be scattered pages
 *   joined by vmap() behind an IOMMU), so user space gets it through
 *   dma_mmap_coherent(), which knows how the allocation was made.  Without
 *   an IOMMU that is the chapter's remap_pfn_range() of a physically
 *   contiguous block, with the page protection the allocation needs.
 *
 * STREAMING buffers: dma_alloc_noncontiguous() + dma_mmap_noncontiguous()
 *   Memory the device reaches (the DMA core picks the pages: any page
 *   behind an IOMMU, which maps them at one IOVA range; a physically
 *   contiguous block below the DMA mask without one), mapped for the
 *   device but not kept coherent: user space brackets its accesses with
 *   DMA_BUF_IOCTL_SYNC, which ends up in begin_cpu_access/end_cpu_access
 *   below and so in dma_sync_sgtable_for_cpu()/_for_device().  Nothing
 *   here takes the pages apart or decides which are reachable: that is
 *   the DMA core's business.
 *
 * Lifetime: buffers live until the device is quiet, not until their fd.
 *   Memory freed while the device may still write to it is the DMA hazard
 *   of every driver, and a user-space driver that dies with a transfer in
 *   flight cannot be trusted to have stopped its device: at exit the
 *   kernel releases the dma-buf (last-opened file first) before the
 *   /dev/uioN whose last close turns bus mastering off, another process
 *   may hold /dev/uioN open, and a device may keep a transfer pending
 *   while bus mastering is off and perform it once the next user turns
 *   it back on.  So a buffer whose dma-buf is released while the device is
 *   not known to be quiet is quarantined: its user mappings are gone, but
 *   its memory and its bus address (IOVA) stay allocated, so whatever the
 *   device still writes lands in memory nobody else uses.  The device is
 *   quiet (sdev->dma_quiet) once bus mastering has been off since either
 *   a successful function reset or a drain period (quiesce_ms) with no
 *   buffer-less gap; udrv_stub_dma_quiesce() gets it there on the last
 *   close of /dev/uioN (and of the control device), on the QUIESCE ioctl
 *   and on remove, and then frees the quarantine.  Turning bus mastering
 *   back on (the next open of /dev/uioN) makes the device unquiet again;
 *   a drain still running then leaves the quarantine alone.
 *
 * Unbinding.  remove() takes every buffer away from the device and from
 *   user space before it returns: bus mastering off, a reset or a drain,
 *   every user mapping zapped (a later access raises SIGBUS, a new mmap()
 *   fails with ENODEV), the memory freed through the DMA API while the
 *   driver is still bound.  So no DMA API call ever runs after unbind; a
 *   dma-buf fd that outlives it is an empty shell whose release only frees
 *   the bookkeeping.  The one exception: a streaming buffer another
 *   driver has imported and mapped is left allocated (with a message),
 *   because that driver's device may still use it.
 *
 *   User mappings are filled at mmap() time (dma_mmap_*() offer nothing
 *   else), and the kernel links a new VMA into the file's i_mmap tree,
 *   where the zap looks, only after ->mmap returned.  ->mmap therefore
 *   remembers every mm it mapped a buffer into; remove() marks the buffer
 *   dead (no further ->mmap succeeds) and then takes each such mm's
 *   mmap_lock for reading once, which waits for any mmap() still between
 *   our handler and the linking (it holds the lock for writing), before
 *   zapping.
 *
 * Importing.  Other drivers attach to a STREAMING buffer's dma-buf and call
 *   dma_buf_map_attachment(): ->attach describes its pages in a new
 *   sg_table, cut into pieces no longer than the importer's
 *   dma_get_max_seg_size() and dma_max_mapping_size() (the largest piece
 *   swiotlb can bounce), and ->map_dma_buf maps that for the importer's
 *   device with dma_map_sgtable().  COHERENT buffers cannot be described
 *   as pages portably and are not importable (EOPNOTSUPP).
 */

#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <linux/udrv_stub.h>

#include "udrv_stub.h"

/* dma_buf_export() and friends are exported in the DMA_BUF namespace. */
MODULE_IMPORT_NS(UDRV_STUB_NS_DMA_BUF);

#define UDRV_STUB_MAX_BUFFER_MB_LIMIT	65536

static unsigned int max_buffer_mb = 64;

static int max_buffer_mb_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, UDRV_STUB_MAX_BUFFER_MB_LIMIT);
}

static const struct kernel_param_ops max_buffer_mb_ops = {
	.set = max_buffer_mb_set,
	.get = param_get_uint,
};

module_param_cb(max_buffer_mb, &max_buffer_mb_ops, &max_buffer_mb, 0644);
MODULE_PARM_DESC(max_buffer_mb,
		 "Largest DMA buffer one ioctl may allocate, in MiB, 1-65536 (default 64)");

static unsigned int max_pinned_mb = 256;

module_param_cb(max_pinned_mb, &max_buffer_mb_ops, &max_pinned_mb, 0644);
MODULE_PARM_DESC(max_pinned_mb,
		 "DMA memory one device may hold, live and quarantined buffers together, in MiB, 1-65536 (default 256)");

/**
 * udrv_stub_max_buffer_size() - the max_buffer_mb limit in bytes
 *
 * Return: the largest size ALLOC_COHERENT and ALLOC_STREAMING accept.
 */
u64 udrv_stub_max_buffer_size(void)
{
	return (u64)READ_ONCE(max_buffer_mb) << 20;
}

/**
 * struct udrv_stub_attachment - one importer's view of a buffer
 * @node: entry in udrv_stub_buf.attachments
 * @dev: the importing device
 * @sgt: the buffer's pages, mapped for @dev while @mapped
 * @dir: direction of the importer's mapping
 * @mapped: @sgt is mapped (between map_dma_buf and unmap_dma_buf)
 */
struct udrv_stub_attachment {
	struct list_head node;
	struct device *dev;
	struct sg_table sgt;
	enum dma_data_direction dir;
	bool mapped;
};

/**
 * struct udrv_stub_mm - an address space a buffer was mapped into
 * @node: entry in udrv_stub_buf.mms
 * @mm: the mm (mmgrab()bed: the struct stays, not the address space)
 */
struct udrv_stub_mm {
	struct list_head node;
	struct mm_struct *mm;
};

/**
 * struct udrv_stub_buf - one DMA buffer, the private data of its dma-buf
 * @sdev: the device it was allocated for (reference held)
 * @dev: &sdev->pdev->dev
 * @node: entry in sdev->buffers (live) or sdev->quarantine, or empty once
 *        remove() took the buffer away; under sdev->dma_lock
 * @dmabuf: the dma-buf; NULL once released (quarantined buffers)
 * @kind: coherent or streaming
 * @size: size in bytes, a multiple of PAGE_SIZE
 * @cpu_addr: coherent: kernel address from dma_alloc_coherent()
 * @dma_addr: coherent: bus address from dma_alloc_coherent()
 * @sgt: streaming: from dma_alloc_noncontiguous(), mapped for @dev
 * @has_memory: the memory is allocated (cleared when it is freed, under
 *              sdev->dma_lock; no DMA API call on the buffer after that)
 * @lock: guards @dead, @mms and @attachments
 * @dead: remove() took the buffer: no new mmap, sync or attachment
 * @mms: address spaces ->mmap mapped the buffer into
 * @attachments: importers (struct udrv_stub_attachment)
 */
struct udrv_stub_buf {
	struct udrv_stub_dev *sdev;
	struct device *dev;
	struct list_head node;
	struct dma_buf *dmabuf;
	enum udrv_stub_buf_kind kind;
	size_t size;

	void *cpu_addr;
	dma_addr_t dma_addr;
	struct sg_table *sgt;
	bool has_memory;

	struct mutex lock;	/* see the kernel-doc above */
	bool dead;
	struct list_head mms;
	struct list_head attachments;
};

static const struct dma_buf_ops udrv_stub_dmabuf_ops;

/* ---- memory ----------------------------------------------------------- */

/*
 * __GFP_NOWARN: a failure is the caller's ENOMEM, not a kernel warning;
 * __GFP_RETRY_MAYFAIL: fail rather than call the OOM killer for a
 * user-sized request; __GFP_ACCOUNT: the memory is charged to the
 * caller's memory cgroup.
 */
#define UDRV_STUB_GFP	(GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | \
			 __GFP_ACCOUNT)

static int udrv_stub_buf_alloc_memory(struct udrv_stub_buf *buf)
{
	if (buf->kind == UDRV_STUB_BUF_COHERENT) {
		/* Comes back zeroed. */
		buf->cpu_addr = dma_alloc_coherent(buf->dev, buf->size,
						   &buf->dma_addr, UDRV_STUB_GFP);
		if (!buf->cpu_addr)
			return -ENOMEM;
	} else {
		buf->sgt = dma_alloc_noncontiguous(buf->dev, buf->size,
						   DMA_BIDIRECTIONAL,
						   UDRV_STUB_GFP | __GFP_ZERO, 0);
		if (!buf->sgt)
			return -ENOMEM;
		/* The zeroes reach the device before it sees the buffer. */
		dma_sync_sgtable_for_device(buf->dev, buf->sgt,
					    DMA_BIDIRECTIONAL);
	}
	buf->has_memory = true;
	return 0;
}

/* Caller holds sdev->dma_lock; the device is quiet or being removed. */
static void udrv_stub_buf_free_memory(struct udrv_stub_buf *buf)
{
	lockdep_assert_held(&buf->sdev->dma_lock);

	if (!buf->has_memory)
		return;
	if (buf->kind == UDRV_STUB_BUF_COHERENT)
		dma_free_coherent(buf->dev, buf->size, buf->cpu_addr,
				  buf->dma_addr);
	else
		dma_free_noncontiguous(buf->dev, buf->size, buf->sgt,
				       DMA_BIDIRECTIONAL);
	buf->has_memory = false;
	buf->sdev->pinned -= buf->size;
}

/* The bookkeeping only; the memory is gone already. */
static void udrv_stub_buf_destroy(struct udrv_stub_buf *buf)
{
	struct udrv_stub_dev *sdev = buf->sdev;
	struct udrv_stub_mm *m, *tmp;

	list_for_each_entry_safe(m, tmp, &buf->mms, node) {
		mmdrop(m->mm);
		kfree(m);
	}
	mutex_destroy(&buf->lock);
	kfree(buf);
	udrv_stub_put(sdev);	/* may free sdev and drop the pci_dev */
}

/* ---- mmap ------------------------------------------------------------- */

/*
 * dma_mmap_*() fill the page tables at mmap() time, so a fault only
 * happens after remove() zapped them: the memory is gone, SIGBUS.
 * Having a .fault also keeps the core mm from treating the VMA as
 * anonymous memory.
 */
static vm_fault_t udrv_stub_revoked_fault(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
}

static const struct vm_operations_struct udrv_stub_buf_vm_ops = {
	.fault = udrv_stub_revoked_fault,
};

/* Remember current->mm for remove() (see "Unbinding" at the top). */
static int udrv_stub_track_mm(struct udrv_stub_buf *buf)
{
	struct udrv_stub_mm *m;

	list_for_each_entry(m, &buf->mms, node)
		if (m->mm == current->mm)
			return 0;
	m = kmalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	mmgrab(current->mm);
	m->mm = current->mm;
	list_add(&m->node, &buf->mms);
	return 0;
}

/*
 * The dma-buf core has checked that [vm_pgoff, vm_pgoff + length) lies
 * inside the buffer and holds a reference on the dma-buf file for as long
 * as the VMA exists (vma->vm_file).
 */
static int udrv_stub_dmabuf_mmap(struct dma_buf *dmabuf,
				 struct vm_area_struct *vma)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	int ret;

	/* A private copy-on-write copy of a DMA buffer makes no sense. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	/*
	 * The size is fixed: no mremap() growth past what was checked.  Not
	 * inherited by fork() (DMA memory stays with its owner, as libudrv's
	 * MADV_DONTFORK asks): a coherent buffer without an IOMMU is mapped by
	 * remap_pfn_range() (VM_PAT on x86), and once remove() has zapped it,
	 * fork()'s copy of the empty VMA would trip x86 PAT's WARN in
	 * get_pat_info() (found by the syscall fuzzer on the debug kernel).
	 */
	udrv_stub_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY);
	vma->vm_ops = &udrv_stub_buf_vm_ops;

	mutex_lock(&buf->lock);
	if (buf->dead) {
		ret = -ENODEV;	/* device unbound: the memory is gone */
		goto out;
	}
	ret = udrv_stub_track_mm(buf);
	if (ret)
		goto out;
	if (buf->kind == UDRV_STUB_BUF_COHERENT)
		ret = dma_mmap_coherent(buf->dev, vma, buf->cpu_addr,
					buf->dma_addr, buf->size);
	else
		ret = dma_mmap_noncontiguous(buf->dev, vma, buf->size,
					     buf->sgt);
out:
	mutex_unlock(&buf->lock);
	return ret;
}

/* ---- CPU access (DMA_BUF_IOCTL_SYNC) ---------------------------------- */

/*
 * Our own mapping is DMA_BIDIRECTIONAL, and the DMA API wants syncs in the
 * direction of the mapping, so @dir only says what user space is about to
 * do.  Coherent memory needs no sync of its own; importers' mappings are
 * synced in their own direction (that is where swiotlb copies).  After
 * remove() there is nothing left to sync: ENODEV.
 */
static int udrv_stub_cpu_access(struct dma_buf *dmabuf, bool for_cpu)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	struct udrv_stub_attachment *a;
	int ret = 0;

	mutex_lock(&buf->lock);
	if (buf->dead) {
		ret = -ENODEV;
		goto out;
	}
	if (buf->kind == UDRV_STUB_BUF_STREAMING) {
		if (for_cpu)
			dma_sync_sgtable_for_cpu(buf->dev, buf->sgt,
						 DMA_BIDIRECTIONAL);
		else
			dma_sync_sgtable_for_device(buf->dev, buf->sgt,
						    DMA_BIDIRECTIONAL);
	}
	list_for_each_entry(a, &buf->attachments, node) {
		if (!a->mapped)
			continue;
		if (for_cpu)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, a->dir);
		else
			dma_sync_sgtable_for_device(a->dev, &a->sgt, a->dir);
	}
out:
	mutex_unlock(&buf->lock);
	return ret;
}

static int udrv_stub_begin_cpu_access(struct dma_buf *dmabuf,
				      enum dma_data_direction dir)
{
	return udrv_stub_cpu_access(dmabuf, true);
}

static int udrv_stub_end_cpu_access(struct dma_buf *dmabuf,
				    enum dma_data_direction dir)
{
	return udrv_stub_cpu_access(dmabuf, false);
}

/* ---- importers -------------------------------------------------------- */

/* The largest piece @dev can map at once: its segment and bounce limits. */
static size_t udrv_stub_piece_limit(struct device *dev)
{
	size_t max = min_t(size_t, dma_get_max_seg_size(dev),
			   dma_max_mapping_size(dev));

	return max_t(size_t, round_down(max, PAGE_SIZE), PAGE_SIZE);
}

/* Describe @src's pages in @dst, in pieces of at most @max bytes. */
static int udrv_stub_split_table(struct sg_table *dst, struct sg_table *src,
				 size_t max)
{
	struct scatterlist *s, *d;
	unsigned int i, n = 0;
	int ret;

	for_each_sgtable_sg(src, s, i)
		n += DIV_ROUND_UP(s->length, max);
	ret = sg_alloc_table(dst, n, GFP_KERNEL);
	if (ret)
		return ret;

	d = dst->sgl;
	for_each_sgtable_sg(src, s, i) {
		unsigned int off;

		for (off = 0; off < s->length; off += max) {
			unsigned int len = min_t(size_t, max, s->length - off);

			sg_set_page(d, nth_page(sg_page(s), (s->offset + off) >>
						PAGE_SHIFT),
				    len, (s->offset + off) & ~PAGE_MASK);
			d = sg_next(d);
		}
	}
	return 0;
}

static int udrv_stub_dmabuf_attach(struct dma_buf *dmabuf,
				   struct dma_buf_attachment *attach)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	struct udrv_stub_attachment *a;
	int ret;

	if (buf->kind == UDRV_STUB_BUF_COHERENT)
		return -EOPNOTSUPP;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	a->dev = attach->dev;

	mutex_lock(&buf->lock);
	if (buf->dead) {
		ret = -ENODEV;
	} else {
		ret = udrv_stub_split_table(&a->sgt, buf->sgt,
					    udrv_stub_piece_limit(a->dev));
		if (!ret)
			list_add(&a->node, &buf->attachments);
	}
	mutex_unlock(&buf->lock);
	if (ret) {
		kfree(a);
		return ret;
	}
	attach->priv = a;
	return 0;
}

static void udrv_stub_dmabuf_detach(struct dma_buf *dmabuf,
				    struct dma_buf_attachment *attach)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	struct udrv_stub_attachment *a = attach->priv;

	mutex_lock(&buf->lock);
	list_del(&a->node);
	mutex_unlock(&buf->lock);
	sg_free_table(&a->sgt);
	kfree(a);
}

static struct sg_table *udrv_stub_map_dma_buf(struct dma_buf_attachment *attach,
					      enum dma_data_direction dir)
{
	struct udrv_stub_buf *buf = attach->dmabuf->priv;
	struct udrv_stub_attachment *a = attach->priv;
	int ret;

	mutex_lock(&buf->lock);
	if (a->mapped) {
		ret = -EBUSY;
	} else if (dma_max_mapping_size(a->dev) != SIZE_MAX &&
		   dma_addressing_limited(a->dev)) {
		/*
		 * Mappings may bounce (swiotlb), and the device cannot reach
		 * all of RAM, so maybe not the bounce pool either: the DMA
		 * core would WARN about such a mapping.  Refuse it instead.
		 */
		dev_info_ratelimited(a->dev,
				     "udrv_stub: mapping would bounce through swiotlb, which this device's DMA mask may not reach\n");
		ret = -ENOBUFS;
	} else {
		/*
		 * No warning for a full bounce pool: the importer gets an
		 * error.  Where mappings may bounce (swiotlb), a failure is
		 * a full bounce pool: ENOBUFS, as the UAPI header says.
		 */
		ret = dma_map_sgtable(a->dev, &a->sgt, dir, DMA_ATTR_NO_WARN);
		if (ret && dma_max_mapping_size(a->dev) != SIZE_MAX) {
			dev_info_ratelimited(a->dev,
					     "udrv_stub: no room in the bounce buffer pool (swiotlb) for %zu bytes\n",
					     buf->size);
			ret = -ENOBUFS;
		}
	}
	if (!ret) {
		a->mapped = true;
		a->dir = dir;
	}
	mutex_unlock(&buf->lock);
	return ret ? ERR_PTR(ret) : &a->sgt;
}

static void udrv_stub_unmap_dma_buf(struct dma_buf_attachment *attach,
				    struct sg_table *sgt,
				    enum dma_data_direction dir)
{
	struct udrv_stub_buf *buf = attach->dmabuf->priv;
	struct udrv_stub_attachment *a = attach->priv;

	mutex_lock(&buf->lock);
	dma_unmap_sgtable(a->dev, &a->sgt, dir, 0);
	a->mapped = false;
	mutex_unlock(&buf->lock);
}

/* ---- lifetime --------------------------------------------------------- */

/*
 * The last fd and the last VMA are gone, and no importer is attached.
 * Free the memory if the device is quiet, else quarantine it until it is.
 */
static void udrv_stub_dmabuf_release(struct dma_buf *dmabuf)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	struct udrv_stub_dev *sdev = buf->sdev;
	bool destroy = true;

	mutex_lock(&sdev->dma_lock);
	buf->dmabuf = NULL;
	if (!list_empty(&buf->node)) {
		list_del_init(&buf->node);
		sdev->nr_buffers--;
		if (udrv_stub_dma_quiet(sdev)) {
			udrv_stub_buf_free_memory(buf);
		} else {
			list_add_tail(&buf->node, &sdev->quarantine);
			sdev->nr_quarantined++;
			destroy = false;
		}
	}
	mutex_unlock(&sdev->dma_lock);

	dev_dbg(buf->dev, "%s buffer of %zu bytes released, %s\n",
		buf->kind == UDRV_STUB_BUF_COHERENT ? "coherent" : "streaming",
		buf->size, destroy ? "freed" : "quarantined");
	if (destroy)
		udrv_stub_buf_destroy(buf);
}

static const struct dma_buf_ops udrv_stub_dmabuf_ops = {
	.attach = udrv_stub_dmabuf_attach,
	.detach = udrv_stub_dmabuf_detach,
	.map_dma_buf = udrv_stub_map_dma_buf,
	.unmap_dma_buf = udrv_stub_unmap_dma_buf,
	.release = udrv_stub_dmabuf_release,
	.begin_cpu_access = udrv_stub_begin_cpu_access,
	.end_cpu_access = udrv_stub_end_cpu_access,
	.mmap = udrv_stub_dmabuf_mmap,
};

/**
 * udrv_stub_buf_create() - allocate a DMA buffer and wrap it in a dma-buf
 * @sdev: the device (bound); caller holds sdev->dma_lock
 * @kind: coherent or streaming
 * @size: size in bytes, a non-zero multiple of PAGE_SIZE
 * @dma_addr: out: bus address of byte 0
 * @nr_segments: out: number of contiguous ranges for the device (1)
 *
 * Return: the dma-buf (one file reference, for the caller to install as
 * an fd or put), ERR_PTR(-ENOMEM) if there is no memory the device can
 * reach, ERR_PTR(-ENOSPC) if the device's max_pinned_mb would be exceeded.
 */
struct dma_buf *udrv_stub_buf_create(struct udrv_stub_dev *sdev,
				     enum udrv_stub_buf_kind kind, size_t size,
				     u64 *dma_addr, u32 *nr_segments)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);	/* .owner = THIS_MODULE */
	u64 cap = (u64)READ_ONCE(max_pinned_mb) << 20;
	struct udrv_stub_buf *buf;
	struct dma_buf *dmabuf;
	int ret;

	lockdep_assert_held(&sdev->dma_lock);

	/* More than the device can address can never succeed. */
	if (size - 1 > dma_get_mask(&sdev->pdev->dev))
		return ERR_PTR(-ENOMEM);
	if (sdev->pinned + size > cap) {
		dev_info_ratelimited(&sdev->pdev->dev,
				     "DMA buffer of %zu bytes refused: %llu bytes held (%u quarantined buffer(s)), max_pinned_mb %llu\n",
				     size, sdev->pinned, sdev->nr_quarantined,
				     cap >> 20);
		return ERR_PTR(-ENOSPC);
	}

	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->sdev = sdev;
	buf->dev = &sdev->pdev->dev;
	buf->kind = kind;
	buf->size = size;
	INIT_LIST_HEAD(&buf->node);
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->mms);
	INIT_LIST_HEAD(&buf->attachments);

	ret = udrv_stub_buf_alloc_memory(buf);
	if (ret) {
		mutex_destroy(&buf->lock);
		kfree(buf);
		return ERR_PTR(ret);
	}
	sdev->pinned += size;

	exp_info.ops = &udrv_stub_dmabuf_ops;
	exp_info.size = size;
	exp_info.flags = O_RDWR;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		udrv_stub_buf_free_memory(buf);	/* never seen by the device */
		mutex_destroy(&buf->lock);
		kfree(buf);
		return dmabuf;
	}

	udrv_stub_get(sdev);
	buf->dmabuf = dmabuf;
	list_add_tail(&buf->node, &sdev->buffers);
	sdev->nr_buffers++;

	*nr_segments = 1;
	if (kind == UDRV_STUB_BUF_COHERENT)
		*dma_addr = buf->dma_addr;
	else
		*dma_addr = sg_dma_address(buf->sgt->sgl);
	dev_dbg(buf->dev, "%s buffer of %zu bytes at %#llx\n",
		kind == UDRV_STUB_BUF_COHERENT ? "coherent" : "streaming", size,
		*dma_addr);
	return dmabuf;
}

/* Copy up to @max of @sgt's DMA segments to @seg; return their number. */
static u32 udrv_stub_table_segments(struct sg_table *sgt,
				    struct udrv_stub_segment *seg, u32 max)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (i < max) {
			seg[i].dma_addr = sg_dma_address(sg);
			seg[i].len = sg_dma_len(sg);
		}
	}
	return sgt->nents;
}

/*
 * Map @buf the way an importing driver does, on our own device, to report
 * the addresses an importer would get.  DMA_TO_DEVICE: the buffer's own
 * mapping covers the same memory for the same device, and CONFIG_DMA_API_DEBUG
 * tracks overlapping mappings only for directions the device can write.
 */
static int udrv_stub_importer_segments(struct udrv_stub_buf *buf,
				       struct udrv_stub_segment *seg, u32 *nr)
{
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	int ret = 0;

	attach = dma_buf_attach(buf->dmabuf, buf->dev);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
#ifdef UDRV_STUB_HAVE_DMA_BUF_UNLOCKED
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_TO_DEVICE);
#else
	sgt = dma_buf_map_attachment(attach, DMA_TO_DEVICE);
#endif
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out;
	}
	*nr = udrv_stub_table_segments(sgt, seg, *nr);
#ifdef UDRV_STUB_HAVE_DMA_BUF_UNLOCKED
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_TO_DEVICE);
#else
	dma_buf_unmap_attachment(attach, sgt, DMA_TO_DEVICE);
#endif
out:
	dma_buf_detach(buf->dmabuf, attach);
	return ret;
}

/**
 * udrv_stub_buf_segments() - list a buffer's bus-address ranges
 * @sdev: the device the buffer must belong to; caller holds sdev->dma_lock
 * @dmabuf: the buffer (a reference is held by the caller)
 * @importer: report a fresh importer mapping instead of the buffer's own
 * @seg: kernel array to fill (the caller copies it to user space after
 *       dropping the lock)
 * @nr: in: entries at @seg; out: number of segments
 *
 * Return: 0, -EINVAL if @dmabuf is not a buffer of @sdev, or an error from
 * mapping the buffer as an importer (-EOPNOTSUPP for coherent buffers,
 * -ENOBUFS if the bounce pool is full).
 */
int udrv_stub_buf_segments(struct udrv_stub_dev *sdev, struct dma_buf *dmabuf,
			   bool importer, struct udrv_stub_segment *seg,
			   u32 *nr)
{
	struct udrv_stub_buf *buf = dmabuf->priv;

	lockdep_assert_held(&sdev->dma_lock);

	if (dmabuf->ops != &udrv_stub_dmabuf_ops || buf->sdev != sdev)
		return -EINVAL;

	if (importer)
		return udrv_stub_importer_segments(buf, seg, nr);

	if (buf->kind == UDRV_STUB_BUF_COHERENT) {
		if (*nr >= 1) {
			seg[0].dma_addr = buf->dma_addr;
			seg[0].len = buf->size;
		}
		*nr = 1;
		return 0;
	}
	*nr = udrv_stub_table_segments(buf->sgt, seg, *nr);
	return 0;
}

/**
 * udrv_stub_dma_quiet() - may a released buffer be freed right away?
 * @sdev: device state; caller holds sdev->dma_lock
 *
 * Return: true if the device has been quiesced since bus mastering was
 * last turned on (by us), and nobody has turned it on behind our back
 * (through config space, e.g. sysfs or setpci).
 */
bool udrv_stub_dma_quiet(struct udrv_stub_dev *sdev)
{
	u16 cmd;

	lockdep_assert_held(&sdev->dma_lock);
	if (!sdev->dma_quiet)
		return false;
	if (pci_read_config_word(sdev->pdev, PCI_COMMAND, &cmd) ||
	    (cmd & PCI_COMMAND_MASTER)) {
		sdev->dma_quiet = 0;
		return false;
	}
	return true;
}

/**
 * udrv_stub_free_quarantine() - free the buffers of a quiet device
 * @sdev: device state; caller holds sdev->dma_lock, and the device has
 *        been quiet since every buffer on the quarantine was released
 *
 * Return: number of buffers freed.
 */
unsigned int udrv_stub_free_quarantine(struct udrv_stub_dev *sdev)
{
	struct udrv_stub_buf *buf, *tmp;
	unsigned int n = 0;

	lockdep_assert_held(&sdev->dma_lock);
	list_for_each_entry_safe(buf, tmp, &sdev->quarantine, node) {
		list_del_init(&buf->node);
		sdev->nr_quarantined--;
		udrv_stub_buf_free_memory(buf);
		udrv_stub_buf_destroy(buf);	/* sdev stays: caller's ref */
		n++;
	}
	return n;
}

/*
 * A reference to @file unless its last one is already gone (__fput() under
 * way).  get_file_active() (6.7) knows how struct file is counted; older
 * kernels count in f_count.
 */
static struct file *udrv_stub_get_live_file(struct file *file)
{
#ifdef UDRV_STUB_HAVE_GET_FILE_ACTIVE
	return get_file_active(&file);
#else
	return atomic_long_inc_not_zero(&file->f_count) ? file : NULL;
#endif
}

/*
 * Zap every user mapping of @buf; caller holds sdev->dma_lock.  The dma-buf
 * may be in its final fput(): the dentry's inode, whose address space the
 * zap walks, is dropped before ->release (which waits for dma_lock) takes
 * the buffer off our lists.  Zap only through a live file reference; with
 * none, no VMA is left (each holds one) and there is nothing to zap.  The
 * struct file itself stays valid: __fput() frees it after ->release.
 */
static void udrv_stub_buf_zap(struct udrv_stub_buf *buf)
{
	struct file *file;

	if (!buf->dmabuf)
		return;
	file = udrv_stub_get_live_file(buf->dmabuf->file);
	if (!file)
		return;
	unmap_mapping_range(file->f_mapping, 0, 0, 1);
	/* Even if ours became the last reference, fput() defers __fput(). */
	fput(file);
}

/**
 * udrv_stub_bufs_revoke() - take every buffer away from device and users
 * @sdev: the device being removed; dma_gone is set, bus mastering is off
 *        and the device quiesced as far as it can be
 *
 * Marks every buffer dead (no new mmap, sync or import), waits for mmap()
 * calls that are still linking a mapping of one, zaps all user mappings
 * and frees all memory through the DMA API, live and quarantined buffers
 * alike, so that nothing calls the DMA API after remove().  A streaming
 * buffer another driver has mapped is left allocated.
 *
 * Context: process context; takes sdev->dma_lock and mmap locks.
 */
void udrv_stub_bufs_revoke(struct udrv_stub_dev *sdev)
{
	struct udrv_stub_buf *buf, *tmp;
	struct udrv_stub_mm *m, *mt;
	unsigned int nr_live, nr_leaked = 0;
	LIST_HEAD(mms);

	/* 1. No new mappings; collect the address spaces to wait for. */
	mutex_lock(&sdev->dma_lock);
	list_for_each_entry(buf, &sdev->buffers, node) {
		mutex_lock(&buf->lock);
		buf->dead = true;
		list_for_each_entry(m, &buf->mms, node) {
			struct udrv_stub_mm *c = kmalloc(sizeof(*c), GFP_KERNEL);

			if (!c)
				continue;	/* best effort, see below */
			mmgrab(m->mm);
			c->mm = m->mm;
			list_add(&c->node, &mms);
		}
		mutex_unlock(&buf->lock);
	}
	mutex_unlock(&sdev->dma_lock);

	/*
	 * 2. An mmap() that got past ->mmap before "dead" holds its mm's
	 *    mmap_lock for writing until the VMA is linked where the zap
	 *    finds it: wait for that, without holding our locks.
	 */
	list_for_each_entry_safe(m, mt, &mms, node) {
		mmap_read_lock(m->mm);
		mmap_read_unlock(m->mm);
		mmdrop(m->mm);
		kfree(m);
	}

	/* 3. Zap and free; released buffers find has_memory clear. */
	mutex_lock(&sdev->dma_lock);
	nr_live = sdev->nr_buffers;
	list_for_each_entry_safe(buf, tmp, &sdev->buffers, node) {
		bool imported;

		udrv_stub_buf_zap(buf);
		mutex_lock(&buf->lock);
		imported = !list_empty(&buf->attachments);
		mutex_unlock(&buf->lock);
		if (imported) {
			nr_leaked++;
			sdev->pinned -= buf->size;
			buf->has_memory = false;
		} else {
			udrv_stub_buf_free_memory(buf);
		}
		list_del_init(&buf->node);
		sdev->nr_buffers--;
	}
	udrv_stub_free_quarantine(sdev);
	mutex_unlock(&sdev->dma_lock);

	if (nr_live)
		dev_info(&sdev->pdev->dev,
			 "%u DMA buffer(s) still open: mappings revoked, memory freed\n",
			 nr_live);
	if (nr_leaked)
		dev_warn(&sdev->pdev->dev,
			 "%u DMA buffer(s) mapped by an importing driver: left allocated\n",
			 nr_leaked);
}
