// SPDX-License-Identifier: MIT
/*
 * DMA buffers for uio_pci_generic, which has no DMA support of its own:
 * one 2 MiB huge page per buffer at its physical address (core/phys_dma.c,
 * shared with VFIO's no-IOMMU mode).  That address is what the device must
 * use only when no IOMMU translates its DMA, which is checked here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "uio_dev.h"

/* Refuse when an IOMMU translates the device's DMA (physical != bus address). */
static int check_no_iommu(struct udrv_device *dev)
{
	char path[PATH_MAX], type[32];
	int group = udrv_sysfs_iommu_group(dev->name);

	if (group < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/type", udrv_sysfs_root(), group);
	if (udrv_sysfs_read_str(path, type, sizeof(type)) || !strncmp(type, "identity", 8))
		return 0;
	return udrv_err(EINVAL,
			"%s: an IOMMU translates this device's DMA (group %d, type %s): physical addresses are not bus addresses; bind it to vfio-pci instead",
			dev->name, group, type);
}

int udrv_uio_dma_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	int ret;

	if (size > UDRV_HUGE_2M)
		return udrv_err(EINVAL, "%s: uio_pci_generic DMA buffers are one 2 MiB huge page at most (%zu bytes asked for); use vfio-pci or udrv_stub for larger ones",
				dev->name, size);
	ret = check_no_iommu(dev);
	if (ret)
		return ret;
	return udrv_phys_dma_alloc(dev, buf);
}

int udrv_uio_dma_free(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	(void)dev;
	return udrv_phys_dma_free(buf);
}
