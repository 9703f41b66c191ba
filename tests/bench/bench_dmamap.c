// SPDX-License-Identifier: MIT
/*
 * DMA mapping throughput on VFIO: map and unmap T bytes of the caller's
 * memory in buffers of 4 KiB or 2 MiB (huge pages), with udrv_dma_map() /
 * udrv_dma_free() against raw VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA
 * ioctls on the same memory, the same container (the one libudrv opened,
 * found through /proc/self/fd) and the same IOVAs (the raw way reuses the
 * ones libudrv chose in an untimed first round), so the kernel and the
 * IOMMU do the same work both ways.  Buffers are unmapped in the order they
 * were mapped.  Every round times both ways, which one goes first
 * alternating; the figure is the median.
 *
 * It also counts the VFIO_IOMMU_MAP_DMA calls libudrv makes (this program
 * defines ioctl(), which the shared library's calls resolve to) to check
 * that a 2 MiB huge-page buffer is one VFIO mapping at a 2 MiB-aligned
 * IOVA, that udrv_dma_alloc() of 2 MiB gets a huge page (smaps'
 * KernelPageSize), and reads whether the IOMMU maps 2 MiB superpages.
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

static const char usage[] =
	"usage: bench_dmamap [--json] [--quick] [--samples N] [--max-total BYTES]\n"
	"udrv_dma_map/udrv_dma_free against raw VFIO_IOMMU_MAP_DMA/UNMAP_DMA ioctls\n"
	"on edu (UDRV_EDU, bound to vfio-pci), 4 KiB..1 GiB in 4 KiB and 2 MiB buffers.\n"
	"  --max-total B  largest total to map, a multiple of 4096 (default 1 GiB in\n"
	"                 2 MiB buffers, 64 MiB in 4 KiB ones; --quick 4 MiB); rows of\n"
	"                 2 MiB buffers need 2 MiB or more\n"
	"  --samples N    rounds per row, the same for every row (15..101; default 21,\n"
	"                 --quick 3)\n";

static unsigned long map_calls;
static int container = -1;
static bool quick;

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
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
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

/*
 * Map then unmap [mem, mem + total) in @bs pieces; seconds, or < 0 on error.
 * The IOVAs libudrv chose land in @iovas: one load and one store a buffer,
 * timed with the rest (the buffer's cache line is hot).
 */
static double run_udrv(struct udrv_device *dev, char *mem, size_t total, size_t bs,
		       struct udrv_dma **bufs, uint64_t *iovas)
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
	for (i = 0; i < n; i++) {
		iovas[i] = bufs[i]->iova;
		udrv_dma_free(dev, bufs[i]);
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static void unmap_raw(const uint64_t *iovas, size_t n, size_t bs)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .size = bs };

	while (n--) {
		unmap.iova = iovas[n];
		ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);
	}
}

/* The same by hand, at @iovas; seconds, or < 0 on error. */
static double run_raw(char *mem, size_t total, size_t bs, const uint64_t *iovas)
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
		map.iova = iovas[i];
		if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) {
			perror("bench_dmamap: VFIO_IOMMU_MAP_DMA");
			unmap_raw(iovas, i, bs);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		unmap.iova = iovas[i];
		if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
			perror("bench_dmamap: VFIO_IOMMU_UNMAP_DMA");
			unmap_raw(iovas + i + 1, n - i - 1, bs);
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

/* One row: @total (a multiple of @bs) in @bs buffers. */
static int measure(struct bench_report *r, struct udrv_device *dev, char *mem, size_t total,
		   size_t bs, long samples)
{
	size_t n = total / bs;
	/* Equal rounds for every row: 21, or --samples (at least 15; --quick 3). */
	long rounds = samples ? samples : quick ? 3 : 21;
	struct udrv_dma **bufs = calloc(n, sizeof(*bufs));
	uint64_t *iovas = calloc(n, sizeof(*iovas));
	double *tu, *tr, *tq;
	char name[64], ts[16], bss[16], note[160];
	struct bench_stats su, sr, sq;
	int ret = -ENOMEM;

	rounds = rounds < (quick ? 3 : 15) ? (quick ? 3 : 15) : rounds > 101 ? 101 : rounds;
	tu = calloc((size_t)rounds, sizeof(double));
	tr = calloc((size_t)rounds, sizeof(double));
	tq = calloc((size_t)rounds, sizeof(double));
	if (!bufs || !iovas || !tu || !tr || !tq)
		goto out;
	/* Untimed: warms both paths and gives the raw way libudrv's IOVAs. */
	ret = -EIO;
	if (run_udrv(dev, mem, total, bs, bufs, iovas) < 0)
		goto out;
	for (long k = 0; k < rounds; k++) {
		if (k & 1) {
			tr[k] = run_raw(mem, total, bs, iovas);
			tu[k] = tr[k] < 0 ? -1 : run_udrv(dev, mem, total, bs, bufs, iovas);
		} else {
			tu[k] = run_udrv(dev, mem, total, bs, bufs, iovas);
			tr[k] = tu[k] < 0 ? -1 : run_raw(mem, total, bs, iovas);
		}
		if (tu[k] < 0 || tr[k] < 0)
			goto out;
	}
	for (long k = 0; k < rounds; k++)
		tq[k] = tr[k] / tu[k]; /* throughput ratio per round (bench_stats sorts) */
	bench_stats(tq, (size_t)rounds, &sq);
	bench_stats(tu, (size_t)rounds, &su);
	bench_stats(tr, (size_t)rounds, &sr);
	fmt_size(ts, sizeof(ts), total);
	fmt_size(bss, sizeof(bss), bs);
	snprintf(name, sizeof(name), "%s in %s", ts, bss);
	snprintf(note, sizeof(note), "%zu buffers, %.1f / %.1f us per map+unmap, %ld rounds, per-round ratio %.3f..%.3f",
		 n, su.median * 1e6 / (double)n, sr.median * 1e6 / (double)n, rounds, sq.min, sq.max);
	/* Throughput: bytes mapped and unmapped per second. */
	ret = bench_add(r, name, "MiB/s", (double)total / MiB / su.median,
			(double)total / MiB / sr.median, BENCH_AT_LEAST, 0.95, note);
out:
	free(bufs);
	free(iovas);
	free(tu);
	free(tr);
	free(tq);
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

/*
 * Rows of @bs buffers: totals of @bs times 1, @step, @step^2 ... up to
 * @max_total, and @max_total itself (rounded down to whole buffers) if the
 * series misses it.  None if @max_total is below @bs.
 */
static int total_rows(struct bench_report *r, struct udrv_device *dev, char *mem,
		      size_t max_total, size_t bs, size_t step, long samples)
{
	size_t total, last = 0;
	int ret = 0;

	for (total = bs; !ret && total <= max_total; total *= step)
		ret = measure(r, dev, mem, last = total, bs, samples);
	total = max_total / bs * bs;
	if (!ret && total > last)
		ret = measure(r, dev, mem, total, bs, samples);
	return ret;
}

/* The page size backing @p, in KiB (smaps' KernelPageSize), or -1. */
static long page_kib(const void *p)
{
	char line[256];
	unsigned long lo, hi;
	long kib = -1;
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		/* A mapping's first line is "lo-hi perms ...": no field name reads as hex-hex. */
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
		else if (in && sscanf(line, "KernelPageSize: %ld kB", &kib) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kib;
}

/*
 * Rows for one 2 MiB buffer: it took one VFIO map call, its IOVA is 2 MiB
 * aligned (the largest power of two dividing it, capped at 2 MiB), and a
 * 2 MiB page backs it.
 */
static int buffer_rows(struct bench_report *r, const char *what, unsigned long calls,
		       const struct udrv_dma *buf)
{
	uint64_t align = buf->iova & -buf->iova;
	char name[64], note[64];
	int ret;

	snprintf(name, sizeof(name), "%s: VFIO map calls", what);
	ret = bench_add(r, name, "calls", (double)calls, 1, BENCH_EQUAL, 1.0, NULL);
	snprintf(name, sizeof(name), "%s: IOVA alignment", what);
	snprintf(note, sizeof(note), "IOVA 0x%llx", (unsigned long long)buf->iova);
	if (!ret)
		ret = bench_add(r, name, "KiB", (double)((align && align < 2 * MiB ? align : 2 * MiB) / KiB),
				2048, BENCH_AT_LEAST, 1.0, note);
	snprintf(name, sizeof(name), "%s: page size", what);
	if (!ret)
		ret = bench_add(r, name, "KiB", (double)page_kib(buf->vaddr), 2048, BENCH_AT_LEAST,
				1.0, "KernelPageSize in /proc/self/smaps");
	return ret;
}

/* Huge-page rows: memory from MAP_HUGETLB, mapping calls counted. */
static int hugepage_rows(struct bench_report *r, struct udrv_device *dev, size_t max_total,
			 long samples)
{
	static const char nr[] = "/proc/sys/vm/nr_hugepages";
	long before = read_num(nr, 10), want = (long)(max_total / (2 * MiB));
	unsigned long calls;
	struct udrv_dma *buf;
	char *mem;
	int ret;

	if (want < 1)
		want = 1;
	/* One more than this maps, for udrv_dma_alloc()'s own huge page. */
	write_num(nr, before + want + 1);
	mem = mmap(NULL, want * 2 * MiB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (mem == MAP_FAILED) {
		fprintf(stderr, "bench_dmamap: %ld huge pages of 2 MiB: %s (give the guest more "
				"memory: udrv-vm --mem)\n", want + 1, strerror(errno));
		write_num(nr, before);
		return -ENOMEM;
	}
	calls = map_calls;
	ret = udrv_dma_map(dev, mem, 2 * MiB, &buf);
	if (!ret) {
		ret = buffer_rows(r, "udrv_dma_map of a 2 MiB huge page", map_calls - calls, buf);
		udrv_dma_free(dev, buf);
	}
	calls = map_calls;
	if (!ret && !(ret = udrv_dma_alloc(dev, 2 * MiB, &buf))) {
		ret = buffer_rows(r, "udrv_dma_alloc of 2 MiB", map_calls - calls, buf);
		udrv_dma_free(dev, buf);
	}
	if (ret && udrv_last_error()[0])
		fprintf(stderr, "bench_dmamap: %s\n", udrv_last_error());
	ret = ret ? ret : total_rows(r, dev, mem, max_total, 2 * MiB, 8, samples);
	munmap(mem, want * 2 * MiB);
	write_num(nr, before);
	return ret;
}

int main(int argc, char **argv)
{
	static const char limit[] = "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit";
	const char *addr = getenv("UDRV_EDU");
	struct udrv_device *dev = NULL;
	struct bench_report r;
	struct bench_opts o;
	size_t max_total = 0;
	char extra[128], *end;
	long cap, vtd;
	bool raised;
	char *mem;
	int ret;

	argc = bench_parse(argc, argv, &o, usage);
	if (argc <= 0)
		return argc ? 2 : 0;
	quick = o.quick;
	for (int k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--max-total") && k + 1 < argc) {
			errno = 0;
			max_total = strtoul(argv[++k], &end, 0);
			if (errno || *end || max_total < 4 * KiB || max_total % (4 * KiB)) {
				fprintf(stderr, "bench_dmamap: --max-total %s: give a multiple of 4096 bytes\n",
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
	cap = read_num(limit, 10);
	raised = cap >= 0 && (size_t)cap < 2 * (max_total / (4 * KiB)) &&
		 !write_num(limit, (long)(2 * (max_total / (4 * KiB))));
	if (cap >= 0 && (size_t)cap < 2 * (max_total / (4 * KiB)) && !raised)
		fprintf(stderr, "bench_dmamap: cannot raise vfio_iommu_type1's dma_entry_limit "
				"(%ld): totals above %ld MiB in 4 KiB buffers will fail\n", cap,
			cap * 4 / 1024);
	ret = udrv_open(addr, NULL, &dev) ? 1 : 0;
	if (ret) {
		fprintf(stderr, "bench_dmamap: %s\n", udrv_last_error());
		goto out;
	}
	if (udrv_backend(dev) != UDRV_BACKEND_VFIO) {
		fprintf(stderr, "bench_dmamap: %s is on the %s path: mapping the caller's memory "
				"needs VFIO (udrv-vm --profile vfio)\n", addr,
			udrv_backend_name(udrv_backend(dev)));
		ret = 2;
		goto out;
	}
	container = find_container();
	/* No DMA is done: a 36-bit mask (edu's is 28) lets 1 GiB of IOVAs fit. */
	ret = udrv_dma_set_mask(dev, 36);
	mem = mmap(NULL, max_total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (ret || container < 0 || mem == MAP_FAILED) {
		fprintf(stderr, "bench_dmamap: %s\n", ret ? udrv_last_error() :
			container < 0 ? "libudrv's VFIO container fd not found in /proc/self/fd" :
			"cannot allocate the memory to map (udrv-vm --mem)");
		if (mem != MAP_FAILED)
			munmap(mem, max_total);
		ret = 1;
		goto out;
	}
	bench_begin(&r, "dma map+unmap", "udrv", "raw", o.json);
	/* 4 KiB buffers: 16,384 pairs a way a round at most (15+ rounds of 1 GiB would take minutes). */
	ret = total_rows(&r, dev, mem, max_total < 64 * MiB ? max_total : 64 * MiB, 4 * KiB, 16,
			 o.samples);
	munmap(mem, max_total);
	if (!ret)
		ret = hugepage_rows(&r, dev, max_total, o.samples);
	vtd = read_num("/sys/class/iommu/dmar0/intel-iommu/cap", 16);
	snprintf(extra, sizeof(extra), "IOMMU 2 MiB superpages (VT-d cap SLLPS bit 34): %s",
		 vtd < 0 ? "unknown" : (vtd >> 34) & 1 ? "yes" : "no");
	/* Targets are reported (ok/MISSED), not an exit status. */
	bench_end(&r, ret ? NULL : extra);
	ret = ret ? 1 : 0;
out:
	udrv_close(dev);
	if (raised)
		write_num(limit, cap);
	return ret;
}
