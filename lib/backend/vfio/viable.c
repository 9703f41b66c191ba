// SPDX-License-Identifier: MIT
/*
 * Whether an IOMMU group can be used through VFIO: the kernel lets user
 * space have a group only when every function in it is on a driver that
 * leaves DMA to VFIO (driver_managed_dma: vfio-pci and its variants,
 * pci-stub, pcieport) or on none.  udrv_bind() checks before binding, and
 * the VFIO backend explains a group the kernel calls not viable: one rule,
 * one message.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vfio.h"

static bool leaves_group_usable(const char *driver)
{
	return !*driver ||
	       udrv_access_path_for_driver(driver)->backend == UDRV_BACKEND_VFIO ||
	       !strcmp(driver, "pci-stub") || !strcmp(driver, "pcieport");
}

int udrv_vfio_group_viable(const char *name, int group, const char *driver)
{
	char path[PATH_MAX], others[256] = "", drv[64];
	struct dirent *de;
	size_t used = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices", udrv_sysfs_root(), group);
	dir = opendir(path);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, name))
			continue;
		udrv_sysfs_driver(de->d_name, drv, sizeof(drv));
		if (leaves_group_usable(drv) || used >= sizeof(others))
			continue;
		used += snprintf(others + used, sizeof(others) - used, "%s%s (%s)",
				 used ? ", " : "", de->d_name, drv);
	}
	if (dir)
		closedir(dir);
	if (!used)
		return 0;
	return udrv_err(EBUSY,
			"%s: IOMMU group %d is not viable for %s: %s %s; bind every function of the group to vfio-pci (or unbind them) first",
			name, group, driver, others,
			strchr(others, ',') ? "are bound to host drivers" : "is bound to a host driver");
}
