// SPDX-License-Identifier: MIT
/*
 * DMA buffers at physical addresses, for the paths where no IOMMU
 * translates: uio_pci_generic (which has no DMA support of its own) and
 * VFIO's no-IOMMU mode (whose container maps nothing).  One 2 MiB huge page
 * per buffer (physically contiguous, never swapped), locked, its physical
 * address read from /proc/self/pagemap, which shows it only to
 * CAP_SYS_ADMIN; pages above the device's DMA mask are skipped.  Whether
 * physical addresses are bus addresses (no translating IOMMU) is the
 * caller's to check.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "udrv_internal.h"

/*
 * /proc/self/pagemap entries (Documentation/admin-guide/mm/pagemap.rst; no
 * UAPI header defines them): bit 63 "page present", bits 0-54 the page
 * frame number, 0 when hidden from the reader.
 */
#define PAGEMAP_PRESENT  (1ULL << 63)
#define PAGEMAP_PFN_MASK ((1ULL << 55) - 1)
#define TRIES 8   /* huge pages tried for one that fits under the mask */

static int phys_addr(struct udrv_device *dev, void *va, uint64_t *phys)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t entry;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 && (errno == EACCES || errno == EPERM))
		return udrv_err(EPERM, "%s: /proc/self/pagemap is not readable: physical addresses need root (CAP_SYS_ADMIN)",
				dev->name);
	if (fd < 0)
		return udrv_err(errno, "%s: cannot open /proc/self/pagemap: %s", dev->name,
				strerror(errno));
	n = pread(fd, &entry, sizeof(entry), (uintptr_t)va / pg * sizeof(entry));
	close(fd);
	if (n != sizeof(entry) || !(entry & PAGEMAP_PRESENT))
		return udrv_err(EIO, "%s: the DMA page is not present in pagemap", dev->name);
	if (!(entry & PAGEMAP_PFN_MASK))
		return udrv_err(EPERM, "%s: /proc/self/pagemap hides physical addresses: run as root (CAP_SYS_ADMIN)",
				dev->name);
	*phys = (entry & PAGEMAP_PFN_MASK) * pg;
	return 0;
}

int udrv_phys_dma_alloc(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	void *pages[TRIES];
	uint64_t phys = 0, limit = udrv_dma_limit(dev);
	int i, n, ret = 0, found = -1;

	for (n = 0; n < TRIES && found < 0; n++) {
		pages[n] = mmap(NULL, UDRV_HUGE_2M, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB | MAP_POPULATE |
				MAP_LOCKED, -1, 0);
		if (pages[n] == MAP_FAILED) {
			ret = n ? udrv_err(ENOSPC, "%s: no huge page below the %llu-bit DMA mask among %d tried (lowest at 0x%llx)",
					   dev->name, (unsigned long long)__builtin_popcountll(limit), n,
					   (unsigned long long)phys) :
				  udrv_err(ENOMEM, "%s: no free 2 MiB huge page: configure some, e.g. echo 64 > /proc/sys/vm/nr_hugepages",
					   dev->name);
			break;
		}
		ret = phys_addr(dev, pages[n], &phys);
		if (ret) {
			n++;
			break;
		}
		if (phys + UDRV_HUGE_2M - 1 <= limit)
			found = n;
	}
	for (i = 0; i < n; i++)
		if (i != found && pages[i] != MAP_FAILED)
			munmap(pages[i], UDRV_HUGE_2M);
	if (found < 0) {
		if (!ret)
			ret = udrv_err(ENOSPC, "%s: none of %d huge pages lies below the device's DMA mask (0x%llx)",
				       dev->name, n, (unsigned long long)limit);
		return ret;
	}
	buf->pub.vaddr = pages[found];
	buf->pub.iova = phys;
	buf->pub.size = UDRV_HUGE_2M;
	buf->map_base = pages[found];
	buf->map_len = UDRV_HUGE_2M;
	return 0;
}

int udrv_phys_dma_free(struct udrv_dma_buf *buf)
{
	return munmap(buf->map_base, buf->map_len) ? -errno : 0;
}
