// SPDX-License-Identifier: MIT
/*
 * DMA mapping throughput on VFIO: map and unmap T bytes of the caller's
 * memory in buffers of 4 KiB or 2 MiB (huge pages), with udrv_dma_map() /
 * udrv_dma_free() against raw VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA
 * ioctls on the same memory and the same container (the one libudrv
 * opened, found through /proc/self/fd).  Buffers are unmapped in the order
 * they were mapped.  Rounds alternate udrv and raw; the figure is the median.
 *
 * It also counts the VFIO_IOMMU_MAP_DMA calls libudrv makes (this program
 * defines ioctl(), which the shared library's calls resolve to) to check
 * that a 2 MiB huge-page buffer is one IOMMU mapping, at a 2 MiB-aligned
 * IOVA, and reads whether the IOMMU maps 2 MiB superpages.
 *
 * Runs in the udrv-vm guest, profile vfio: UDRV_EDU names the device.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <udrv/udrv.h>

#include "bench.h"

#define KiB (1ul << 10)
#define MiB (1ul << 20)
#define GiB (1ul << 30)
#define RAW_IOVA (1ull << 36) /* udrv's mask is set to 36 bits: no overlap */

static const char usage[] =
	"usage: bench_dmamap [--json] [--quick] [--samples N] [--max-total BYTES]\n"
	"udrv_dma_map/udrv_dma_free against raw VFIO_IOMMU_MAP_DMA/UNMAP_DMA ioctls\n"
	"on edu (UDRV_EDU, bound to vfio-pci), 4 KiB..1 GiB in 4 KiB and 2 MiB buffers.\n"
	"  --max-total B  largest total to map (default 1 GiB, --quick 4 MiB)\n";

static unsigned long map_calls;
static int container = -1;

/* Count the VFIO map calls anyone in the process makes on the container. */
int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
	if (fd == container && req == VFIO_IOMMU_MAP_DMA)
		map_calls++;
	return real(fd, req, arg);
}

static int find_container(void)
{
	char link[300], target[64];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int fd = -1;

	while (d && (de = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (!strcmp(target, "/dev/vfio/vfio"))
				fd = atoi(de->d_name);
		}
	}
	if (d)
		closedir(d);
	return fd;
}

/* Map then unmap [mem, mem + total) in @bs pieces; seconds, or < 0 on error. */
static double run_udrv(struct udrv_device *dev, char *mem, size_t total, size_t bs,
		       struct udrv_dma **bufs)
{
	size_t i, n = total / bs;
	uint64_t t0 = bench_now_ns();

	for (i = 0; i < n; i++)
		if (udrv_dma_map(dev, mem + i * bs, bs, &bufs[i])) {
			fprintf(stderr, "bench_dmamap: %s\n", udrv_last_error());
			while (i--)
				udrv_dma_free(dev, bufs[i]);
			return -1;
		}
	for (i = 0; i < n; i++)
		udrv_dma_free(dev, bufs[i]);
	return (double)(bench_now_ns() - t0) / 1e9;
}

static double run_raw(char *mem, size_t total, size_t bs)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.size = bs,
	};
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .size = bs };
	size_t i, n = total / bs;
	uint64_t t0 = bench_now_ns();

	for (i = 0; i < n; i++) {
		map.vaddr = (uintptr_t)(mem + i * bs);
		map.iova = RAW_IOVA + i * bs;
		if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) {
			perror("bench_dmamap: VFIO_IOMMU_MAP_DMA");
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		unmap.iova = RAW_IOVA + i * bs;
		if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
			perror("bench_dmamap: VFIO_IOMMU_UNMAP_DMA");
			return -1;
		}
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static void fmt_size(char *buf, size_t len, size_t b)
{
	if (b >= GiB)
		snprintf(buf, len, "%zu GiB", b / GiB);
	else if (b >= MiB)
		snprintf(buf, len, "%zu MiB", b / MiB);
	else
		snprintf(buf, len, "%zu KiB", b / KiB);
}

/* One row: @total in @bs buffers, rounds alternating udrv and raw. */
static int measure(struct bench_report *r, struct udrv_device *dev, char *mem, size_t total,
		   size_t bs, long samples)
{
	size_t n = total / bs;
	/* Enough rounds for ~64 MiB each way (at least 3, at most 101). */
	long rounds = samples ? samples : (long)(64 * MiB / total);
	struct udrv_dma **bufs = calloc(n, sizeof(*bufs));
	double *tu = calloc((size_t)(rounds < 3 ? 3 : rounds > 101 ? 101 : rounds), sizeof(double));
	double *tr = NULL;
	char name[64], ts[16], bss[16], note[128];
	struct bench_stats su, sr;
	int ret = -ENOMEM;

	rounds = rounds < 3 ? 3 : rounds > 101 ? 101 : rounds;
	tr = calloc((size_t)rounds, sizeof(double));
	if (!bufs || !tu || !tr)
		goto out;
	for (long k = 0; k < rounds; k++) {
		tu[k] = run_udrv(dev, mem, total, bs, bufs);
		tr[k] = run_raw(mem, total, bs);
		if (tu[k] < 0 || tr[k] < 0) {
			ret = -EIO;
			goto out;
		}
	}
	bench_stats(tu, (size_t)rounds, &su);
	bench_stats(tr, (size_t)rounds, &sr);
	fmt_size(ts, sizeof(ts), total);
	fmt_size(bss, sizeof(bss), bs);
	snprintf(name, sizeof(name), "%s in %s", ts, bss);
	snprintf(note, sizeof(note), "%zu buffers, %.1f / %.1f us per map+unmap, %ld rounds", n,
		 su.median * 1e6 / (double)n, sr.median * 1e6 / (double)n, rounds);
	/* Throughput: bytes mapped and unmapped per second. */
	ret = bench_add(r, name, "MiB/s", (double)total / MiB / su.median,
			(double)total / MiB / sr.median, BENCH_AT_LEAST, 0.95, note);
out:
	free(bufs);
	free(tu);
	free(tr);
	return ret;
}

static int write_num(const char *path, long v)
{
	char s[32];
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	snprintf(s, sizeof(s), "%ld", v);
	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret;
}

static long read_num(const char *path, int base)
{
	char s[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(s, sizeof(s), f))
		s[0] = '\0';
	fclose(f);
	return s[0] ? strtol(s, NULL, base) : -1;
}

/* Huge-page rows: memory from MAP_HUGETLB, mapping calls counted. */
static int hugepage_rows(struct bench_report *r, struct udrv_device *dev, size_t max_total,
			 long samples, char *extra, size_t len)
{
	static const char nr[] = "/proc/sys/vm/nr_hugepages";
	long before = read_num(nr, 10), want = (long)(max_total / (2 * MiB));
	unsigned long calls;
	struct udrv_dma *buf;
	size_t total;
	char *mem;
	int ret;

	if (want < 1)
		want = 1;
	write_num(nr, before + want);
	mem = mmap(NULL, want * 2 * MiB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "bench_dmamap: %ld huge pages of 2 MiB: %s (give the guest more "
				"memory: udrv-vm --mem)\n", want, strerror(errno));
		write_num(nr, before);
		return -ENOMEM;
	}
	/* One huge page = one VFIO mapping, at a 2 MiB-aligned IOVA. */
	calls = map_calls;
	ret = udrv_dma_map(dev, mem, 2 * MiB, &buf);
	if (!ret) {
		calls = map_calls - calls;
		ret = bench_add(r, "2 MiB huge page: map calls", "calls", (double)calls, 1,
				BENCH_AT_MOST, 1.0, buf->iova % (2 * MiB) ? "IOVA NOT 2 MiB-aligned" :
				"IOVA 2 MiB-aligned");
		snprintf(extra, len, "huge page buffer: IOVA 0x%llx",
			 (unsigned long long)buf->iova);
		udrv_dma_free(dev, buf);
	}
	/* The same for udrv's own allocation of a 2 MiB buffer. */
	calls = map_calls;
	if (!ret && !(ret = udrv_dma_alloc(dev, 2 * MiB, &buf))) {
		calls = map_calls - calls;
		ret = bench_add(r, "udrv_dma_alloc 2 MiB: map calls", "calls", (double)calls, 1,
				BENCH_AT_MOST, 1.0, buf->iova % (2 * MiB) ? "IOVA NOT 2 MiB-aligned" :
				"IOVA 2 MiB-aligned");
		udrv_dma_free(dev, buf);
	}
	for (total = 2 * MiB; !ret && total <= max_total; total *= 8)
		ret = measure(r, dev, mem, total, 2 * MiB, samples);
	if (!ret && total / 8 < max_total)
		ret = measure(r, dev, mem, max_total, 2 * MiB, samples);
	munmap(mem, want * 2 * MiB);
	write_num(nr, before);
	return ret;
}

int main(int argc, char **argv)
{
	const char *addr = getenv("UDRV_EDU");
	struct udrv_device *dev = NULL;
	struct bench_report r;
	struct bench_opts o;
	size_t max_total = 0, total;
	char extra[512], huge[128] = "";
	long cap;
	char *mem;
	int ret;

	argc = bench_parse(argc, argv, &o, usage);
	if (argc <= 0)
		return argc ? 2 : 0;
	for (int k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--max-total") && k + 1 < argc) {
			max_total = strtoul(argv[++k], NULL, 0);
			if (max_total < 4 * KiB) {
				fprintf(stderr, "bench_dmamap: --max-total %s: give bytes >= 4096\n",
					argv[k]);
				return 2;
			}
		} else {
			fprintf(stderr, "bench_dmamap: unknown argument '%s'\n%s", argv[k], usage);
			return 2;
		}
	}
	if (!max_total)
		max_total = o.quick ? 4 * MiB : GiB;
	if (!addr) {
		fprintf(stderr, "bench_dmamap: UDRV_EDU is not set: run it in udrv-vm --profile vfio\n");
		return 2;
	}
	/*
	 * 1 GiB in 4 KiB pieces is 262,144 mappings, above type1's default
	 * limit; a container takes the limit when it is opened, so raise it first.
	 */
	cap = read_num("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit", 10);
	if (cap >= 0 && (size_t)cap < 2 * (max_total / (4 * KiB)) &&
	    write_num("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit",
		      (long)(2 * (max_total / (4 * KiB)))))
		fprintf(stderr, "bench_dmamap: cannot raise vfio_iommu_type1's dma_entry_limit "
				"(%ld): totals above %ld MiB in 4 KiB buffers will fail\n", cap,
			cap * 4 / 1024);
	ret = udrv_open(addr, NULL, &dev);
	if (ret) {
		fprintf(stderr, "bench_dmamap: %s\n", udrv_last_error());
		return 1;
	}
	if (udrv_backend(dev) != UDRV_BACKEND_VFIO) {
		fprintf(stderr, "bench_dmamap: %s is on the %s path: mapping the caller's memory "
				"needs VFIO (udrv-vm --profile vfio)\n", addr,
			udrv_backend_name(udrv_backend(dev)));
		udrv_close(dev);
		return 2;
	}
	container = find_container();
	/* No DMA is done: a 36-bit mask lets 1 GiB fit below RAW_IOVA. */
	ret = udrv_dma_set_mask(dev, 36);
	mem = mmap(NULL, max_total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ret || container < 0 || mem == MAP_FAILED) {
		fprintf(stderr, "bench_dmamap: %s\n", ret ? udrv_last_error() :
			container < 0 ? "libudrv's VFIO container fd not found in /proc/self/fd" :
			"cannot allocate the memory to map (udrv-vm --mem)");
		if (mem != MAP_FAILED)
			munmap(mem, max_total);
		udrv_close(dev);
		return 1;
	}
	bench_begin(&r, "dma map+unmap", "udrv", "raw", o.json);
	for (total = 4 * KiB; !ret && total <= max_total; total *= 16)
		ret = measure(&r, dev, mem, total, 4 * KiB, o.samples);
	if (!ret && total / 16 < max_total)
		ret = measure(&r, dev, mem, max_total, 4 * KiB, o.samples);
	munmap(mem, max_total);
	if (!ret)
		ret = hugepage_rows(&r, dev, max_total, o.samples, huge, sizeof(huge));
	udrv_close(dev);
	snprintf(extra, sizeof(extra),
		 "IOMMU 2 MiB superpages (VT-d cap SLLPS bit 34): %s; %s",
		 read_num("/sys/class/iommu/dmar0/intel-iommu/cap", 16) < 0 ? "unknown" :
		 (read_num("/sys/class/iommu/dmar0/intel-iommu/cap", 16) >> 34) & 1 ? "yes" : "no",
		 huge);
	if (ret) {
		bench_end(&r, NULL);
		return 1;
	}
	/* Targets are reported (ok/MISSED), not an exit status. */
	bench_end(&r, extra);
	return 0;
}
