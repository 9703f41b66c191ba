// SPDX-License-Identifier: MIT
/*
 * DMA buffers under VFIO: anonymous memory, 2 MiB huge pages for buffers of
 * 2 MiB and more when the system has them (so the IOMMU maps one entry per
 * huge page), mapped into the container at an IOVA from the container's
 * space, below the device's mask; vaddr and IOVA both naturally aligned up
 * to 2 MiB (the core's chunks rely on it).
 * VFIO_IOMMU_MAP_DMA pins the pages.
 */
#include <errno.h>
#include <linux/mman.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vfio.h"


/* The power of two at or above @size, at most 2 MiB (a huge page). */
static uint64_t natural_align(uint64_t size)
{
	if (size >= UDRV_HUGE_2M)
		return UDRV_HUGE_2M;
	return size <= 1 ? 1 : 1ULL << (64 - __builtin_clzll(size - 1));
}

/*
 * @len bytes of anonymous memory at a multiple of @align (a power of two):
 * over-allocate, then trim both ends, so the vaddr is aligned as the IOVA is.
 */
static void *mmap_aligned(size_t len, size_t align)
{
	size_t pg = (size_t)getpagesize(), extra = align > pg ? align - pg : 0;
	char *mem = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	size_t head;

	if (mem == MAP_FAILED || !extra)
		return mem;
	head = (size_t)(-(uintptr_t)mem & (align - 1));
	if (head)
		munmap(mem, head);
	if (extra - head)
		munmap(mem + head + len, extra - head);
	return mem + head;
}

/* Pin and map buf->pub.vaddr/size at a fresh IOVA. */
int udrv_vfio_dma_map(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	size_t len = buf->pub.size;
	uint64_t iova;
	int ret;

	ret = udrv_vfio_iova_alloc(dev, len, natural_align(len), udrv_dma_limit(dev), &iova);
	if (ret)
		return ret;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uintptr_t)buf->pub.vaddr;
	map.iova = iova;
	map.size = len;
	if (ioctl(udrv_vfio(dev)->container, VFIO_IOMMU_MAP_DMA, &map)) {
		ret = errno;
		ret = udrv_err(ret, "%s: VFIO_IOMMU_MAP_DMA of %zu bytes at IOVA 0x%llx: %s%s",
			       dev->name, len, (unsigned long long)iova, strerror(ret),
			       ret == ENOMEM ? " (pinned memory counts against RLIMIT_MEMLOCK: raise it with ulimit -l or run as root)" :
			       ret == ENOSPC ? " (vfio_iommu_type1's dma_entry_limit is reached: fewer, larger buffers, or raise the module parameter)" :
			       ret == EFAULT ? " (the range is not mapped memory of this process)" : "");
		udrv_vfio_iova_free(dev, iova, len);
		return ret;
	}
	buf->pub.iova = iova;
	return 0;
}

/*
 * Memory for a DMA buffer of @size, mapped for the device by @map (type1's
 * udrv_vfio_dma_map() or iommufd's udrv_iommufd_dma_map()): 2 MiB huge
 * pages from 2 MiB on when there are some, else pages aligned as the
 * device address will be.
 */
int udrv_vfio_dma_alloc_mapped(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf,
			       int (*map)(struct udrv_device *dev, struct udrv_dma_buf *buf))
{
	long pg = getpagesize();
	size_t len = (size + pg - 1) & ~(size_t)(pg - 1);
	void *mem = MAP_FAILED;
	int ret;

	if (len >= UDRV_HUGE_2M) {
		size_t hlen = (len + UDRV_HUGE_2M - 1) & ~(UDRV_HUGE_2M - 1);

		mem = mmap(NULL, hlen, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
		if (mem != MAP_FAILED)
			len = hlen;
	}
	if (mem == MAP_FAILED)
		mem = mmap_aligned(len, natural_align(len));
	if (mem == MAP_FAILED)
		return udrv_err(errno, "%s: cannot allocate %zu bytes for DMA: %s", dev->name, len,
				strerror(errno));
	buf->pub.vaddr = mem;
	buf->pub.size = len;
	ret = map(dev, buf);
	if (ret) {
		munmap(mem, len);
		return ret;
	}
	buf->map_base = mem;
	buf->map_len = len;
	return 0;
}

static int udrv_vfio_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	return udrv_vfio_dma_alloc_mapped(dev, size, buf, udrv_vfio_dma_map);
}

static int udrv_vfio_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = buf->pub.iova,
		.size = buf->pub.size,
	};
	int ret = 0;

	if (!ioctl(udrv_vfio(dev)->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		udrv_vfio_iova_free(dev, buf->pub.iova, buf->pub.size);
	else
		/* The IOVA stays reserved: never reuse a live mapping.  dma.c reports it. */
		ret = -errno;
	if (buf->map_base && munmap(buf->map_base, buf->map_len) && !ret)
		ret = -errno;
	return ret;
}

/*
 * No-IOMMU DMA: the device sees physical addresses, so a buffer is one
 * locked huge page found through pagemap (core/phys_dma.c), as for
 * uio_pci_generic.
 */
static int noiommu_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	if (size > UDRV_HUGE_2M)
		return udrv_err(EINVAL, "%s: no-IOMMU VFIO DMA buffers are one 2 MiB huge page at most (%zu bytes asked for): without an IOMMU a buffer must be physically contiguous",
				dev->name, size);
	return udrv_phys_dma_alloc(dev, buf);
}

/* The DMA ops, dispatching on the device's mode (here, so type1's path is one call). */
int udrv_vfio_mode_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	switch (udrv_vfio(dev)->mode) {
	case UDRV_VFIO_IOMMUFD:
		return udrv_iommufd_dma_alloc(dev, size, buf);
	case UDRV_VFIO_NOIOMMU:
		return noiommu_dma_alloc(dev, size, buf);
	default:
		return udrv_vfio_dma_alloc(dev, size, buf);
	}
}

int udrv_vfio_mode_dma_map(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	switch (udrv_vfio(dev)->mode) {
	case UDRV_VFIO_IOMMUFD:
		return udrv_iommufd_dma_map(dev, buf);
	case UDRV_VFIO_NOIOMMU:
		return udrv_err(ENOTSUP, "%s: mapping the caller's memory needs an IOMMU (no-IOMMU VFIO: the device sees physical addresses, and the memory need not be contiguous): use udrv_dma_alloc()",
				dev->name);
	default:
		return udrv_vfio_dma_map(dev, buf);
	}
}

int udrv_vfio_mode_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	switch (udrv_vfio(dev)->mode) {
	case UDRV_VFIO_IOMMUFD:
		return udrv_iommufd_dma_free(dev, buf);
	case UDRV_VFIO_NOIOMMU:
		return udrv_phys_dma_free(buf);
	default:
		return udrv_vfio_dma_free(dev, buf);
	}
}
