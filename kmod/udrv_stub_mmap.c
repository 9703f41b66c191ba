// SPDX-License-Identifier: GPL-2.0
/*
 * udrv_stub - BARs as UIO maps, and the mmap() path that hands them out.
 *
 * This is the chapter's remap_pfn_range() path, with one change that makes
 * the mapping revocable.
 *
 * The textbook driver calls io_remap_pfn_range() from its mmap handler and
 * fills every page table entry of the new VMA at once.  Those PTEs point
 * straight at the device; no kernel code runs on a later access.  That is
 * what makes MMIO from user space fast, and also why the mapping outlives
 * the driver: after the device is unbound (or hot-unplugged, or handed to
 * another driver) the process would still poke the BAR's physical range.
 * The kernel can only take such PTEs away if it can find them again.
 *
 * So udrv_stub's mmap handler only checks the request and prepares the VMA
 * (flags, caching, vm_ops).  The PTEs are inserted by the fault handler on
 * first touch with vmf_insert_pfn(), the one-page form of remap_pfn_range(),
 * under sdev->lock and only while the device is bound: the faulting page
 * and the rest of its 2 MiB-aligned window (UDRV_STUB_FAULT_CHUNK pages),
 * so a small BAR costs one fault and a huge one (16-64 GiB: millions of
 * pages) a bounded amount of work per fault, never a soft lockup.  The address_space of
 * every file that mapped us is remembered; remove() sets "revoked" and
 * calls unmap_mapping_range() on each, which finds every VMA (forked and
 * split copies included) through the file's i_mmap tree and zaps its PTEs.
 * The next access faults, the fault handler sees "revoked" and answers
 * VM_FAULT_SIGBUS.  Because PTEs only ever appear in a VMA that is already
 * linked into i_mmap (a fault needs a VMA), there is no window in which a
 * mapping is populated but invisible to the zap; populating from mmap()
 * would leave one (the VMA is linked only after ->mmap returns).  fork()
 * copies the PTEs, but links the child's VMA first, so the zap sees both.
 *
 * A BAR smaller than a page would be mapped with the rest of its page,
 * where another device's registers may lie.  As vfio-pci does, the stub
 * reserves the rest of the page in the resource tree at probe (so nothing
 * else can be placed there) and maps the BAR only if that worked; else
 * mmap() fails with EINVAL.  The pages holding the MSI-X table and PBA are
 * never mapped (SIGBUS): a user who rewrote the table could make the
 * device write anywhere.  Bridges are not bound at all (probe).
 *
 * Two device nodes map BARs: /dev/uioN (offset = UIO map index, whole BAR
 * from its first page, uncached) and the control device /dev/udrv/<bdf>
 * (offset = UDRV_STUB_MMAP_OFFSET(bar, flags) + offset into the BAR,
 * uncached, or write-combining with UDRV_STUB_MMAP_WC).
 *
 * Why these VMA flags:
 *   VM_IO        MMIO, not RAM: get_user_pages() refuses it (nothing to
 *                pin); ptrace and /proc/pid/mem go through vm_ops->access.
 *   VM_PFNMAP    the PTEs hold raw page frame numbers with no struct page
 *                behind them; the mm must not refcount or reclaim them.
 *   VM_DONTEXPAND mremap() may not grow the VMA beyond what we checked.
 *   VM_DONTDUMP  keep device registers out of core dumps.
 *
 * Why this caching:
 *   pgprot_noncached() by default, for every BAR, prefetchable or not (as
 *   vfio-pci, uio_pci_generic and sysfs resourceN do): every load and
 *   store must reach the device, in program order, exactly once (registers
 *   have side effects: a read may clear a status bit).  A "prefetchable"
 *   BAR may still hold such registers (virtio's common config and ISR).
 *   pgprot_writecombine() only when asked for (UDRV_STUB_MMAP_WC) on a
 *   prefetchable BAR: the CPU may then read speculatively and merge and
 *   reorder stores into bursts (frame buffers, descriptor pages); user
 *   space orders them with a store fence (sfence).  On x86 the cache type
 *   of a physical range is global (PAT) and vmf_insert_pfn() takes it from
 *   the memtype tree, not from the VMA: the WC memtype is reserved for the
 *   BAR while a WC mapping of it exists (refused while an uncached one
 *   does, and the other way round), and freed with the last one.
 */

#include <linux/fs.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pfn.h>
#include <linux/slab.h>
#include <linux/uio_driver.h>

#include <linux/udrv_stub.h>

#include "udrv_stub.h"

/* An address_space (device node inode) through which a BAR was mapped. */
struct udrv_stub_file {
	struct list_head node;
	struct address_space *mapping;
};

/*
 * A BAR smaller than a page: reserve the rest of its page in the resource
 * tree, as vfio-pci does, so that no other device's BAR can be placed
 * there; only then may the page be mapped.
 */
static bool udrv_stub_reserve_subpage(struct udrv_stub_dev *sdev,
				      struct udrv_stub_map *map)
{
	struct resource *res = &sdev->pdev->resource[map->bar];
	struct resource *rest;

	if (!PAGE_ALIGNED(map->start) || !res->parent)
		goto refuse;
	rest = kzalloc(sizeof(*rest), GFP_KERNEL);
	if (!rest)
		goto refuse;
	rest->name = "udrv_stub sub-page reserved";
	rest->start = res->end + 1;
	rest->end = res->start + PAGE_SIZE - 1;
	rest->flags = res->flags;
	if (request_resource(res->parent, rest)) {
		kfree(rest);
		goto refuse;
	}
	map->subpage = rest;
	return true;
refuse:
	pci_info(sdev->pdev, "%s: smaller than a page, and the rest of its page may belong to another device: not mappable\n",
		 map->name);
	return false;
}

/* Pages of @map holding the MSI-X table or PBA: never mapped. */
static void udrv_stub_msix_holes(struct udrv_stub_dev *sdev,
				 struct udrv_stub_map *map)
{
	struct pci_dev *pdev = sdev->pdev;
	unsigned long first = offset_in_page(map->start);
	u32 where[2], size[2];
	int i, n;

	if (!pdev->msix_cap)
		return;
	n = pci_msix_vec_count(pdev);
	if (n <= 0)
		return;
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &where[0]);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_PBA, &where[1]);
	size[0] = n * PCI_MSIX_ENTRY_SIZE;
	size[1] = DIV_ROUND_UP(n, 64) * 8;
	for (i = 0; i < 2; i++) {
		u32 off = where[i] & PCI_MSIX_TABLE_OFFSET;

		if ((where[i] & PCI_MSIX_TABLE_BIR) != map->bar)
			continue;
		map->hole_first[map->nr_holes] = (first + off) >> PAGE_SHIFT;
		map->hole_last[map->nr_holes] = (first + off + size[i] - 1) >> PAGE_SHIFT;
		map->nr_holes++;
	}
}

static bool udrv_stub_in_hole(const struct udrv_stub_map *map,
			      unsigned long page)
{
	unsigned int i;

	for (i = 0; i < map->nr_holes; i++)
		if (page >= map->hole_first[i] && page <= map->hole_last[i])
			return true;
	return false;
}

static void udrv_stub_add_mem(struct udrv_stub_dev *sdev, int bar)
{
	struct pci_dev *pdev = sdev->pdev;
	struct udrv_stub_map *map = &sdev->maps[sdev->nr_maps];
	struct uio_mem *mem = &sdev->info.mem[sdev->nr_maps];

	map->sdev = sdev;
	map->index = sdev->nr_maps;
	map->bar = bar;
	map->start = pci_resource_start(pdev, bar);
	map->len = pci_resource_len(pdev, bar);
	map->pfn = PHYS_PFN(map->start);
	map->pages = PHYS_PFN(map->start + map->len - 1) - map->pfn + 1;
	snprintf(map->name, sizeof(map->name), "BAR%d", bar);
	map->prefetch = !!(pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH);
	map->mappable = map->len >= PAGE_SIZE || udrv_stub_reserve_subpage(sdev, map);
	udrv_stub_msix_holes(sdev, map);

	/*
	 * The UIO core reads addr/offs/size for sysfs and for its own check
	 * of the mmap length (pages covered by [addr, addr + size)).  addr
	 * is the BAR's exact start, offs where it lies inside its first
	 * page, size its exact length.
	 */
	mem->name = map->name;
	mem->memtype = UIO_MEM_PHYS;
	mem->addr = map->start;
	mem->offs = offset_in_page(map->start);
	mem->size = map->len;

	sdev->nr_maps++;
}

static void udrv_stub_add_port(struct udrv_stub_dev *sdev, unsigned int n,
			       int bar)
{
	struct pci_dev *pdev = sdev->pdev;
	struct uio_port *port = &sdev->info.port[n];

	snprintf(sdev->port_names[n], sizeof(sdev->port_names[n]), "BAR%d", bar);
	port->name = sdev->port_names[n];
	port->start = pci_resource_start(pdev, bar);
	port->size = pci_resource_len(pdev, bar);
#ifdef CONFIG_X86
	port->porttype = UIO_PORT_X86;	/* reachable with ioperm() + in/out */
#else
	port->porttype = UIO_PORT_OTHER;
#endif
}

/**
 * udrv_stub_bars_init() - describe the device's BARs to the UIO core
 * @sdev: device state; fills info.mem, info.port, @maps and @bar_mask
 *
 * Memory BARs become UIO maps in BAR order, I/O BARs become port regions.
 * A 64-bit BAR takes two BAR slots; its upper half has no resource of its
 * own and is skipped.
 *
 * UIO has MAX_UIO_MAPS (5) map slots, a PCI function six BARs.  Only a
 * function with six 32-bit memory BARs overflows; its sixth memory BAR is
 * then neither exposed nor requested, so it stays free for another user
 * (e.g. /sys/bus/pci/devices/<bdf>/resource5).  The same holds for more
 * than MAX_UIO_PORT_REGIONS I/O BARs.
 *
 * Return: 0 (a device without BARs is still useful for its interrupt).
 */
int udrv_stub_bars_init(struct udrv_stub_dev *sdev)
{
	struct pci_dev *pdev = sdev->pdev;
	unsigned int nr_ports = 0;
	int bar;

	for (bar = 0; bar < PCI_STD_NUM_BARS; bar++) {
		unsigned long flags = pci_resource_flags(pdev, bar);

		if (!pci_resource_len(pdev, bar))
			continue;	/* unimplemented, or upper half */
		if (flags & IORESOURCE_UNSET) {
			pci_warn(pdev, "BAR%d has no address assigned, skipped\n",
				 bar);
			continue;
		}

		if (flags & IORESOURCE_MEM) {
			if (sdev->nr_maps == MAX_UIO_MAPS) {
				pci_warn(pdev, "BAR%d: all %d UIO maps used, not exposed\n",
					 bar, MAX_UIO_MAPS);
				continue;
			}
			udrv_stub_add_mem(sdev, bar);
		} else if (flags & IORESOURCE_IO) {
			if (nr_ports == MAX_UIO_PORT_REGIONS) {
				pci_warn(pdev, "BAR%d: all %d UIO port regions used, not exposed\n",
					 bar, MAX_UIO_PORT_REGIONS);
				continue;
			}
			udrv_stub_add_port(sdev, nr_ports++, bar);
		} else {
			continue;
		}
		sdev->bar_mask |= BIT(bar);
	}
	return 0;
}

/**
 * udrv_stub_bars_fini() - undo udrv_stub_bars_init()
 * @sdev: device state
 *
 * Releases the rest-of-page reservations of sub-page BARs.  Called only
 * when no PTE can point at the BARs any more (after
 * udrv_stub_mmap_revoke()).  A WC memtype reservation goes with the last
 * WC mapping (udrv_stub_vm_close()), which may outlive remove().
 */
void udrv_stub_bars_fini(struct udrv_stub_dev *sdev)
{
	unsigned int i;

	for (i = 0; i < sdev->nr_maps; i++) {
		struct udrv_stub_map *map = &sdev->maps[i];

		if (map->subpage) {
			release_resource(map->subpage);
			kfree(map->subpage);
			map->subpage = NULL;
		}
	}
}

/* Pages populated per fault: a 2 MiB-aligned window around the fault. */
#define UDRV_STUB_FAULT_CHUNK	512UL

static const struct vm_operations_struct udrv_stub_uio_vm_ops;
static const struct vm_operations_struct udrv_stub_ctl_vm_ops;
static const struct vm_operations_struct udrv_stub_ctl_wc_vm_ops;

static bool udrv_stub_vma_wc(struct vm_area_struct *vma)
{
	return vma->vm_ops == &udrv_stub_ctl_wc_vm_ops;
}

/* Count a new VMA of @map.  Caller holds sdev->lock. */
static void udrv_stub_vma_count(struct udrv_stub_map *map, bool wc)
{
	struct udrv_stub_dev *sdev = map->sdev;
	int live;

	lockdep_assert_held(&sdev->lock);
	udrv_stub_get(sdev);
	if (wc)
		map->wc_vmas++;
	else
		map->uc_vmas++;
	/* Not inside dev_dbg(): its arguments are evaluated only when enabled. */
	live = atomic_inc_return(&sdev->nr_mappings);
	dev_dbg(&sdev->pdev->dev, "%s: %s mapping opened, %d live\n", map->name,
		wc ? "write-combining" : "uncached", live);
}

/*
 * Every VMA holds a reference on sdev: after remove() the VMA can still be
 * faulted on, and the handler needs sdev->lock and sdev->revoked.
 * ->open runs for the copies fork() and VMA splits make, ->close for every
 * VMA that goes away (munmap, exit, exec).  The last WC VMA of a BAR gives
 * its WC memtype back.
 */
static void udrv_stub_vm_open(struct vm_area_struct *vma)
{
	struct udrv_stub_map *map = vma->vm_private_data;

	mutex_lock(&map->sdev->lock);
	udrv_stub_vma_count(map, udrv_stub_vma_wc(vma));
	mutex_unlock(&map->sdev->lock);
}

static void udrv_stub_vm_close(struct vm_area_struct *vma)
{
	struct udrv_stub_map *map = vma->vm_private_data;
	struct udrv_stub_dev *sdev = map->sdev;
	bool wc = udrv_stub_vma_wc(vma);
	int live;

	mutex_lock(&sdev->lock);
	if (wc && !--map->wc_vmas)
		arch_io_free_memtype_wc(map->start, map->pages << PAGE_SHIFT);
	else if (!wc)
		map->uc_vmas--;
	mutex_unlock(&sdev->lock);
	live = atomic_dec_return(&sdev->nr_mappings);
	dev_dbg(&sdev->pdev->dev, "%s: mapping closed, %d live\n", map->name,
		live);
	udrv_stub_put(sdev);
}

/*
 * Insert the faulting page and the rest of its UDRV_STUB_FAULT_CHUNK
 * window inside the VMA, skipping MSI-X holes.  @first is the BAR page
 * (counted from the map's first page) at vma->vm_start.
 */
static vm_fault_t udrv_stub_fault(struct vm_fault *vmf, unsigned long first)
{
	struct vm_area_struct *vma = vmf->vma;
	struct udrv_stub_map *map = vma->vm_private_data;
	struct udrv_stub_dev *sdev = map->sdev;
	unsigned long chunk = UDRV_STUB_FAULT_CHUNK << PAGE_SHIFT;
	unsigned long addr, start, end, page;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	/* Cannot happen (checked in mmap, VM_DONTEXPAND); never trust it. */
	if (first > map->pages || vma_pages(vma) > map->pages - first)
		return VM_FAULT_SIGBUS;
	page = first + ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	if (udrv_stub_in_hole(map, page))
		return VM_FAULT_SIGBUS;

	mutex_lock(&sdev->lock);
	if (sdev->revoked)
		goto out;	/* device unbound: SIGBUS, never stale MMIO */

	ret = vmf_insert_pfn(vma, vmf->address, map->pfn + page);
	if (ret & VM_FAULT_ERROR)
		goto out;

	start = max(vma->vm_start, ALIGN_DOWN(vmf->address, chunk));
	end = min(vma->vm_end, ALIGN_DOWN(vmf->address, chunk) + chunk);
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		page = first + ((addr - vma->vm_start) >> PAGE_SHIFT);
		if (addr == vmf->address || udrv_stub_in_hole(map, page))
			continue;
		if (vmf_insert_pfn(vma, addr, map->pfn + page) & VM_FAULT_ERROR)
			break;	/* best effort; a later fault retries */
	}
out:
	mutex_unlock(&sdev->lock);
	return ret;
}

/*
 * A /dev/uioN VMA created by mmap() has vm_pgoff == map index (the UIO
 * convention); a piece split off it keeps counting pages from there.
 */
static vm_fault_t udrv_stub_uio_fault(struct vm_fault *vmf)
{
	struct udrv_stub_map *map = vmf->vma->vm_private_data;

	if (vmf->vma->vm_pgoff < map->index)
		return VM_FAULT_SIGBUS;
	return udrv_stub_fault(vmf, vmf->vma->vm_pgoff - map->index);
}

/* Control device VMAs: the low bits of the offset are the BAR offset. */
static vm_fault_t udrv_stub_ctl_fault(struct vm_fault *vmf)
{
	u64 off = (u64)vmf->vma->vm_pgoff << PAGE_SHIFT;

	return udrv_stub_fault(vmf, (off & (UDRV_STUB_MMAP_WC - 1)) >> PAGE_SHIFT);
}

static const struct vm_operations_struct udrv_stub_uio_vm_ops = {
	.open = udrv_stub_vm_open,
	.close = udrv_stub_vm_close,
	.fault = udrv_stub_uio_fault,
#ifdef CONFIG_HAVE_IOREMAP_PROT
	.access = generic_access_phys,	/* lets gdb/ptrace read the BAR */
#endif
};

static const struct vm_operations_struct udrv_stub_ctl_vm_ops = {
	.open = udrv_stub_vm_open,
	.close = udrv_stub_vm_close,
	.fault = udrv_stub_ctl_fault,
#ifdef CONFIG_HAVE_IOREMAP_PROT
	.access = generic_access_phys,
#endif
};

static const struct vm_operations_struct udrv_stub_ctl_wc_vm_ops = {
	.open = udrv_stub_vm_open,
	.close = udrv_stub_vm_close,
	.fault = udrv_stub_ctl_fault,
#ifdef CONFIG_HAVE_IOREMAP_PROT
	.access = generic_access_phys,
#endif
};

/* Remember @mapping for udrv_stub_mmap_revoke().  Caller holds sdev->lock. */
static int udrv_stub_track_file(struct udrv_stub_dev *sdev,
				struct address_space *mapping)
{
	struct udrv_stub_file *f;

	list_for_each_entry(f, &sdev->files, node)
		if (f->mapping == mapping)
			return 0;

	f = kmalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	/* The open file pins the inode now; we pin it until revocation. */
	ihold(mapping->host);
	f->mapping = mapping;
	list_add(&f->node, &sdev->files);
	return 0;
}

/*
 * Prepare @vma to map @map from BAR page @first, uncached or (@wc)
 * write-combining, with @ops.  The caller checked that the range lies
 * inside the BAR's page span.
 */
static int udrv_stub_mmap_map(struct udrv_stub_dev *sdev,
			      struct udrv_stub_map *map,
			      struct vm_area_struct *vma, bool wc,
			      const struct vm_operations_struct *ops)
{
	int ret;

	/*
	 * MAP_PRIVATE would ask for copy-on-write pages, but registers cannot
	 * be copied; the mm forbids inserting PFNs into such a mapping.
	 */
	if (is_cow_mapping(vma->vm_flags) || !map->mappable)
		return -EINVAL;
	if (wc) {
		if (!map->prefetch)
			return -EINVAL;
#ifdef CONFIG_X86
		if (!pat_enabled())
			return -EOPNOTSUPP;
#endif
	}

	mutex_lock(&sdev->lock);
	if (sdev->revoked) {
		ret = -ENODEV;
		goto out;
	}
	/* One cache type per physical range (x86 PAT): no aliases. */
	if (wc ? map->uc_vmas : map->wc_vmas) {
		ret = -EBUSY;
		goto out;
	}

	ret = udrv_stub_track_file(sdev, vma->vm_file->f_mapping);
	if (ret)
		goto out;

	if (wc && !map->wc_vmas) {
		ret = arch_io_reserve_memtype_wc(map->start,
						 map->pages << PAGE_SHIFT);
		if (ret)
			goto out;
	}

	if (wc)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	else
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	udrv_stub_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = ops;
	vma->vm_private_data = map;	/* replaces the UIO core's pointer */

	/* ->open is not called for the VMA mmap() creates: count it here. */
	udrv_stub_vma_count(map, wc);
out:
	mutex_unlock(&sdev->lock);
	return ret;
}

/**
 * udrv_stub_mmap() - uio_info.mmap: map one BAR into user space, uncached
 * @info: the device's uio_info
 * @vma: the new VMA; vm_pgoff selects the UIO map (the BAR)
 *
 * Called by the UIO core under its info_lock after it checked that
 * vm_pgoff names a map and the length fits the map's page span.  The
 * checks are repeated here: this function is what guarantees that no byte
 * beyond the BAR's pages is ever mapped.  The mapping always starts at the
 * BAR's first page (UIO has no way to express an offset inside a map), so
 * a shorter length maps a prefix of the BAR.
 *
 * Return: 0, or -EINVAL for a bad map index, length, a private mapping or
 * an unmappable sub-page BAR, -EBUSY while the BAR is mapped
 * write-combining, -ENODEV once the device is being removed, -ENOMEM.
 */
int udrv_stub_mmap(struct uio_info *info, struct vm_area_struct *vma)
{
	struct udrv_stub_dev *sdev = to_udrv_stub_dev(info);
	struct udrv_stub_map *map;

	if (vma->vm_pgoff >= sdev->nr_maps)
		return -EINVAL;
	map = &sdev->maps[vma->vm_pgoff];
	if (vma_pages(vma) > map->pages)
		return -EINVAL;
	return udrv_stub_mmap_map(sdev, map, vma, false, &udrv_stub_uio_vm_ops);
}

/**
 * udrv_stub_ctl_mmap() - mmap() of the control device: a BAR, from an offset
 * @sdev: device state
 * @file: the control file
 * @vma: the new VMA; the offset is UDRV_STUB_MMAP_OFFSET(bar, flags) plus
 *       a page-aligned offset into the BAR
 *
 * Return: 0, or -EINVAL (no such memory BAR, range beyond it, private
 * mapping, WC on a BAR that is not prefetchable, unmappable sub-page BAR),
 * -EOPNOTSUPP (WC without PAT), -EBUSY (the BAR is mapped with the other
 * cache type), -ENODEV (device unbound), -ENOMEM.
 */
int udrv_stub_ctl_mmap(struct udrv_stub_dev *sdev, struct file *file,
		       struct vm_area_struct *vma)
{
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 bar = off >> UDRV_STUB_MMAP_BAR_SHIFT;
	bool wc = off & UDRV_STUB_MMAP_WC;
	unsigned long first = (off & (UDRV_STUB_MMAP_WC - 1)) >> PAGE_SHIFT;
	struct udrv_stub_map *map = NULL;
	unsigned int i;

	for (i = 0; i < sdev->nr_maps; i++)
		if (sdev->maps[i].bar == bar)
			map = &sdev->maps[i];
	if (!map || first >= map->pages || vma_pages(vma) > map->pages - first)
		return -EINVAL;
	return udrv_stub_mmap_map(sdev, map, vma, wc,
				  wc ? &udrv_stub_ctl_wc_vm_ops : &udrv_stub_ctl_vm_ops);
}

/**
 * udrv_stub_mmap_revoke() - take every BAR mapping away from user space
 * @sdev: device state
 *
 * Called first thing in remove().  After it returns no PTE points at a BAR,
 * new mmap() calls fail with -ENODEV and touching an existing mapping
 * raises SIGBUS.  The VMAs themselves stay until the process unmaps them;
 * they keep sdev alive through their references.
 *
 * Context: process context; takes and releases sdev->lock.
 */
void udrv_stub_mmap_revoke(struct udrv_stub_dev *sdev)
{
	struct udrv_stub_file *f, *tmp;
	LIST_HEAD(files);

	mutex_lock(&sdev->lock);
	sdev->revoked = 1;
	list_splice_init(&sdev->files, &files);
	mutex_unlock(&sdev->lock);

	/*
	 * Any fault that inserted PTEs did so before "revoked" was set,
	 * into a VMA already linked in the file's i_mmap tree, so the zap
	 * below finds it.  holelen 0 means "to the end of the file": all
	 * maps.
	 */
	list_for_each_entry_safe(f, tmp, &files, node) {
		unmap_mapping_range(f->mapping, 0, 0, 1);
		iput(f->mapping->host);
		kfree(f);
	}
}
