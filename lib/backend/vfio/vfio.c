// SPDX-License-Identifier: MIT
/*
 * VFIO backend.  The device is reached through a device fd, had through
 * iommufd or through its IOMMU group in the process's container (type1 or
 * no-IOMMU; mode.c chooses, iommufd.c and container.c do it); BARs and
 * config space are VFIO regions: mmap() or pread() at the region's offset
 * in the device fd, the same in every mode.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>

#include "vfio.h"

static void free_regions(struct udrv_vfio *v)
{
	unsigned int i;

	for (i = 0; i < UDRV_NUM_BARS; i++)
		free(v->region[i]);
}

static void vfio_release(struct udrv_vfio *v)
{
	udrv_vfio_iova_drain(v);
	udrv_vfio_close_device(v);
	free_regions(v);
	free(v);
}

static int vfio_open(struct udrv_device *dev)
{
	struct vfio_region_info *cfg;
	struct udrv_vfio *v;
	int ret;

	ret = udrv_sysfs_iommu_group(dev->name);
	if (ret == -ENOENT)
		return udrv_err(ENODEV,
				"%s: has no IOMMU group: enable the IOMMU (VT-d or AMD-Vi in the firmware; on Intel also intel_iommu=on on the kernel command line) to use VFIO",
				dev->name);
	if (ret < 0)
		return udrv_err(EIO, "%s: unreadable iommu_group link in sysfs", dev->name);
	v = calloc(1, sizeof(*v));
	if (!v)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	v->group_id = ret;
	v->group = v->device = v->container = -1;
	dev->priv = v;

	ret = udrv_vfio_open_device(dev, v);
	if (ret)
		goto fail;
	v->info.argsz = sizeof(v->info);
	if (ioctl(v->device, VFIO_DEVICE_GET_INFO, &v->info)) {
		ret = udrv_err(errno, "%s: VFIO_DEVICE_GET_INFO: %s", dev->name, strerror(errno));
		goto fail;
	}
	if (!(v->info.flags & VFIO_DEVICE_FLAGS_PCI) ||
	    v->info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX) {
		ret = udrv_err(ENODEV, "%s: VFIO device is not a PCI device", dev->name);
		goto fail;
	}
	ret = udrv_vfio_region_info(dev, VFIO_PCI_CONFIG_REGION_INDEX, &cfg);
	if (ret)
		goto fail;
	v->config_offset = cfg->offset;
	dev->config_size = cfg->size > 4096 ? 4096 : cfg->size;
	free(cfg);
	return 0;
fail:
	vfio_release(v);
	dev->priv = NULL;
	return ret;
}

static void vfio_close(struct udrv_device *dev)
{
	vfio_release(dev->priv);
}

/*
 * A forked child's copy of the parent's handle: close the child's copies of
 * the device fd and the interrupt eventfds, nothing else (no SET_IRQS, no
 * group or container call: they are the parent's; the container's copy goes
 * in udrv_vfio_fork_child()).
 */
static void vfio_forget(struct udrv_device *dev)
{
	struct udrv_vfio *v = dev->priv;
	unsigned int i;

	if (v->irq_fds) {
		for (i = 0; i < dev->irq.nvec; i++)
			close(v->irq_fds[i]);
		free(v->irq_fds);
	}
	if (v->device >= 0)
		close(v->device);
	free_regions(v);
	free(v);
}

/*
 * Size and mmap-ability from VFIO's region info, the kind from the BAR
 * register (VFIO's virtual config space keeps its flag bits): no sysfs
 * file to open.  The CPU physical address is the core's to add, from sysfs,
 * when a caller asks for it (device.c).
 */
static int vfio_bar_info(struct udrv_device *dev, unsigned int bar, struct udrv_bar_info *info)
{
	struct vfio_region_info *r;
	uint32_t reg;
	int ret;

	ret = udrv_vfio_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX + bar, &r);
	if (ret)
		return ret;
	if (!r->size) {
		free(r);
		return udrv_err(ENOENT, "%s: BAR %u is not implemented by the device", dev->name, bar);
	}
	ret = udrv_bar_register(dev, bar, &reg);
	if (ret) {
		free(r);
		return ret;
	}
	memset(info, 0, sizeof(*info));
	info->index = bar;
	info->size = r->size;
	if (reg & PCI_BASE_ADDRESS_SPACE_IO) {
		info->flags |= UDRV_BAR_IO;
	} else {
		info->flags |= UDRV_BAR_MEM;
		if ((reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
			info->flags |= UDRV_BAR_MEM64;
		if (reg & PCI_BASE_ADDRESS_MEM_PREFETCH)
			info->flags |= UDRV_BAR_PREFETCH;
	}
	udrv_vfio(dev)->bar_offset[bar] = r->offset;
	if (r->flags & VFIO_REGION_INFO_FLAG_MMAP)
		info->flags |= UDRV_BAR_MMAP;
	/* udrv_bar_map() asks for the info first: its map takes this reply, one ioctl less. */
	free(udrv_vfio(dev)->region[bar]);
	udrv_vfio(dev)->region[bar] = r;
	return 0;
}

/* Find capability @id in a region info's chain; NULL if absent or malformed. */
static const struct vfio_info_cap_header *vfio_region_cap(const struct vfio_region_info *r,
							  uint16_t id)
{
	return udrv_vfio_info_cap(r, r->argsz, sizeof(*r),
				  r->flags & VFIO_REGION_INFO_FLAG_CAPS ? r->cap_offset : 0, id);
}

/* Accessible ranges from the sparse-mmap capability; 0 if there is none. */
static int vfio_sparse_ranges(struct udrv_device *dev, const struct vfio_region_info *r,
			      struct udrv_range *ranges, unsigned int *n)
{
	const struct vfio_region_info_cap_sparse_mmap *sp;
	unsigned int i;

	*n = 0;
	sp = (const void *)vfio_region_cap(r, VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	if (!sp)
		return 0;
	if (sp->nr_areas > UDRV_BAR_MAX_RANGES)
		return udrv_err(E2BIG, "%s: VFIO reports %u mappable areas, udrv handles %d",
				dev->name, sp->nr_areas, UDRV_BAR_MAX_RANGES);
	for (i = 0; i < sp->nr_areas; i++) {
		if (!sp->areas[i].size)
			continue;
		ranges[*n].offset = sp->areas[i].offset;
		ranges[*n].size = sp->areas[i].size;
		(*n)++;
	}
	return 0;
}

static int vfio_bar_map(struct udrv_device *dev, unsigned int bar, struct udrv_bar_map *map)
{
	struct udrv_range ranges[UDRV_BAR_MAX_RANGES], holes[2];
	unsigned int nranges = 0, nholes;
	struct vfio_region_info *r;
	int prot = 0, ret;
	void *base;

	r = udrv_vfio(dev)->region[bar];
	udrv_vfio(dev)->region[bar] = NULL;
	ret = r ? 0 : udrv_vfio_region_info(dev, VFIO_PCI_BAR0_REGION_INDEX + bar, &r);
	if (ret)
		return ret;
	if (!r->size) {
		ret = udrv_err(ENOENT, "%s: BAR %u is not implemented by the device", dev->name, bar);
		goto out;
	}
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		ret = udrv_err(ENOTSUP, "%s: vfio-pci does not allow mmap of BAR %u", dev->name, bar);
		goto out;
	}
	if (r->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (r->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	map->size = r->size;

	/*
	 * With interrupt remapping the MSI-X table may be mapped
	 * (CAP_MSIX_MAPPABLE) and the whole BAR is one mapping.  Otherwise a
	 * sparse-mmap capability lists what may be mapped.
	 */
	if (!vfio_region_cap(r, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE)) {
		ret = vfio_sparse_ranges(dev, r, ranges, &nranges);
		if (ret)
			goto out;
		if (nranges) {
			ret = udrv_map_ranges(dev, udrv_vfio(dev)->device, r->offset, prot, ranges,
					      nranges, map);
			goto out;
		}
	}
	base = mmap(NULL, r->size, prot, MAP_SHARED, udrv_vfio(dev)->device, r->offset);
	if (base != MAP_FAILED) {
		map->base = base;
		map->map_len = r->size;
		map->addr = base;
		ret = 0;
		goto out;
	}
	ret = errno;
	/* Old kernels refuse the whole BAR without saying why: map around MSI-X. */
	if (ret == EINVAL && !udrv_msix_holes(dev, bar, holes, &nholes) && nholes &&
	    !udrv_ranges_subtract(r->size, holes, nholes, sysconf(_SC_PAGESIZE), ranges, &nranges)) {
		ret = udrv_map_ranges(dev, udrv_vfio(dev)->device, r->offset, prot, ranges, nranges, map);
		goto out;
	}
	ret = udrv_err(ret, "%s: mmap of VFIO BAR %u (%llu bytes) failed: %s", dev->name, bar,
		       (unsigned long long)r->size, strerror(ret));
out:
	free(r);
	return ret;
}

/* Called only after udrv_bar_cached_info(), so the region offset is known. */
static int vfio_bar_rw(struct udrv_device *dev, unsigned int bar, uint64_t off, unsigned int width,
		       void *val, bool write)
{
	off_t pos = udrv_vfio(dev)->bar_offset[bar] + off;
	ssize_t n = write ? pwrite(udrv_vfio(dev)->device, val, width, pos) :
			    pread(udrv_vfio(dev)->device, val, width, pos);

	if (n < 0)
		return udrv_err(errno, "%s: VFIO BAR %u %s of %u bytes at 0x%llx: %s", dev->name,
				bar, write ? "write" : "read", width, (unsigned long long)off,
				strerror(errno));
	if ((size_t)n != width)
		return udrv_err(EIO, "%s: VFIO BAR %u access moved %zd of %u bytes", dev->name, bar,
				n, width);
	return 0;
}

static int vfio_reset(struct udrv_device *dev)
{
	if (!(udrv_vfio(dev)->info.flags & VFIO_DEVICE_FLAGS_RESET))
		return udrv_err(ENOTSUP,
				"%s: cannot be reset: vfio-pci found no reset method (no FLR, PM or bus reset)",
				dev->name);
	if (ioctl(udrv_vfio(dev)->device, VFIO_DEVICE_RESET))
		return udrv_err(errno, "%s: VFIO_DEVICE_RESET: %s", dev->name, strerror(errno));
	return 0;
}

static ssize_t vfio_config_rw(struct udrv_device *dev, void *buf, size_t len, off_t off,
			      bool write)
{
	off_t pos = udrv_vfio(dev)->config_offset + off;
	ssize_t n = write ? pwrite(udrv_vfio(dev)->device, buf, len, pos) :
			    pread(udrv_vfio(dev)->device, buf, len, pos);

	if (n < 0)
		return udrv_err(errno, "%s: VFIO config %s of %zu bytes at 0x%jx: %s", dev->name,
				write ? "write" : "read", len, (intmax_t)off, strerror(errno));
	if ((size_t)n != len)
		return udrv_err(EIO, "%s: VFIO config %s at 0x%jx: %zd of %zu bytes", dev->name,
				write ? "write" : "read", (intmax_t)off, n, len);
	return n;
}

static ssize_t vfio_config_read(struct udrv_device *dev, void *buf, size_t len, off_t off)
{
	return vfio_config_rw(dev, buf, len, off, false);
}

static ssize_t vfio_config_write(struct udrv_device *dev, const void *buf, size_t len, off_t off)
{
	return vfio_config_rw(dev, (void *)buf, len, off, true);
}

static const struct {
	enum udrv_irq_type type;
	unsigned int index;
} vfio_irq_kinds[] = {
	{ UDRV_IRQ_MSIX, VFIO_PCI_MSIX_IRQ_INDEX },
	{ UDRV_IRQ_MSI, VFIO_PCI_MSI_IRQ_INDEX },
	{ UDRV_IRQ_INTX, VFIO_PCI_INTX_IRQ_INDEX },
};

static unsigned int vfio_irq_count(struct udrv_device *dev, unsigned int index)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };

	return ioctl(udrv_vfio(dev)->device, VFIO_DEVICE_GET_IRQ_INFO, &info) ? 0 : info.count;
}

static int vfio_irq_count_op(struct udrv_device *dev, enum udrv_irq_type type)
{
	unsigned int k;

	for (k = 0; k < 3; k++)
		if (vfio_irq_kinds[k].type == type)
			return (int)vfio_irq_count(dev, vfio_irq_kinds[k].index);
	return 0;
}

static int vfio_set_irqs(struct udrv_device *dev, unsigned int index, uint32_t flags,
			 unsigned int start, unsigned int count, const int *fds)
{
	size_t size = sizeof(struct vfio_irq_set) + (fds ? count * sizeof(int32_t) : 0);
	struct vfio_irq_set *set = calloc(1, size);
	int ret = 0;

	if (!set)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	set->argsz = size;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (fds)
		memcpy(set->data, fds, count * sizeof(int32_t));
	if (ioctl(udrv_vfio(dev)->device, VFIO_DEVICE_SET_IRQS, set))
		ret = udrv_err(errno, "%s: VFIO_DEVICE_SET_IRQS (index %u, %u vectors): %s",
			       dev->name, index, count, strerror(errno));
	free(set);
	return ret;
}

static int vfio_irq_enable(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec)
{
	unsigned int i, k, counts[3];
	int *fds, ret;

	for (k = 0; k < 3; k++)
		counts[k] = vfio_irq_count(dev, vfio_irq_kinds[k].index);
	for (k = 0; k < 3; k++)
		if ((type == UDRV_IRQ_BEST || type == vfio_irq_kinds[k].type) && counts[k] >= nvec &&
		    (vfio_irq_kinds[k].type != UDRV_IRQ_INTX || nvec == 1))
			break;
	if (k == 3)
		return udrv_err(ENOTSUP, "%s: cannot enable %u %s vector(s): the device offers MSI-X %u, MSI %u, INTx %u",
				dev->name, nvec, udrv_irq_type_name(type), counts[0], counts[1],
				counts[2]);
	fds = calloc(nvec, sizeof(*fds));
	if (!fds)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	/* One eventfd per vector, every slot filled. */
	for (i = 0; i < nvec; i++) {
		fds[i] = eventfd(0, EFD_CLOEXEC);
		if (fds[i] < 0) {
			ret = udrv_err(errno, "%s: eventfd: %s", dev->name, strerror(errno));
			goto fail;
		}
	}
	ret = vfio_set_irqs(dev, vfio_irq_kinds[k].index,
			    VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, nvec, fds);
	/* MSI/MSI-X need bus mastering, which only udrv_set_bus_master() turns on. */
	if (ret)
		goto fail;
	udrv_vfio(dev)->irq_index = vfio_irq_kinds[k].index;
	udrv_vfio(dev)->irq_fds = fds;
	dev->irq.type = vfio_irq_kinds[k].type;
	dev->irq.nvec = nvec;
	dev->irq.fds = fds;
	return 0;
fail:
	while (i-- > 0)
		close(fds[i]);
	free(fds);
	return ret;
}

static void vfio_irq_disable(struct udrv_device *dev)
{
	struct udrv_vfio *v = udrv_vfio(dev);
	unsigned int i;

	vfio_set_irqs(dev, v->irq_index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0,
		      0, NULL);
	for (i = 0; i < dev->irq.nvec; i++)
		close(v->irq_fds[i]);
	free(v->irq_fds);
	v->irq_fds = NULL;
}

static int vfio_irq_rearm(struct udrv_device *dev, unsigned int vec)
{
	/* vfio-pci masks INTx when it fires (level); MSI/MSI-X are edges. */
	if (dev->irq.type != UDRV_IRQ_INTX)
		return 0;
	return vfio_set_irqs(dev, VFIO_PCI_INTX_IRQ_INDEX,
			     VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, vec, 1, NULL);
}

static int vfio_irq_trigger(struct udrv_device *dev, unsigned int vec)
{
	return vfio_set_irqs(dev, udrv_vfio(dev)->irq_index,
			     VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, vec, 1, NULL);
}

const struct udrv_backend_ops udrv_vfio_ops = {
	.path = {
		.backend = UDRV_BACKEND_VFIO,
		.name = "vfio",
		.driver = "vfio-pci",
		.family = "vfio",
		.modules = { "vfio-pci", "vfio_iommu_type1" },
		.remedy = "load it by hand (modprobe vfio-pci), or use a kernel with CONFIG_VFIO_PCI",
		.summary = "vfio-pci and its variants, through an IOMMU: isolated BARs, config, MSI-X/MSI/INTx, DMA",
	},
	.open = vfio_open,
	.close = vfio_close,
	.bar_info = vfio_bar_info,
	.bar_map = vfio_bar_map,
	.config_read = vfio_config_read,
	.config_write = vfio_config_write,
	.bar_rw = vfio_bar_rw,
	.reset = vfio_reset,
	.irq_count = vfio_irq_count_op,
	.irq_enable = vfio_irq_enable,
	.irq_disable = vfio_irq_disable,
	.irq_rearm = vfio_irq_rearm,
	.irq_trigger = vfio_irq_trigger,
	.dma_alloc = udrv_vfio_mode_dma_alloc,
	.dma_free = udrv_vfio_mode_dma_free,
	.dma_map = udrv_vfio_mode_dma_map,
	.forget = vfio_forget,
	.fork_child = udrv_vfio_fork_child,
};
