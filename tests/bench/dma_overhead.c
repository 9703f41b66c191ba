// SPDX-License-Identifier: MIT
/*
 * What libudrv itself adds to a VFIO DMA map + unmap, in instructions:
 * udrv_dma_map()/udrv_dma_free() against the kernel-free minimum, with the
 * two ioctls answered by a stand-in (the link wraps ioctl()).  scripts/bench
 * runs it under callgrind, counting pairs_udrv() (the dmamap benchmark's
 * host part): steady churn with N buffers live, each pair freeing one
 * drawn at random and mapping its memory again; alone it prints a time
 * per pair.  The device is a bare
 * struct with the VFIO ops: only the DMA code runs.
 *
 * usage: dma_overhead [N buffers] [rounds]
 */
#include <errno.h>
#include <linux/vfio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "vfio/vfio.h"

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

/* The kernel's part: accept maps and unmaps, report no IOVA ranges. */
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == VFIO_IOMMU_MAP_DMA || req == VFIO_IOMMU_UNMAP_DMA)
		return 0;
	if (req == VFIO_IOMMU_GET_INFO) {
		struct vfio_iommu_type1_info *info = arg;

		info->flags = 0;
		return 0;
	}
	return __real_ioctl(fd, req, arg);
}

__attribute__((noinline)) void pairs_udrv(struct udrv_device *dev, char *mem, size_t n,
					  struct udrv_dma **bufs, const size_t *victim);
__attribute__((noinline)) void pairs_udrv(struct udrv_device *dev, char *mem, size_t n,
					  struct udrv_dma **bufs, const size_t *victim)
{
	size_t i;

	/* Steady churn with n live: free a random one, map its memory again. */
	for (i = 0; i < n; i++) {
		size_t v = victim[i];

		udrv_dma_free(dev, bufs[v]);
		if (udrv_dma_map(dev, mem + v * 4096, 4096, &bufs[v]))
			abort();
	}
}

int main(int argc, char **argv)
{
	/* The VFIO backend's state as a type1 container open leaves it. */
	struct udrv_vfio vfio = { .group = -1, .device = -1, .container = -1, .mode = UDRV_VFIO_TYPE1 };
	struct udrv_device dev = {
		.ops = udrv_backend_ops(UDRV_BACKEND_VFIO),
		.priv = &vfio,
		.dma = { .lock = PTHREAD_MUTEX_INITIALIZER, .mask_bits = 36 },
	};
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
	long rounds = argc > 2 ? strtol(argv[2], NULL, 0) : 10;
	struct udrv_dma **bufs = calloc(n, sizeof(*bufs));
	char *mem = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t t0;

	if (!n || !bufs || mem == MAP_FAILED) {
		fprintf(stderr, "usage: dma_overhead [N buffers >= 1] [rounds]\n");
		return 2;
	}
	unsigned int seed = 18;
	size_t *victim = calloc(n, sizeof(*victim));

	if (!victim)
		return 2;
	strcpy(dev.name, "0000:00:00.0");
	for (size_t i = 0; i < n; i++) {
		victim[i] = (size_t)rand_r(&seed) % n;
		if (udrv_dma_map(&dev, mem + i * 4096, 4096, &bufs[i]))
			abort();
	}
	pairs_udrv(&dev, mem, n, bufs, victim); /* first round: warm up */
	t0 = bench_now_ns();
	for (long r = 0; r < rounds; r++)
		pairs_udrv(&dev, mem, n, bufs, victim);
	printf("%.1f ns per unmap+map (%zu live, random victims, %ld rounds, no kernel)\n",
	       (double)(bench_now_ns() - t0) / (double)(n * rounds), n, rounds);
	udrv_dma_release_all(&dev);
	free(victim);
	free(bufs);
	munmap(mem, n * 4096);
	return 0;
}
