// SPDX-License-Identifier: MIT
/*
 * edu explain: one DMA buffer and BAR0 followed through every address they
 * have (docs/address-spaces.md walks through its output).
 *
 * DMA buffer: user VA -> the /proc/self/maps line holding it -> the PFNs
 * pagemap gives for its first and last page -> the address the device is
 * given, equal to the physical one unless an IOMMU translates it.
 * BAR0: user VA -> maps line (which file backs the mapping, at what offset)
 * -> the physical address that mapping reaches -> the BAR's range in sysfs
 * and /proc/iomem.  Then edu's DMA engine copies bytes out of the buffer's
 * first page and back into its last page through the printed device
 * addresses, and the CPU finds them at the printed VA.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addrs.h"
#include "edu_regs.h"
#include "explain.h"

#define BUF_SIZE  8192 /* two pages, so the first and last page differ on every path */
#define PROOF_LEN 256
#define VFIO_INDEX_SHIFT 40 /* vfio-pci's region offsets: index << 40 */

static uint64_t pg;

static void __attribute__((format(printf, 2, 3))) row(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("  %-21s: ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Whether smaps' VmFlags @flags hold the two-letter code @code. */
static int has_flag(const char *flags, const char *code)
{
	const char *p;

	for (p = flags; (p = strstr(p, code)); p += 2)
		if ((p == flags || p[-1] == ' ') && (p[2] == ' ' || !p[2]))
			return 1;
	return 0;
}

/* The smaps row of the mapping holding @va; its VmFlags go to @flags. */
static void smaps_row(const void *va, char *flags, size_t len)
{
	static const char *const notes[][2] = {
		{ "ht", "hugetlb" }, { "lo", "locked" }, { "io", "I/O" }, { "pf", "PFN map" },
	};
	char text[64] = "";
	uint64_t psize;
	size_t i;
	int ret = addrs_smaps(va, &psize, flags, len);

	if (ret) {
		*flags = '\0';
		row("smaps", "unreadable: %s", strerror(-ret));
		return;
	}
	for (i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
		if (has_flag(flags, notes[i][0]))
			snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s%s: %s",
				 *text ? ", " : " (", notes[i][0], notes[i][1]);
	row("smaps", "%" PRIu64 " kB pages; VmFlags %s%s", psize / 1024, flags,
	    *text ? strcat(text, ")") : "");
}

static const char *pfn_why(int err, const char *flags)
{
	if (err == -ENOENT && has_flag(flags, "pf"))
		return "no PFN: pagemap does not walk PFN maps (VmFlags pf, VM_PFNMAP)";
	if (err == -ENOENT)
		return "no PFN: no page present";
	if (err == -EPERM)
		return "PFN hidden: pagemap shows PFNs only to CAP_SYS_ADMIN (run as root)";
	return strerror(-err);
}

/* 1 if an IOMMU translates the device's DMA, 0 if not, -1 if unknown. */
static int iommu_row(const char *dev)
{
	char group[32], type[32];
	int ret = addrs_iommu(dev, group, sizeof(group), type, sizeof(type));

	if (ret == -ENOENT) {
		row("IOMMU", "none: the device is in no IOMMU group");
		return 0;
	}
	if (ret) {
		row("IOMMU", "unknown: %s", strerror(-ret));
		return -1;
	}
	if (!strcmp(type, "identity")) {
		row("IOMMU", "group %s, type identity: passthrough, no translation", group);
		return 0;
	}
	row("IOMMU", "group %s, type %s: translates the device's addresses", group, type);
	return strcmp(type, "unknown") ? 1 : -1;
}

static void page_row(const char *label, const char *va, int err, uint64_t pfn,
		     const char *flags)
{
	if (err)
		row(label, "VA %p, %s", (const void *)va, pfn_why(err, flags));
	else
		row(label, "VA %p, PFN 0x%" PRIx64 ", physical 0x%" PRIx64, (const void *)va, pfn,
		    pfn * pg);
}

/* Device address against physical, once the IOMMU question is answered. */
static int bus_vs_phys(const struct udrv_dma *buf, int iommu, int err, uint64_t pfn0,
		       uint64_t pfn1, const char *flags)
{
	uint64_t last = buf->iova + buf->size - pg;
	struct addrs_range ram;
	char child[64];
	int ret;

	if (iommu == 1 && !err) {
		row("device vs physical", "%s: the IOMMU maps IOVA 0x%" PRIx64 " to 0x%" PRIx64 ", 0x%" PRIx64 " to 0x%" PRIx64,
		    buf->iova != pfn0 * pg ? "differ" : "equal by chance", buf->iova, pfn0 * pg,
		    last, pfn1 * pg);
		return 0;
	}
	if (iommu == 0 && !err) {
		if (buf->iova == pfn0 * pg && last == pfn1 * pg) {
			row("device vs physical", "equal: without an IOMMU the device gets physical addresses");
			return 0;
		}
		row("device vs physical", "MISMATCH: without an IOMMU the device needs the physical address");
		return 1;
	}
	if (iommu == 0 && err == -ENOENT) {
		/* Not visible to pagemap; a physical address must at least be RAM. */
		ret = addrs_iomem("System RAM", buf->iova, &ram, child, sizeof(child));
		if (!ret) {
			row("device vs physical", "pagemap cannot show it; 0x%" PRIx64 " is in System RAM %" PRIx64 "-%" PRIx64 " (/proc/iomem), as a physical address must be",
			    buf->iova, ram.start, ram.end);
			return 0;
		}
		row("device vs physical", "%s0x%" PRIx64 " %s", ret == -ENOENT ? "MISMATCH: " : "",
		    buf->iova, ret == -ENOENT ? "is in no System RAM range of /proc/iomem" :
		    "not checkable: /proc/iomem shows zeros without CAP_SYS_ADMIN");
		return 1;
	}
	/*
	 * Left: an unknown IOMMU state, a PFN that could not be read, or (under
	 * an IOMMU) no PFN to show.  Only the last is no failure: an IOMMU maps
	 * the IOVA wherever it likes, and the DMA below proves the mapping.
	 */
	row("device vs physical", "not checkable: %s", err ? pfn_why(err, flags) : "IOMMU state unknown");
	return iommu != 1 || err != -ENOENT;
}

static int explain_dma(struct udrv_device *dev, const struct udrv_dma *buf)
{
	char *va = buf->vaddr, *last = va + buf->size - pg;
	uint64_t pfn0 = 0, pfn1 = 0, pfn, pages = buf->size / pg, i;
	struct addrs_vma vma;
	char flags[160];
	int err0, err1, ret, iommu, contiguous = -1, bad = 0;

	printf("\nDMA buffer (udrv_dma_alloc of %d bytes)\n", BUF_SIZE);
	row("user VA", "%p-%p (%zu bytes)", (void *)va, (void *)(va + buf->size - 1), buf->size);
	ret = addrs_vma(va, &vma);
	row("maps line", "%s", ret ? strerror(-ret) : vma.line);
	bad |= ret != 0;
	smaps_row(va, flags, sizeof(flags));
	err0 = addrs_pfn(va, &pfn0);
	err1 = addrs_pfn(last, &pfn1);
	page_row("first page", va, err0, pfn0, flags);
	page_row("last page", last, err1, pfn1, flags);
	if (!err0 && !err1) {
		for (i = 1; i < pages; i++)
			if (addrs_pfn(va + i * pg, &pfn) || pfn != pfn0 + i)
				break;
		contiguous = i == pages;
		row("physically contiguous", "%s (%" PRIu64 " pages of %" PRIu64 " bytes)",
		    contiguous ? "yes" : "no", pages, pg);
	}
	row("device address", "0x%" PRIx64 " (udrv's iova), last page 0x%" PRIx64, buf->iova,
	    buf->iova + buf->size - pg);
	iommu = iommu_row(udrv_device_name(dev));
	bad |= bus_vs_phys(buf, iommu, err0 ? err0 : err1, pfn0, pfn1, flags);
	/* Only an IOMMU can gather scattered pages into one range of device addresses. */
	if (!contiguous && iommu != 1) {
		row("check", "FAILED: the device reaches the buffer at consecutive addresses, but its pages are not physically contiguous and no IOMMU is known to translate");
		bad = 1;
	}
	return bad;
}

/* The physical address the mapping @vma gives to @va, and where that comes from. */
static int mapping_phys(const struct addrs_vma *vma, const void *va,
			const struct addrs_range *res, uint64_t *phys, char *src, size_t len)
{
	uint64_t in = (uintptr_t)va - vma->start, addr;
	char uio[16];
	int ret;

	if (sscanf(vma->path, "/dev/%15s", uio) == 1 && !strncmp(uio, "uio", 3)) {
		row("mapped through", "%s at offset 0x%" PRIx64 ": UIO map %" PRIu64, vma->path,
		    vma->offset, vma->offset / pg);
		ret = addrs_uio_map(uio, (unsigned int)(vma->offset / pg), &addr);
		snprintf(src, len, "/sys/class/uio/%s/maps/map%" PRIu64 "/addr", uio,
			 vma->offset / pg);
		if (!ret)
			*phys = (addr & ~(pg - 1)) + in;
		return ret;
	}
	if (strstr(vma->path, "vfio")) {
		row("mapped through", "%s: the VFIO device's fd", vma->path);
		if (!res->end)
			return -ENOTSUP;
		if (vma->offset >= res->start && vma->offset <= res->end) {
			/* vfio-pci as in Linux 6.1: vm_pgoff rewritten to the BAR's page frame */
			snprintf(src, len, "the maps offset: vfio-pci put the BAR's page frame there");
			*phys = vma->offset + in;
			return 0;
		}
		if (vma->offset >> VFIO_INDEX_SHIFT)
			return -ENOTSUP; /* another region than BAR0's */
		/* vfio-pci that keeps the region offset (index << 40; BAR0 is index 0) */
		snprintf(src, len, "the maps offset 0x%" PRIx64 " is into VFIO region 0: sysfs start + it",
			 vma->offset);
		*phys = res->start + vma->offset + in;
		return 0;
	}
	if (!strncmp(vma->path, "/dev/udrv/", 10) && res->end) {
		/* udrv_stub's control device: UDRV_STUB_MMAP_OFFSET(bar, flags) + offset */
		uint64_t bar = vma->offset >> 40, inner = vma->offset & ((1ULL << 39) - 1);

		row("mapped through", "%s at offset 0x%" PRIx64 ": BAR%" PRIu64 "%s + 0x%" PRIx64,
		    vma->path, vma->offset, bar, vma->offset >> 39 & 1 ? " (write-combining)" : "",
		    inner);
		if (bar != 0)
			return -ENOTSUP; /* another BAR than BAR0 */
		snprintf(src, len, "the sysfs resource start + the offset into the BAR");
		*phys = (res->start & ~(pg - 1)) + inner + in;
		return 0;
	}
	if (strstr(vma->path, "/resource") && res->end) {
		row("mapped through", "%s at offset 0x%" PRIx64, vma->path, vma->offset);
		snprintf(src, len, "the sysfs resource start + the maps offset");
		*phys = res->start + vma->offset + in;
		return 0;
	}
	row("mapped through", "%s", vma->path);
	return -ENOTSUP;
}

static int explain_bar(struct edu *e)
{
	const char *name = udrv_device_name(e->dev);
	struct addrs_range res = { 0, 0 }, iomem;
	struct udrv_bar_info info;
	struct addrs_vma vma;
	uint64_t resflags = 0, phys = 0, pfn;
	char src[128] = "", child[64], flags[160] = "";
	int ret, res_err, iomem_err, phys_err = -ENOENT;
	uint32_t ident;

	printf("\nBAR0\n");
	if (udrv_bar_info(e->dev, 0, &info))
		return edu_fail("describing BAR0");
	row("size", "0x%" PRIx64 " bytes, %s memory, %sprefetchable", info.size,
	    info.flags & UDRV_BAR_MEM64 ? "64-bit" : "32-bit",
	    info.flags & UDRV_BAR_PREFETCH ? "" : "non-");
	ident = udrv_read32(e->bar0, EDU_REG_IDENT);
	row("user VA", "%p (touched: ident reads 0x%08x)", e->bar0, ident);
	res_err = addrs_sysfs_resource(name, 0, &res, &resflags);
	ret = addrs_vma(e->bar0, &vma);
	row("maps line", "%s", ret ? strerror(-ret) : vma.line);
	if (!ret)
		phys_err = mapping_phys(&vma, e->bar0, &res, &phys, src, sizeof(src));
	smaps_row(e->bar0, flags, sizeof(flags));
	ret = addrs_pfn(e->bar0, &pfn);
	if (ret)
		row("pagemap", "%s", pfn_why(ret, flags));
	else
		row("pagemap", "PFN 0x%" PRIx64 ", physical 0x%" PRIx64, pfn, pfn * pg);
	if (phys_err && !ret) { /* a kernel whose pagemap does show it */
		phys = pfn * pg + (uintptr_t)e->bar0 % pg;
		snprintf(src, sizeof(src), "pagemap");
		phys_err = 0;
	}
	if (phys_err)
		row("physical", "unknown: %s", strerror(-phys_err));
	else
		row("physical", "0x%" PRIx64 " (%s)", phys, src);
	if (res_err)
		row("sysfs resource", "unreadable: %s", strerror(-res_err));
	else
		row("sysfs resource", "0x%" PRIx64 "-0x%" PRIx64 " flags 0x%" PRIx64 " (line 0 of /sys/bus/pci/devices/%s/resource)",
		    res.start, res.end, resflags, name);
	iomem_err = res_err ? res_err : addrs_iomem(name, res.start, &iomem, child, sizeof(child));
	if (iomem_err == -EPERM)
		row("/proc/iomem", "hidden: it shows zeros without CAP_SYS_ADMIN (run as root)");
	else if (iomem_err)
		row("/proc/iomem", "no entry named %s: %s", name, strerror(-iomem_err));
	else
		row("/proc/iomem", "%" PRIx64 "-%" PRIx64 " : %s, claimed by %s", iomem.start,
		    iomem.end, name, *child ? child : "nobody (no entry nested in it)");
	row("libudrv", "0x%" PRIx64 " (udrv_bar_info)", info.phys);
	if (phys_err || res_err || iomem_err) {
		row("check", "FAILED: the chain has a gap (see above)");
		return 1;
	}
	if (phys != res.start || phys < iomem.start || phys + info.size - 1 > iomem.end ||
	    (info.phys && info.phys != res.start)) {
		row("check", "FAILED: the mapping reaches 0x%" PRIx64 ", the BAR is 0x%" PRIx64 "-0x%" PRIx64,
		    phys, res.start, res.end);
		return 1;
	}
	row("check", "ok: the mapping reaches the BAR's first byte, inside its /proc/iomem range");
	return 0;
}

static const char *hex(const unsigned char *p, char *out)
{
	int i;

	for (i = 0; i < 8; i++)
		sprintf(out + 3 * i, "%02x ", p[i]);
	sprintf(out + 24, "... (%d bytes)", PROOF_LEN);
	return out;
}

/* udrv_dma_sync_for_cpu() or _for_device() (@to_cpu), with a row if it fails. */
static int proof_sync(struct edu *e, struct udrv_dma *buf, int to_cpu)
{
	int ret = to_cpu ? udrv_dma_sync_for_cpu(e->dev, buf) : udrv_dma_sync_for_device(e->dev, buf);

	if (ret)
		row("check", "FAILED: syncing the buffer for the %s: %s", to_cpu ? "CPU" : "device",
		    udrv_last_error());
	return ret;
}

/* edu copies PROOF_LEN bytes from the first page to its buffer, then to the last page. */
static int explain_proof(struct edu *e, struct udrv_dma *buf)
{
	unsigned char want[PROOF_LEN], *first = buf->vaddr, *last = first + buf->size - pg;
	uint64_t first_bus = buf->iova, last_bus = buf->iova + buf->size - pg;
	unsigned int seed = (unsigned int)time(NULL);
	char text[64];
	int i;

	printf("\nDMA through these addresses (edu's DMA engine)\n");
	for (i = 0; i < PROOF_LEN; i++)
		want[i] = first[i] = (unsigned char)rand_r(&seed);
	row("CPU wrote", "VA %p: %s", (void *)first, hex(first, text));
	if (proof_sync(e, buf, 0) || edu_dma_run(e, first_bus, EDU_BUF_ADDR, PROOF_LEN, 0))
		return 1;
	row("device read", "bus 0x%" PRIx64 " -> its buffer at 0x%x", first_bus, EDU_BUF_ADDR);
	memset(first, 0, PROOF_LEN);
	memset(last, 0, PROOF_LEN);
	if (proof_sync(e, buf, 0))
		return 1;
	row("CPU cleared", "both pages");
	if (edu_dma_run(e, EDU_BUF_ADDR, last_bus, PROOF_LEN, EDU_DMA_TO_RAM))
		return 1;
	row("device wrote", "its buffer at 0x%x -> bus 0x%" PRIx64 " (last page)", EDU_BUF_ADDR,
	    last_bus);
	if (proof_sync(e, buf, 1))
		return 1;
	row("CPU read", "VA %p: %s", (void *)last, hex(last, text));
	if (memcmp(last, want, PROOF_LEN)) {
		row("check", "FAILED: the bytes at VA %p are not those sent", (void *)last);
		return 1;
	}
	row("check", "ok: what the device wrote to bus 0x%" PRIx64 " is at VA %p", last_bus,
	    (void *)last);
	return 0;
}

int edu_explain(struct edu *e)
{
	const char *name = udrv_device_name(e->dev);
	struct udrv_dma *buf;
	char driver[64];
	int bad;

	pg = (uint64_t)sysconf(_SC_PAGESIZE);
	if (edu_dma_setup(e, BUF_SIZE, &buf))
		return edu_fail("setting up DMA");
	if (addrs_driver(name, driver, sizeof(driver)) || !*driver)
		snprintf(driver, sizeof(driver), "no driver");
	printf("edu %s via %s, bound to %s\n", name, udrv_backend_name(udrv_backend(e->dev)),
	       driver);
	bad = explain_dma(e->dev, buf);
	bad |= explain_bar(e);
	bad |= explain_proof(e, buf);
	bad |= edu_dma_teardown(e, buf);
	if (bad)
		fprintf(stderr, "edu: explain: an address could not be read or a check failed (see above)\n");
	return bad;
}
