// SPDX-License-Identifier: MIT
/*
 * libudrv's DMA calls against the system calls a driver would make by
 * hand, in the guest of each profile (issue #18).  Every row times both
 * ways in the same process, in equal rounds that take turns (which way
 * goes first alternates), at least 15 rounds; the figure is the ratio of
 * the two medians, with the spread of the per-round ratios in the note.
 *
 *  alloc  a 4 KiB udrv_dma_alloc() + udrv_dma_free() pair, against the
 *         path's own pair: VFIO_IOMMU_MAP_DMA + UNMAP_DMA of a 4 KiB page
 *         (vfio), udrv_stub's ALLOC_COHERENT ioctl + close of the dma-buf
 *         (stub), mmap of a locked 2 MiB huge page + its pagemap entry +
 *         munmap (uio).  Target: at most 0.10.
 *  pool   a udrv_dma_pool_alloc() + udrv_dma_pool_free() pair of 512-byte
 *         blocks, against the same raw pair (no target: information).
 *  pages  (uio) huge pages taken by 1,000 live 4 KiB buffers: at most 4.
 *  map    (vfio) udrv_dma_free() + udrv_dma_map() of the caller's 4 KiB
 *         with N = 100, 1,000, 10,000 buffers live, the victim drawn at
 *         random (the same victims both ways), against UNMAP_DMA + MAP_DMA
 *         of one of N live raw mappings at fixed IOVAs (the least
 *         bookkeeping a driver can do), in the same container.  Target: at
 *         most 1.10.
 *  open   (vfio) udrv_open() + udrv_bar_map() + udrv_close() against the
 *         raw VFIO sequence (container, group, IOMMU, device, region info,
 *         mmap) and its teardown.  Target: at most 1.10.
 *
 * Runs in the udrv-vm guest: UDRV_EDU names the device, UDRV_VM_PROFILE
 * the profile.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <udrv/udrv.h>

#include "bench.h"
#include <linux/udrv_stub.h>

#define PG 4096ul
#define MiB (1ul << 20)
#define RAW_IOVA (1ull << 35) /* raw mappings: far above what libudrv hands out */

static const char usage[] =
	"usage: bench_dma [--json] [--quick] [--samples N] [--only alloc,map,open]\n"
	"libudrv's DMA allocation, mapping and open against the raw system calls,\n"
	"on edu (UDRV_EDU) in the udrv-vm guest of a profile (UDRV_VM_PROFILE).\n"
	"  --samples N  rounds per row (default 21, at least 15; --quick 3)\n";

static const char *profile, *addr;
static long rounds;
static bool quick;

/* The fd in this process whose /proc/self/fd link starts with @prefix, or -1. */
static int find_fd(const char *prefix)
{
	char link[300], target[128];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int fd = -1;

	while (d && (de = readdir(d))) {
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			if (!strncmp(target, prefix, strlen(prefix)))
				fd = atoi(de->d_name);
		}
	}
	if (d)
		closedir(d);
	return fd;
}

/* One way of a row: @k operations, seconds, or < 0 after printing why. */
typedef double (*way_fn)(void *ctx, long k);

/*
 * Time @u and @w in turns, @k operations a round, and add the row: medians
 * per operation in microseconds, the ratio of the medians, the per-round
 * ratios' spread in the note.
 */
static int interleave(struct bench_report *r, const char *name, way_fn u, way_fn w, void *ctx,
		      long k, enum bench_cmp cmp, double target, const char *extra)
{
	double *tu = calloc((size_t)rounds, sizeof(double)), *tw = calloc((size_t)rounds, sizeof(double));
	double *rr = calloc((size_t)rounds, sizeof(double));
	struct bench_stats su, sw, sr;
	char note[256];
	long i;
	int ret = -EIO;

	if (!tu || !tw || !rr)
		goto out;
	/* Untimed: both ways once, to warm caches and fill what they fill. */
	if (u(ctx, k) < 0 || w(ctx, k) < 0)
		goto out;
	for (i = 0; i < rounds; i++) {
		if (i & 1) {
			tw[i] = w(ctx, k);
			tu[i] = tw[i] < 0 ? -1 : u(ctx, k);
		} else {
			tu[i] = u(ctx, k);
			tw[i] = tu[i] < 0 ? -1 : w(ctx, k);
		}
		if (tu[i] < 0 || tw[i] < 0)
			goto out;
		tu[i] *= 1e6 / (double)k;
		tw[i] *= 1e6 / (double)k;
		rr[i] = tu[i] / tw[i];
	}
	bench_stats(tu, (size_t)rounds, &su);
	bench_stats(tw, (size_t)rounds, &sw);
	bench_stats(rr, (size_t)rounds, &sr);
	snprintf(note, sizeof(note), "per-round ratio %.3f (min) %.3f (median) %.3f (max); %ld rounds x %ld%s%s",
		 sr.min, sr.median, sr.max, rounds, k, extra ? "; " : "", extra ? extra : "");
	ret = bench_add(r, name, "us/op", su.median, sw.median, cmp, target, note);
out:
	free(tu);
	free(tw);
	free(rr);
	return ret;
}

/* ---- alloc: udrv_dma_alloc + free against the path's raw pair ---- */

struct alloc_ctx {
	struct udrv_device *dev;
	struct udrv_dma_pool *pool;
	int fd;           /* container, stub control device, or pagemap */
	char *page;       /* vfio: the page mapped by the raw pair */
};

static double udrv_alloc_way(void *p, long k)
{
	struct alloc_ctx *c = p;
	struct udrv_dma *b;
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < k; i++) {
		if (udrv_dma_alloc(c->dev, PG, &b)) {
			fprintf(stderr, "bench_dma: %s\n", udrv_last_error());
			return -1;
		}
		udrv_dma_free(c->dev, b);
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static double pool_way(void *p, long k)
{
	struct alloc_ctx *c = p;
	struct udrv_dma *b;
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < k; i++) {
		if (udrv_dma_pool_alloc(c->pool, &b)) {
			fprintf(stderr, "bench_dma: %s\n", udrv_last_error());
			return -1;
		}
		udrv_dma_pool_free(c->pool, b);
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static double raw_vfio_way(void *p, long k)
{
	struct alloc_ctx *c = p;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)c->page, .iova = RAW_IOVA, .size = PG,
	};
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .iova = RAW_IOVA,
						    .size = PG };
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < k; i++)
		if (ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &map) || ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap)) {
			perror("bench_dma: VFIO_IOMMU_MAP_DMA/UNMAP_DMA");
			return -1;
		}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static double raw_stub_way(void *p, long k)
{
	struct alloc_ctx *c = p;
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < k; i++) {
		struct udrv_stub_alloc a = { .argsz = sizeof(a), .size = PG };

		if (ioctl(c->fd, UDRV_STUB_ALLOC_COHERENT, &a)) {
			perror("bench_dma: UDRV_STUB_ALLOC_COHERENT");
			return -1;
		}
		close(a.fd);
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static double raw_uio_way(void *p, long k)
{
	struct alloc_ctx *c = p;
	uint64_t t0 = bench_now_ns(), entry;

	for (long i = 0; i < k; i++) {
		char *m = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB | MAP_POPULATE |
			       MAP_LOCKED, -1, 0);

		if (m == MAP_FAILED || pread(c->fd, &entry, 8, (uintptr_t)m / PG * 8) != 8) {
			perror("bench_dma: huge page and its pagemap entry");
			return -1;
		}
		munmap(m, 2 * MiB);
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static long huge_free(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static int alloc_rows(struct bench_report *r, struct udrv_device *dev)
{
	struct alloc_ctx c = { .dev = dev, .fd = -1 };
	struct udrv_dma *b;
	way_fn raw;
	const char *what;
	long k = quick ? 20 : 200;
	int ret;

	/* The first allocation takes the chunk (and on stub opens the control device). */
	if (udrv_dma_alloc(dev, PG, &b)) {
		fprintf(stderr, "bench_dma: %s\n", udrv_last_error());
		return -EIO;
	}
	udrv_dma_free(dev, b);
	if (!strcmp(profile, "vfio")) {
		c.fd = find_fd("/dev/vfio/vfio");
		c.page = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
			      -1, 0);
		raw = raw_vfio_way;
		what = "raw: VFIO_IOMMU_MAP_DMA + UNMAP_DMA of 4 KiB";
	} else if (!strcmp(profile, "stub")) {
		c.fd = find_fd("/dev/udrv/");
		raw = raw_stub_way;
		what = "raw: UDRV_STUB_ALLOC_COHERENT of 4 KiB + close";
		k = quick ? 20 : 100;
	} else {
		c.fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		raw = raw_uio_way;
		what = "raw: mmap of a locked 2 MiB huge page + pagemap + munmap";
		k = quick ? 10 : 50;
	}
	if (c.fd < 0 || c.page == MAP_FAILED) {
		fprintf(stderr, "bench_dma: %s: the raw way's fd or page is missing (VFIO through iommufd?)\n",
			profile);
		return -EIO;
	}
	ret = interleave(r, "4 KiB udrv_dma_alloc + free", udrv_alloc_way, raw, &c, k, BENCH_AT_MOST,
			 0.10, what);
	if (!ret)
		ret = udrv_dma_pool_create(dev, 512, 0, 4096, &c.pool);
	if (!ret)
		ret = interleave(r, "512 B udrv_dma_pool_alloc + free", pool_way, raw, &c, k,
				 BENCH_NONE, 0, what);
	udrv_dma_pool_destroy(c.pool);
	if (!ret && !strcmp(profile, "uio")) {
		static struct udrv_dma *bufs[1000];
		long before = huge_free(), used;
		int i;

		for (i = 0; i < 1000 && !ret; i++)
			ret = udrv_dma_alloc(dev, PG, &bufs[i]);
		used = before - huge_free();
		while (i--)
			udrv_dma_free(dev, bufs[i]);
		if (!ret)
			ret = bench_add(r, "huge pages for 1,000 live 4 KiB buffers", "pages",
					(double)used, 1, BENCH_AT_MOST, 4, "HugePages_Free before and after; b = 1 page");
	}
	if (c.page)
		munmap(c.page, PG);
	if (!strcmp(profile, "uio"))
		close(c.fd);
	return ret;
}

/* ---- map: udrv_dma_free + udrv_dma_map at N live, random victims, against raw ---- */

struct map_ctx {
	struct udrv_device *dev;
	int fd;
	size_t n;
	char *umem, *rmem;      /* N pages each way */
	struct udrv_dma **bufs;
	size_t *victim;         /* this round's, the same for both ways */
	unsigned int seed;
};

static void draw(struct map_ctx *c, long k)
{
	for (long i = 0; i < k; i++)
		c->victim[i] = (size_t)rand_r(&c->seed) % c->n;
}

static double udrv_map_way(void *p, long k)
{
	struct map_ctx *c = p;
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < k; i++) {
		size_t v = c->victim[i];

		udrv_dma_free(c->dev, c->bufs[v]);
		if (udrv_dma_map(c->dev, c->umem + v * PG, PG, &c->bufs[v])) {
			fprintf(stderr, "bench_dma: %s\n", udrv_last_error());
			return -1;
		}
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static double raw_map_way(void *p, long k)
{
	struct map_ctx *c = p;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.size = PG,
	};
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .size = PG };
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < k; i++) {
		size_t v = c->victim[i];

		unmap.iova = map.iova = RAW_IOVA + v * PG;
		map.vaddr = (uintptr_t)(c->rmem + v * PG);
		if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap) || ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &map)) {
			perror("bench_dma: VFIO_IOMMU_UNMAP_DMA/MAP_DMA");
			return -1;
		}
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static int map_rows(struct bench_report *r, struct udrv_device *dev)
{
	static const size_t ns[] = { 100, 1000, 10000 };
	long k = quick ? 20 : 200;
	int ret = 0;

	for (size_t j = 0; j < (quick ? 2u : 3u) && !ret; j++) {
		struct map_ctx c = { .dev = dev, .fd = find_fd("/dev/vfio/vfio"), .n = ns[j],
				     .seed = 18 };
		struct vfio_iommu_type1_dma_map map = {
			.argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.size = PG,
		};
		struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .size = PG };
		size_t i, mapped = 0, rmapped = 0;
		char name[64];

		c.umem = mmap(NULL, c.n * PG, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		c.rmem = mmap(NULL, c.n * PG, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		c.bufs = calloc(c.n, sizeof(*c.bufs));
		c.victim = calloc((size_t)k, sizeof(*c.victim));
		ret = -EIO;
		if (c.fd < 0 || c.umem == MAP_FAILED || c.rmem == MAP_FAILED || !c.bufs || !c.victim)
			goto next;
		for (; mapped < c.n; mapped++)
			if (udrv_dma_map(dev, c.umem + mapped * PG, PG, &c.bufs[mapped]))
				goto next;
		for (; rmapped < c.n; rmapped++) {
			map.vaddr = (uintptr_t)(c.rmem + rmapped * PG);
			map.iova = RAW_IOVA + rmapped * PG;
			if (ioctl(c.fd, VFIO_IOMMU_MAP_DMA, &map))
				goto next;
		}
		draw(&c, k);
		snprintf(name, sizeof(name), "4 KiB udrv_dma_free + map, %zu live", c.n);
		ret = interleave(r, name, udrv_map_way, raw_map_way, &c, k, BENCH_AT_MOST, 1.10,
				 "raw: UNMAP_DMA + MAP_DMA at fixed IOVAs; random victims");
next:
		if (ret)
			fprintf(stderr, "bench_dma: map rows at %zu live: %s\n", c.n,
				udrv_last_error()[0] ? udrv_last_error() : strerror(errno));
		for (i = 0; i < mapped; i++)
			udrv_dma_free(dev, c.bufs[i]);
		for (i = 0; i < rmapped; i++) {
			unmap.iova = RAW_IOVA + i * PG;
			ioctl(c.fd, VFIO_IOMMU_UNMAP_DMA, &unmap);
		}
		if (c.umem != MAP_FAILED)
			munmap(c.umem, c.n * PG);
		if (c.rmem != MAP_FAILED)
			munmap(c.rmem, c.n * PG);
		free(c.bufs);
		free(c.victim);
	}
	return ret;
}

/* ---- open: udrv_open + bar map + close against the raw VFIO sequence ---- */

static int group_of(char *path, size_t len)
{
	char link[256], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", addr);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return -1;
	target[n] = '\0';
	snprintf(path, len, "/dev/vfio/%s", strrchr(target, '/') + 1);
	return 0;
}

static double udrv_open_way(void *p, long k)
{
	uint64_t t0 = bench_now_ns();

	(void)p;
	for (long i = 0; i < k; i++) {
		struct udrv_device *dev;
		void *bar;

		if (udrv_open(addr, NULL, &dev) || udrv_bar_map(dev, 0, &bar, NULL)) {
			fprintf(stderr, "bench_dma: %s\n", udrv_last_error());
			return -1;
		}
		if (*(volatile uint32_t *)bar != 0x010000ed)
			return -1;
		udrv_close(dev);
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

/* What a hand-written VFIO driver does to reach BAR 0, and its teardown. */
static int raw_vfio_open(const char *group_path, const char *name)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_region_info reg = { .argsz = sizeof(reg), .index = VFIO_PCI_BAR0_REGION_INDEX };
	int container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC), group = -1, device = -1, ret = -1;
	void *bar;

	if (container < 0 || ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		goto out;
	group = open(group_path, O_RDWR | O_CLOEXEC);
	if (group < 0 || ioctl(group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto out;
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (device < 0 || ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		goto out;
	bar = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, (off_t)reg.offset);
	if (bar == MAP_FAILED)
		goto out;
	ret = *(volatile uint32_t *)bar == 0x010000ed ? 0 : -1;
	munmap(bar, reg.size);
out:
	if (device >= 0)
		close(device);
	if (group >= 0)
		close(group);
	if (container >= 0)
		close(container);
	return ret;
}

static double raw_open_way(void *p, long k)
{
	uint64_t t0 = bench_now_ns();

	for (long i = 0; i < k; i++)
		if (raw_vfio_open(p, addr)) {
			fprintf(stderr, "bench_dma: the raw VFIO sequence failed: %s\n", strerror(errno));
			return -1;
		}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static int open_rows(struct bench_report *r)
{
	char group[64];

	if (group_of(group, sizeof(group)))
		return -ENODEV;
	return interleave(r, "udrv_open + udrv_bar_map + close", udrv_open_way, raw_open_way, group,
			  quick ? 2 : 5, BENCH_AT_MOST, 1.10,
			  "raw: container, group, SET_IOMMU, device fd, region info, mmap; teardown");
}

int main(int argc, char **argv)
{
	struct udrv_device *dev = NULL;
	struct bench_report r;
	struct bench_opts o;
	const char *only = "alloc,map,open";
	int ret = 0;

	argc = bench_parse(argc, argv, &o, usage);
	if (argc <= 0)
		return argc ? 2 : 0;
	for (int k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--only") && k + 1 < argc) {
			only = argv[++k];
		} else {
			fprintf(stderr, "bench_dma: unknown argument '%s'\n%s", argv[k], usage);
			return 2;
		}
	}
	addr = getenv("UDRV_EDU");
	profile = getenv("UDRV_VM_PROFILE");
	if (!addr || !profile || !strcmp(profile, "none")) {
		fprintf(stderr, "bench_dma: run me in udrv-vm, profile uio, stub or vfio\n");
		return 2;
	}
	quick = o.quick;
	rounds = o.samples ? o.samples : quick ? 3 : 21;
	if (!quick && rounds < 15)
		rounds = 15;
	if (!strcmp(profile, "uio")) {
		FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

		if (f) {
			fputs("32", f);
			fclose(f);
		}
	}
	bench_begin(&r, "dma", "udrv", "raw", o.json);
	/* First: nothing else may hold the VFIO group while the raw way opens it. */
	if (!strcmp(profile, "vfio") && strstr(only, "open"))
		ret = open_rows(&r);
	if (!ret && udrv_open(addr, NULL, &dev)) {
		fprintf(stderr, "bench_dma: %s\n", udrv_last_error());
		ret = -EIO;
	}
	if (!ret && !strcmp(profile, "vfio"))
		ret = udrv_dma_set_mask(dev, 36);
	if (!ret && strstr(only, "alloc"))
		ret = alloc_rows(&r, dev);
	if (!ret && !strcmp(profile, "vfio") && strstr(only, "map"))
		ret = map_rows(&r, dev);
	bench_end(&r, ret ? NULL : "Ratios of medians; each round times both ways, the order alternating.");
	udrv_close(dev);
	return ret ? 1 : 0;
}
