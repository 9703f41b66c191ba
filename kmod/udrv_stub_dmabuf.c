// SPDX-License-Identifier: GPL-2.0
/*
 * udrv_stub - DMA buffers for user-space drivers, handed out as dma-bufs.
 *
 * A user-space driver needs memory its device can reach by DMA, the bus
 * address to program into the device, and a CPU mapping of the same
 * memory.  The control device (udrv_stub_ctl.c) allocates it in one of the
 * two ways the DMA API offers and wraps it in a dma-buf, so that user space
 * gets a file descriptor: mmap() gives the CPU mapping, close() and
 * munmap() the lifetime, DMA_BUF_IOCTL_SYNC the cache maintenance, and the
 * same fd can be given to any other driver that imports dma-bufs.
 *
 * COHERENT buffers: dma_alloc_coherent()
 *   One allocation that is contiguous for the device (physically without an
 *   IOMMU, in IOVA space with one) and that CPU and device see without any
 *   cache maintenance.  The DMA API owns this memory: it may be remapped
 *   uncached on architectures without coherent DMA, it may come from a
 *   per-device pool or CMA, and behind an IOMMU it is a set of scattered
 *   pages stitched together with vmap().  So the driver must not pick the
 *   pages apart itself: user space gets the memory through
 *   dma_mmap_coherent(), which knows how the allocation was made and sets
 *   up the whole mapping at mmap() time (remap_pfn_range() of the chapter's
 *   "remap" path for contiguous memory, vm_map_pages() for the IOMMU's
 *   page array) with the page protection the allocation needs.
 *
 * STREAMING buffers: alloc_page() + dma_map_sgtable()
 *   Ordinary pages of RAM, allocated one by one, listed in an sg_table and
 *   mapped for the device with dma_map_sgtable(DMA_BIDIRECTIONAL).  Behind
 *   an IOMMU the mapping is one IOVA range (the IOMMU merges the pages into
 *   one segment); without one it is as many segments as there are runs of
 *   physically adjacent pages.  The CPU caches are not kept coherent for
 *   us, so user space brackets its accesses with DMA_BUF_IOCTL_SYNC, which
 *   ends up in begin_cpu_access/end_cpu_access below and so in
 *   dma_sync_sgtable_for_cpu()/_for_device().
 *   These are normal, refcounted struct pages that belong to us, so they
 *   are mapped the chapter's "nopage" way: the mmap() handler installs
 *   nothing, and the .fault handler returns the page for the faulting
 *   address in vmf->page with a reference taken (get_page()).  The core mm
 *   then inserts the PTE, accounts the page in the rmap and drops the
 *   reference on munmap(); get_user_pages() works on the mapping, so the
 *   buffer can even be the target of O_DIRECT I/O.  vm_insert_page() is
 *   the tool for inserting such pages from mmap() itself and
 *   vmf_insert_pfn() (used for the BARs, udrv_stub_mmap.c) for memory
 *   without struct pages; neither is right for a fault handler on RAM.
 *
 * Lifetime.  The dma-buf's file holds our buffer: each fd and each VMA
 * (vma->vm_file) is a reference, and ->release runs when the last is
 * gone, in whatever order, also when the process dies (exit closes its
 * fds and unmaps its VMAs like any close() and munmap()).  Each buffer
 * holds a reference on the per-device state and through it on the pci_dev
 * (udrv_stub_get()), and the dma-buf holds the module (exp_info.owner), so
 * neither the device structures nor the driver can go away under a
 * buffer.  What refcounting cannot do is stop the device: memory freed
 * while the device still targets it is the hazard of any DMA API user.
 * Bus mastering is on only while /dev/uioN is open, so once a dead
 * process's files are all closed its device cannot write anywhere, but
 * exit may release a buffer an instant before it closes /dev/uioN.  Like
 * uio_pci_generic, udrv_stub is not an isolation boundary; VFIO with an
 * IOMMU is.
 *
 * Unbinding with buffers alive.  remove() turns bus mastering off first, so
 * the device can no longer reach the memory, then (udrv_stub_bufs_revoke())
 * unmaps the streaming buffers from the device while the driver is still
 * bound: their pages stay allocated and mapped in user space, only the
 * device's view is gone.  Coherent memory cannot be separated from its
 * DMA mapping, so dma_free_coherent() runs in ->release, possibly long
 * after remove().  That is safe because of what dma_free_coherent() needs
 * from the struct device and what unbinding leaves of it:
 *   - the struct device itself: we hold a reference on the pci_dev;
 *   - its DMA ops and, behind an IOMMU, the IOMMU group's default domain
 *     that holds the IOVA: an unbind only drops the group's "owner" count
 *     (pci_dma_cleanup()); the device stays attached to its default domain
 *     and keeps its dma_ops, and x86's arch_teardown_dma_ops() does nothing;
 *   - dev->dma_range_map (freed by the unbind): NULL on x86 PCI anyway.
 * So on x86, the target, freeing after unbind is correct, and the stale
 * IOVA mapping until then is harmless: bus mastering is off, the IOVA is
 * not handed out again, and the memory is still ours.
 * Deleting the pci_dev (hot-unplug, or .../remove in sysfs) is different:
 * behind an IOMMU the IOMMU driver then drops the device's DMA ops and
 * group, and dma_free_coherent() would take the IOVA for a physical
 * address and free someone else's pages.  udrv_stub_main.c notices the
 * deletion (BUS_NOTIFY_DEL_DEVICE, before the IOMMU lets go) and every
 * use of a coherent buffer's DMA API state (mmap, the importer's table,
 * the free) checks for it under the same lock: such a buffer is then
 * leaked, with a message, rather than freed wrongly; its existing user
 * mappings stay valid.  Without an IOMMU nothing is torn down and the
 * buffer is freed as usual.  One case is left, documented rather than
 * handled: an architecture whose arch_teardown_dma_ops() clears
 * dev->dma_ops on unbind (arm64 with an IOMMU).
 *
 * Importing.  Other drivers attach to the dma-buf and call
 * dma_buf_map_attachment(): ->attach builds an sg_table that describes the
 * memory for the importer (streaming: from our page array; coherent: with
 * dma_get_sgtable(), the DMA API's description of its own allocation), and
 * ->map_dma_buf maps that table for the importer's device with
 * dma_map_sgtable() (a second, independent mapping: behind an IOMMU the
 * importer gets its own IOVA).  The caveat of dma_get_sgtable(): the
 * importer's cacheable view of coherent memory is only right on
 * cache-coherent systems like x86; on others coherent memory should not be
 * shared this way.
 */

#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "udrv_stub.h"
#include "uapi/udrv_stub.h"

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
 * @sgt: the buffer's memory, mapped for @dev while @mapped
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
 * struct udrv_stub_buf - one DMA buffer, the private data of its dma-buf
 * @sdev: the device it was allocated for (reference held)
 * @dev: &sdev->pdev->dev
 * @node: entry in sdev->buffers, under sdev->dma_lock
 * @kind: coherent or streaming
 * @size: size in bytes, a multiple of PAGE_SIZE
 * @translated: an IOMMU translates @dev's DMA (dma_get_merge_boundary())
 * @cpu_addr: coherent: kernel address from dma_alloc_coherent()
 * @dma_addr: coherent: bus address from dma_alloc_coherent()
 * @pages: streaming: the pages, in buffer order
 * @nr_pages: streaming: entries in @pages
 * @sgt: streaming: the pages, mapped for @dev while @mapped
 * @lock: guards @mapped and @attachments
 * @mapped: streaming: @sgt is mapped for @dev (until release, or until
 *          remove() took the device away)
 * @attachments: importers (struct udrv_stub_attachment)
 */
struct udrv_stub_buf {
	struct udrv_stub_dev *sdev;
	struct device *dev;
	struct list_head node;
	enum udrv_stub_buf_kind kind;
	size_t size;
	bool translated;

	void *cpu_addr;
	dma_addr_t dma_addr;

	struct page **pages;
	unsigned long nr_pages;
	struct sg_table sgt;

	struct mutex lock;	/* see the kernel-doc above */
	bool mapped;
	struct list_head attachments;
};

static const struct dma_buf_ops udrv_stub_dmabuf_ops;

/* ---- memory ----------------------------------------------------------- */

static int udrv_stub_coherent_alloc(struct udrv_stub_buf *buf)
{
	/*
	 * __GFP_NOWARN: a failure is the caller's ENOMEM, not a kernel
	 * warning; __GFP_RETRY_MAYFAIL: fail rather than call the OOM
	 * killer for a user-sized request.  The memory comes back zeroed.
	 */
	buf->cpu_addr = dma_alloc_coherent(buf->dev, buf->size, &buf->dma_addr,
					   GFP_KERNEL | __GFP_NOWARN |
					   __GFP_RETRY_MAYFAIL);
	return buf->cpu_addr ? 0 : -ENOMEM;
}

/*
 * Without an IOMMU (dma-direct) the device sees physical addresses, so a
 * streaming page must lie below the DMA mask, or dma_map_sgtable() would
 * bounce it through swiotlb or, with no swiotlb, warn and fail.  This is
 * dma-direct's own test (dma_capable() of <linux/dma-direct.h>).
 */
static bool udrv_stub_page_reachable(struct device *dev, struct page *page)
{
	return dma_capable(dev, phys_to_dma(dev, page_to_phys(page)), PAGE_SIZE,
			   true);
}

/* The next zone down, as dma-direct falls back; false at the bottom. */
static bool udrv_stub_lower_zone(gfp_t *zone)
{
	if (IS_ENABLED(CONFIG_ZONE_DMA32) && !(*zone & (GFP_DMA32 | GFP_DMA))) {
		*zone = GFP_DMA32;
		return true;
	}
	if (IS_ENABLED(CONFIG_ZONE_DMA) && !(*zone & GFP_DMA)) {
		*zone = GFP_DMA;
		return true;
	}
	return false;
}

static void udrv_stub_put_pages(struct udrv_stub_buf *buf)
{
	unsigned long i;

	for (i = 0; i < buf->nr_pages && buf->pages[i]; i++)
		put_page(buf->pages[i]);
	kvfree(buf->pages);
	buf->pages = NULL;
}

static int udrv_stub_streaming_alloc(struct udrv_stub_buf *buf)
{
	struct device *dev = buf->dev;
	/* Behind an IOMMU the IOVAs are below the mask: any page will do. */
	bool translated = buf->translated;
	u64 limit = min_not_zero(dma_get_mask(dev), dev->bus_dma_limit);
	gfp_t gfp = GFP_USER | __GFP_ZERO | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;
	gfp_t zone = 0;
	unsigned long i = 0;
	int ret;

	buf->nr_pages = buf->size >> PAGE_SHIFT;
	buf->pages = kvcalloc(buf->nr_pages, sizeof(*buf->pages), GFP_KERNEL);
	if (!buf->pages)
		return -ENOMEM;

	/* Start in the zone the mask falls into (dma-direct does the same). */
	if (!translated && limit <= DMA_BIT_MASK(32))
		udrv_stub_lower_zone(&zone);

	while (i < buf->nr_pages) {
		struct page *page;

		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto err_pages;
		}
		page = alloc_page(gfp | zone);
		if (!page) {
			ret = -ENOMEM;
			goto err_pages;
		}
		if (translated || udrv_stub_page_reachable(dev, page)) {
			buf->pages[i++] = page;
			continue;
		}
		/* Out of the device's reach: retry, and stay, one zone down. */
		__free_page(page);
		if (!udrv_stub_lower_zone(&zone)) {
			ret = -ENOMEM;
			goto err_pages;
		}
	}

	/* Adjacent pages share an entry, up to the device's segment size. */
	ret = sg_alloc_table_from_pages_segment(&buf->sgt, buf->pages,
						buf->nr_pages, 0, buf->size,
						dma_get_max_seg_size(dev),
						GFP_KERNEL);
	if (ret)
		goto err_pages;

	/* Also writes the zeroes back from the CPU caches where needed. */
	ret = dma_map_sgtable(dev, &buf->sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		goto err_sgt;
	buf->mapped = true;
	return 0;

err_sgt:
	sg_free_table(&buf->sgt);
err_pages:
	udrv_stub_put_pages(buf);
	return ret;
}

/*
 * Coherent memory is mapped, described and freed by the DMA API state it
 * was allocated with.  Returns with the presence lock held (release with
 * udrv_stub_unlock_present()): true if that state is still there, false
 * if the pci_dev was deleted behind an IOMMU (see "Unbinding" at the top).
 */
static bool udrv_stub_coherent_lock(struct udrv_stub_buf *buf)
{
	return udrv_stub_lock_present(buf->sdev) || !buf->translated;
}

static void udrv_stub_buf_free(struct udrv_stub_buf *buf)
{
	if (buf->kind == UDRV_STUB_BUF_COHERENT) {
		/* After an unbind too: see "Unbinding" at the top. */
		if (udrv_stub_coherent_lock(buf))
			dma_free_coherent(buf->dev, buf->size, buf->cpu_addr,
					  buf->dma_addr);
		else
			dev_warn(buf->dev,
				 "device deleted behind an IOMMU: leaking %zu bytes of coherent DMA memory\n",
				 buf->size);
		udrv_stub_unlock_present();
	} else {
		if (buf->mapped)
			dma_unmap_sgtable(buf->dev, &buf->sgt,
					  DMA_BIDIRECTIONAL, 0);
		sg_free_table(&buf->sgt);
		udrv_stub_put_pages(buf);
	}
	mutex_destroy(&buf->lock);
	kfree(buf);
}

/* ---- mmap ------------------------------------------------------------- */

/*
 * The "nopage" path: hand the core mm the page, with a reference for the
 * PTE it is about to install.  vmf->pgoff counts pages from the start of
 * the buffer (vm_pgoff is the mmap() offset), whatever part was mapped.
 */
static vm_fault_t udrv_stub_streaming_fault(struct vm_fault *vmf)
{
	struct udrv_stub_buf *buf = vmf->vma->vm_private_data;

	if (vmf->pgoff >= buf->nr_pages)
		return VM_FAULT_SIGBUS;	/* cannot happen: checked at mmap */
	vmf->page = buf->pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct udrv_stub_streaming_vm_ops = {
	.fault = udrv_stub_streaming_fault,
};

/*
 * The dma-buf core has checked that [vm_pgoff, vm_pgoff + length) lies
 * inside the buffer and holds a reference on the dma-buf file for as long
 * as the VMA exists (vma->vm_file), so no further refcounting is needed.
 */
static int udrv_stub_dmabuf_mmap(struct dma_buf *dmabuf,
				 struct vm_area_struct *vma)
{
	struct udrv_stub_buf *buf = dmabuf->priv;

	/* A private copy-on-write copy of a DMA buffer makes no sense. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;

	/* The size is fixed: no mremap() growth past what was checked. */
	udrv_stub_vm_flags_set(vma, VM_DONTEXPAND);

	if (buf->kind == UDRV_STUB_BUF_COHERENT) {
		int ret = -ENODEV;

		if (udrv_stub_coherent_lock(buf))
			ret = dma_mmap_coherent(buf->dev, vma, buf->cpu_addr,
						buf->dma_addr, buf->size);
		udrv_stub_unlock_present();
		return ret;
	}

	vma->vm_ops = &udrv_stub_streaming_vm_ops;
	vma->vm_private_data = buf;
	return 0;
}

/* ---- CPU access (DMA_BUF_IOCTL_SYNC) ---------------------------------- */

/*
 * Our own mapping was made DMA_BIDIRECTIONAL, and the DMA API wants syncs
 * in the direction of the mapping, so @dir only says what user space is
 * about to do.  Coherent memory needs no sync of its own; importers'
 * mappings of either kind are synced in their own direction.
 */
static int udrv_stub_begin_cpu_access(struct dma_buf *dmabuf,
				      enum dma_data_direction dir)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	struct udrv_stub_attachment *a;

	mutex_lock(&buf->lock);
	if (buf->mapped)
		dma_sync_sgtable_for_cpu(buf->dev, &buf->sgt, DMA_BIDIRECTIONAL);
	list_for_each_entry(a, &buf->attachments, node)
		if (a->mapped)
			dma_sync_sgtable_for_cpu(a->dev, &a->sgt, a->dir);
	mutex_unlock(&buf->lock);
	return 0;
}

static int udrv_stub_end_cpu_access(struct dma_buf *dmabuf,
				    enum dma_data_direction dir)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	struct udrv_stub_attachment *a;

	mutex_lock(&buf->lock);
	if (buf->mapped)
		dma_sync_sgtable_for_device(buf->dev, &buf->sgt,
					    DMA_BIDIRECTIONAL);
	list_for_each_entry(a, &buf->attachments, node)
		if (a->mapped)
			dma_sync_sgtable_for_device(a->dev, &a->sgt, a->dir);
	mutex_unlock(&buf->lock);
	return 0;
}

/* ---- importers -------------------------------------------------------- */

static int udrv_stub_dmabuf_attach(struct dma_buf *dmabuf,
				   struct dma_buf_attachment *attach)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	struct udrv_stub_attachment *a;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		return -ENOMEM;

	if (buf->kind == UDRV_STUB_BUF_COHERENT) {
		ret = -ENODEV;
		if (udrv_stub_coherent_lock(buf))
			ret = dma_get_sgtable(buf->dev, &a->sgt, buf->cpu_addr,
					      buf->dma_addr, buf->size);
		udrv_stub_unlock_present();
	} else {
		ret = sg_alloc_table_from_pages_segment(&a->sgt, buf->pages,
							buf->nr_pages, 0,
							buf->size,
							dma_get_max_seg_size(attach->dev),
							GFP_KERNEL);
	}
	if (ret) {
		kfree(a);
		return ret;
	}

	a->dev = attach->dev;
	attach->priv = a;
	mutex_lock(&buf->lock);
	list_add(&a->node, &buf->attachments);
	mutex_unlock(&buf->lock);
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

/*
 * An importer without an IOMMU must reach every page itself: refuse the
 * mapping rather than let dma-direct warn (or bounce, which would break
 * the zero-copy promise of a shared buffer).
 */
static bool udrv_stub_importer_reaches(struct device *dev, struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	if (dma_get_merge_boundary(dev))
		return true;
	for_each_sgtable_sg(sgt, sg, i)
		if (!dma_capable(dev, phys_to_dma(dev, sg_phys(sg)), sg->length,
				 true))
			return false;
	return true;
}

static struct sg_table *udrv_stub_map_dma_buf(struct dma_buf_attachment *attach,
					      enum dma_data_direction dir)
{
	struct udrv_stub_buf *buf = attach->dmabuf->priv;
	struct udrv_stub_attachment *a = attach->priv;
	int ret;

	mutex_lock(&buf->lock);
	if (a->mapped)
		ret = -EBUSY;
	else if (!udrv_stub_importer_reaches(a->dev, &a->sgt))
		ret = -EIO;
	else
		ret = dma_map_sgtable(a->dev, &a->sgt, dir, 0);
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

/* The last fd and the last VMA are gone, and no importer is attached. */
static void udrv_stub_dmabuf_release(struct dma_buf *dmabuf)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	struct udrv_stub_dev *sdev = buf->sdev;

	mutex_lock(&sdev->dma_lock);
	list_del(&buf->node);
	sdev->nr_buffers--;
	mutex_unlock(&sdev->dma_lock);

	dev_dbg(buf->dev, "freeing %s buffer of %zu bytes\n",
		buf->kind == UDRV_STUB_BUF_COHERENT ? "coherent" : "streaming",
		buf->size);
	udrv_stub_buf_free(buf);
	udrv_stub_put(sdev);	/* may free sdev and drop the pci_dev */
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
 * @dma_addr: out: bus address of byte 0, or UDRV_STUB_DMA_ADDR_NONE if the
 *            buffer is not contiguous for the device
 * @nr_segments: out: number of contiguous ranges for the device
 *
 * Return: the dma-buf (one file reference, for the caller to install as
 * an fd or put), or ERR_PTR(-ENOMEM).
 */
struct dma_buf *udrv_stub_buf_create(struct udrv_stub_dev *sdev,
				     enum udrv_stub_buf_kind kind, size_t size,
				     u64 *dma_addr, u32 *nr_segments)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);	/* .owner = THIS_MODULE */
	struct udrv_stub_buf *buf;
	struct dma_buf *dmabuf;
	int ret;

	lockdep_assert_held(&sdev->dma_lock);

	/* More than the device can address can never succeed. */
	if (size - 1 > dma_get_mask(&sdev->pdev->dev))
		return ERR_PTR(-ENOMEM);

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	buf->sdev = sdev;
	buf->dev = &sdev->pdev->dev;
	buf->kind = kind;
	buf->size = size;
	/*
	 * A DMA API that merges segments (dma_get_merge_boundary() != 0) is
	 * an IOMMU translating the device's addresses (IOVAs); 0 means
	 * dma-direct (or an identity-mapped IOMMU domain): bus address =
	 * physical address.
	 */
	buf->translated = dma_get_merge_boundary(buf->dev) != 0;
	mutex_init(&buf->lock);
	INIT_LIST_HEAD(&buf->attachments);

	if (kind == UDRV_STUB_BUF_COHERENT)
		ret = udrv_stub_coherent_alloc(buf);
	else
		ret = udrv_stub_streaming_alloc(buf);
	if (ret) {
		mutex_destroy(&buf->lock);
		kfree(buf);
		return ERR_PTR(ret);
	}

	exp_info.ops = &udrv_stub_dmabuf_ops;
	exp_info.size = size;
	exp_info.flags = O_RDWR;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		udrv_stub_buf_free(buf);
		return dmabuf;
	}

	udrv_stub_get(sdev);
	list_add_tail(&buf->node, &sdev->buffers);
	sdev->nr_buffers++;

	if (kind == UDRV_STUB_BUF_COHERENT) {
		*dma_addr = buf->dma_addr;
		*nr_segments = 1;
	} else {
		*nr_segments = buf->sgt.nents;
		*dma_addr = buf->sgt.nents == 1 ? sg_dma_address(buf->sgt.sgl) :
			    UDRV_STUB_DMA_ADDR_NONE;
	}
	dev_dbg(buf->dev, "%s buffer of %zu bytes at %#llx, %u segment(s)\n",
		kind == UDRV_STUB_BUF_COHERENT ? "coherent" : "streaming", size,
		*dma_addr, *nr_segments);
	return dmabuf;
}

/* Copy @sgt's DMA segments to @useg (at most *@nr), set *@nr to the total. */
static int udrv_stub_copy_segments(struct sg_table *sgt,
				   struct udrv_stub_segment __user *useg,
				   u32 *nr)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		struct udrv_stub_segment seg = {
			.dma_addr = sg_dma_address(sg),
			.len = sg_dma_len(sg),
		};

		if (i < *nr && copy_to_user(&useg[i], &seg, sizeof(seg)))
			return -EFAULT;
	}
	*nr = sgt->nents;
	return 0;
}

/* Map @buf the way an importing driver does, on our own device. */
static int udrv_stub_importer_segments(struct udrv_stub_buf *buf,
				       struct dma_buf *dmabuf,
				       struct udrv_stub_segment __user *useg,
				       u32 *nr)
{
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	int ret;

	attach = dma_buf_attach(dmabuf, buf->dev);
	if (IS_ERR(attach))
		return PTR_ERR(attach);
#ifdef UDRV_STUB_HAVE_DMA_BUF_UNLOCKED
	sgt = dma_buf_map_attachment_unlocked(attach, DMA_BIDIRECTIONAL);
#else
	sgt = dma_buf_map_attachment(attach, DMA_BIDIRECTIONAL);
#endif
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto out;
	}
	ret = udrv_stub_copy_segments(sgt, useg, nr);
#ifdef UDRV_STUB_HAVE_DMA_BUF_UNLOCKED
	dma_buf_unmap_attachment_unlocked(attach, sgt, DMA_BIDIRECTIONAL);
#else
	dma_buf_unmap_attachment(attach, sgt, DMA_BIDIRECTIONAL);
#endif
out:
	dma_buf_detach(dmabuf, attach);
	return ret;
}

/**
 * udrv_stub_buf_segments() - list a buffer's bus-address ranges
 * @sdev: the device the buffer must belong to; caller holds sdev->dma_lock
 * @dmabuf: the buffer
 * @importer: report a fresh importer mapping instead of the buffer's own
 * @useg: user array to fill
 * @nr: in: entries at @useg; out: number of segments
 *
 * Return: 0, -EINVAL if @dmabuf is not a buffer of @sdev, -EFAULT, or an
 * error from mapping the buffer as an importer.
 */
int udrv_stub_buf_segments(struct udrv_stub_dev *sdev, struct dma_buf *dmabuf,
			   bool importer, struct udrv_stub_segment __user *useg,
			   u32 *nr)
{
	struct udrv_stub_buf *buf = dmabuf->priv;
	int ret;

	lockdep_assert_held(&sdev->dma_lock);

	if (dmabuf->ops != &udrv_stub_dmabuf_ops || buf->sdev != sdev)
		return -EINVAL;

	if (importer)
		return udrv_stub_importer_segments(buf, dmabuf, useg, nr);

	if (buf->kind == UDRV_STUB_BUF_COHERENT) {
		struct udrv_stub_segment seg = {
			.dma_addr = buf->dma_addr,
			.len = buf->size,
		};

		if (*nr >= 1 && copy_to_user(useg, &seg, sizeof(seg)))
			return -EFAULT;
		*nr = 1;
		return 0;
	}

	mutex_lock(&buf->lock);
	ret = buf->mapped ? udrv_stub_copy_segments(&buf->sgt, useg, nr) :
			    -ENODEV;
	mutex_unlock(&buf->lock);
	return ret;
}

/**
 * udrv_stub_bufs_revoke() - take the device's view of the buffers away
 * @sdev: the device being removed; caller holds sdev->dma_lock
 *
 * Called from remove() after bus mastering was turned off.  Streaming
 * buffers are unmapped from the device now, while the driver is still
 * bound; their pages stay allocated and mapped in user space until the
 * dma-buf's release.  Coherent buffers are left alone (see "Unbinding" at
 * the top of this file).
 */
void udrv_stub_bufs_revoke(struct udrv_stub_dev *sdev)
{
	struct udrv_stub_buf *buf;

	lockdep_assert_held(&sdev->dma_lock);

	list_for_each_entry(buf, &sdev->buffers, node) {
		mutex_lock(&buf->lock);
		if (buf->mapped) {
			dma_unmap_sgtable(buf->dev, &buf->sgt,
					  DMA_BIDIRECTIONAL, 0);
			buf->mapped = false;
		}
		mutex_unlock(&buf->lock);
	}
	if (sdev->nr_buffers)
		dev_info(&sdev->pdev->dev,
			 "%u DMA buffer(s) still in use; freed when their last user lets go\n",
			 sdev->nr_buffers);
}
