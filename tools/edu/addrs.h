/* SPDX-License-Identifier: MIT */
/*
 * What the kernel tells a process about its addresses: /proc/self/maps,
 * smaps and pagemap for virtual addresses, /proc/iomem and sysfs for
 * physical ones.  Every function returns 0 or a negative errno.
 */
#ifndef EDU_ADDRS_H
#define EDU_ADDRS_H

#include <stddef.h>
#include <stdint.h>

/* One /proc/self/maps line, parsed. */
struct addrs_vma {
	uint64_t start, end; /* [start, end) */
	uint64_t offset;     /* the mapping's file offset (vm_pgoff in bytes) */
	char path[256];      /* backing file or [name], "" for anonymous memory */
	char line[512];      /* the line, runs of blanks squeezed to one */
};

/* A closed range [start, end] of physical or bus addresses. */
struct addrs_range {
	uint64_t start, end;
};

/* The mapping that contains @va.  -ENOENT if none. */
int addrs_vma(const void *va, struct addrs_vma *vma);

/*
 * KernelPageSize (bytes) and VmFlags (two-letter codes: "pf" PFN map, "io"
 * I/O memory, "ht" hugetlb, "lo" locked ...) of the mapping that contains
 * @va, from /proc/self/smaps.
 */
int addrs_smaps(const void *va, uint64_t *page_size, char *flags, size_t flags_len);

/*
 * The page frame number /proc/self/pagemap gives for the page of @va.
 * -ENOENT: no present page there, e.g. a PFN-mapped (VM_PFNMAP) range such
 * as a BAR or a dma-buf, which the kernel's page walker does not enter;
 * -EPERM: the PFN reads as 0 because the caller lacks CAP_SYS_ADMIN.
 */
int addrs_pfn(const void *va, uint64_t *pfn);

/*
 * The /proc/iomem entry named @name that contains @addr, and the name of the
 * entry nested directly inside it (who claimed it; "" if nobody).  -ENOENT
 * if there is none; -EPERM if /proc/iomem shows zeros (not CAP_SYS_ADMIN).
 */
int addrs_iomem(const char *name, uint64_t addr, struct addrs_range *r, char *child,
		size_t child_len);

/* Line @bar of /sys/bus/pci/devices/@dev/resource.  -ENOENT if unassigned. */
int addrs_sysfs_resource(const char *dev, unsigned int bar, struct addrs_range *r,
			 uint64_t *flags);

/* The driver @dev is bound to ("" if none). */
int addrs_driver(const char *dev, char *name, size_t len);

/* @dev's IOMMU group number and its type (e.g. "DMA-FQ", "identity").
 * -ENOENT: the device has no IOMMU group (no IOMMU). */
int addrs_iommu(const char *dev, char *group, size_t group_len, char *type, size_t type_len);

/* The physical address of map @map of /dev/@uio (sysfs maps/mapN/addr). */
int addrs_uio_map(const char *uio, unsigned int map, uint64_t *addr);

#endif /* EDU_ADDRS_H */
