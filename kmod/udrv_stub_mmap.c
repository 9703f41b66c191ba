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
 * first touch with vmf_insert_pfn(), the one-page form of remap_pfn_range()
 * (the whole VMA at once, so a mapping costs one fault), under sdev->lock
 * and only while the device is bound.  The address_space of
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
 * A BAR smaller than a page is mapped with the rest of its page, as the
 * sysfs resourceN files do; the map's "offset" tells where the BAR starts.
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
 *   pgprot_noncached() for ordinary BARs: every load and store must reach
 *   the device, in program order, exactly once (registers have side
 *   effects: a read may clear a status bit).
 *   pgprot_writecombine() for prefetchable BARs: the device declared that
 *   reads have no side effects and writes may be merged, so the CPU may
 *   combine stores into burst writes (frame buffers, doorbell pages full of
 *   descriptors).  User space then orders stores with a barrier (sfence).
 *   On x86 the cache type of a physical range is global (PAT); the WC
 *   memtype is reserved for the whole BAR at probe so that every PTE the
 *   fault handler inserts gets WC, and if that fails the BAR is mapped
 *   uncached instead.
 */

#include <linux/fs.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/pfn.h>
#include <linux/slab.h>
#include <linux/uio_driver.h>

#include "udrv_stub.h"

/* An address_space (device node inode) through which a BAR was mapped. */
struct udrv_stub_file {
	struct list_head node;
	struct address_space *mapping;
};

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

	/*
	 * Write-combine only whole-page prefetchable BARs: a BAR smaller
	 * than a page shares its page (and that page's memtype) with others.
	 */
	if ((pci_resource_flags(pdev, bar) & IORESOURCE_PREFETCH) &&
	    PAGE_ALIGNED(map->start) && PAGE_ALIGNED(map->len)) {
		map->wc = !arch_io_reserve_memtype_wc(map->start, map->len);
		if (!map->wc)
			pci_info(pdev, "BAR%d: write-combining unavailable, mapping it uncached\n",
				 bar);
	}

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
 * Releases the write-combining memtype reservations.  Called only when no
 * PTE can point at the BARs any more (after udrv_stub_mmap_revoke()).
 */
void udrv_stub_bars_fini(struct udrv_stub_dev *sdev)
{
	unsigned int i;

	for (i = 0; i < sdev->nr_maps; i++) {
		struct udrv_stub_map *map = &sdev->maps[i];

		if (map->wc)
			arch_io_free_memtype_wc(map->start, map->len);
	}
}

/*
 * Every VMA holds a reference on sdev: after remove() the VMA can still be
 * faulted on, and the handler needs sdev->lock and sdev->revoked.
 * ->open runs for the copies fork() and VMA splits make, ->close for every
 * VMA that goes away (munmap, exit, exec).
 */
static void udrv_stub_vm_open(struct vm_area_struct *vma)
{
	struct udrv_stub_map *map = vma->vm_private_data;
	struct udrv_stub_dev *sdev = map->sdev;

	int live;

	udrv_stub_get(sdev);
	/* Not inside dev_dbg(): its arguments are evaluated only when enabled. */
	live = atomic_inc_return(&sdev->nr_mappings);
	dev_dbg(&sdev->pdev->dev, "%s: mapping opened, %d live\n", map->name,
		live);
}

static void udrv_stub_vm_close(struct vm_area_struct *vma)
{
	struct udrv_stub_map *map = vma->vm_private_data;
	struct udrv_stub_dev *sdev = map->sdev;

	int live = atomic_dec_return(&sdev->nr_mappings);

	dev_dbg(&sdev->pdev->dev, "%s: mapping closed, %d live\n", map->name,
		live);
	udrv_stub_put(sdev);
}

static vm_fault_t udrv_stub_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct udrv_stub_map *map = vma->vm_private_data;
	struct udrv_stub_dev *sdev = map->sdev;
	/*
	 * A VMA created by mmap() has vm_pgoff == map index (the UIO
	 * convention); a piece split off it keeps counting pages from there.
	 * So vm_pgoff - index is the BAR page at vm_start.
	 */
	unsigned long first = vma->vm_pgoff - map->index;
	unsigned long addr;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	/* Cannot happen (checked in mmap, VM_DONTEXPAND); never trust it. */
	if (vma->vm_pgoff < map->index || first > map->pages ||
	    vma_pages(vma) > map->pages - first)
		return VM_FAULT_SIGBUS;

	mutex_lock(&sdev->lock);
	if (sdev->revoked)
		goto out;	/* device unbound: SIGBUS, never stale MMIO */

	ret = vmf_insert_pfn(vma, vmf->address,
			     map->pfn + vmf->pgoff - map->index);
	if (ret & VM_FAULT_ERROR)
		goto out;

	/* Populate the rest of the VMA too: one fault per mapping. */
	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		unsigned long pfn = map->pfn + first +
				    ((addr - vma->vm_start) >> PAGE_SHIFT);

		if (addr != vmf->address &&
		    (vmf_insert_pfn(vma, addr, pfn) & VM_FAULT_ERROR))
			break;	/* best effort; a later fault retries */
	}
out:
	mutex_unlock(&sdev->lock);
	return ret;
}

static const struct vm_operations_struct udrv_stub_vm_ops = {
	.open = udrv_stub_vm_open,
	.close = udrv_stub_vm_close,
	.fault = udrv_stub_vm_fault,
#ifdef CONFIG_HAVE_IOREMAP_PROT
	.access = generic_access_phys,	/* lets gdb/ptrace read the BAR */
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

/**
 * udrv_stub_mmap() - uio_info.mmap: map one BAR into user space
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
 * Return: 0, or -EINVAL for a bad map index, length or a private mapping,
 * -ENODEV once the device is being removed, -ENOMEM.
 */
int udrv_stub_mmap(struct uio_info *info, struct vm_area_struct *vma)
{
	struct udrv_stub_dev *sdev = to_udrv_stub_dev(info);
	struct udrv_stub_map *map;
	int ret;

	if (vma->vm_pgoff >= sdev->nr_maps)
		return -EINVAL;
	map = &sdev->maps[vma->vm_pgoff];

	if (vma_pages(vma) > map->pages)
		return -EINVAL;

	/*
	 * MAP_PRIVATE would ask for copy-on-write pages, but registers cannot
	 * be copied; the mm forbids inserting PFNs into such a mapping.
	 */
	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;

	mutex_lock(&sdev->lock);
	if (sdev->revoked) {
		ret = -ENODEV;
		goto out;
	}

	ret = udrv_stub_track_file(sdev, vma->vm_file->f_mapping);
	if (ret)
		goto out;

	if (map->wc)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	else
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	udrv_stub_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &udrv_stub_vm_ops;
	vma->vm_private_data = map;	/* replaces the UIO core's pointer */

	/* ->open is not called for the VMA mmap() creates: count it here. */
	udrv_stub_vm_open(vma);
out:
	mutex_unlock(&sdev->lock);
	return ret;
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
