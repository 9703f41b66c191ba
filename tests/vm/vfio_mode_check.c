// SPDX-License-Identifier: MIT
/*
 * vfio_mode_check ADDR MODE [--bench]: open edu at ADDR through VFIO with
 * udrv_open_opts.vfio_mode = MODE (iommufd, type1, noiommu or auto), check
 * that udrv_vfio_mode() says MODE, then with a 28-bit mask allocate a 4 KiB
 * and a 2 MiB buffer below it and move random bytes RAM -> edu -> RAM by
 * DMA through each (every byte checked), and count 1000 MSIs.  Prints
 * "MODE: ok" and exits 0, or says what failed and exits 1.
 *
 * With --bench (and MODE iommufd): the cost of mapping and unmapping the
 * caller's memory (udrv_dma_map + udrv_dma_free: IOMMU_IOAS_MAP/UNMAP
 * against VFIO_IOMMU_MAP_DMA/UNMAP_DMA), 4 KiB and 2 MiB (a huge page),
 * iommufd and type1 alternately in one run, 5 rounds of 200 each: median
 * and spread (min-max of the rounds) in microseconds per map+unmap.
 */
#include <errno.h>
#include <linux/mman.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <udrv/udrv.h>

#include "edu_dma.h"

#define ROUNDS         5
#define ITERS          200

static int die(const char *what)
{
	fprintf(stderr, "vfio_mode_check: %s: %s\n", what, udrv_last_error());
	exit(1);
}

static void edu_dma(struct udrv_device *dev, void *bar0, uint64_t src, uint64_t dst,
		    uint64_t count, uint32_t cmd)
{
	if (edu_dma_run(dev, bar0, src, dst, count, cmd))
		die("edu DMA");
}

static enum udrv_vfio_mode parse_mode(const char *s)
{
	int m;

	for (m = UDRV_VFIO_AUTO; m <= UDRV_VFIO_NOIOMMU; m++)
		if (!strcmp(s, udrv_vfio_mode_name(m)))
			return m;
	fprintf(stderr, "vfio_mode_check: unknown mode %s (iommufd, type1, noiommu, auto)\n", s);
	exit(2);
}

static struct udrv_device *open_mode(const char *addr, enum udrv_vfio_mode mode, void **bar0)
{
	struct udrv_open_opts opts = { .backend = UDRV_BACKEND_VFIO, .vfio_mode = mode };
	struct udrv_device *dev;

	if (udrv_open(addr, &opts, &dev))
		die("udrv_open");
	if (mode && udrv_vfio_mode(dev) != mode) {
		fprintf(stderr, "vfio_mode_check: asked for %s, got %s\n", udrv_vfio_mode_name(mode),
			udrv_vfio_mode_name(udrv_vfio_mode(dev)));
		exit(1);
	}
	if (bar0 && udrv_bar_map(dev, 0, bar0, NULL))
		die("udrv_bar_map");
	if (udrv_dma_set_mask(dev, EDU_DMA_BITS) || udrv_set_bus_master(dev, 1))
		die("mask / bus master");
	return dev;
}

static void check(const char *addr, enum udrv_vfio_mode mode)
{
	static const size_t sizes[] = { 4096, 2 << 20 };
	unsigned int seed = 21, i, r;
	struct udrv_device *dev;
	uint64_t events;
	void *bar0;

	dev = open_mode(addr, mode, &bar0);
	for (i = 0; i < 2; i++) {
		struct udrv_dma *b;

		if (udrv_dma_alloc(dev, sizes[i], &b))
			die("udrv_dma_alloc");
		if (b->iova + b->size - 1 >= 1ULL << EDU_DMA_BITS) {
			fprintf(stderr, "vfio_mode_check: buffer at 0x%llx is above the mask\n",
				(unsigned long long)b->iova);
			exit(1);
		}
		for (r = 0; r < 20; r++) {
			size_t n = 1 + rand_r(&seed) % 4095;
			size_t out = rand_r(&seed) % (b->size - n + 1);
			size_t back = rand_r(&seed) % (b->size - n + 1);
			unsigned char *p = b->vaddr, want[4096];
			size_t k;

			for (k = 0; k < n; k++)
				want[k] = p[out + k] = rand_r(&seed);
			edu_dma(dev, bar0, b->iova + out, EDU_BUF_ADDR, n, 0);
			memset(p + back, 0, n);
			edu_dma(dev, bar0, EDU_BUF_ADDR, b->iova + back, n, EDU_DMA_TO_RAM);
			if (memcmp(p + back, want, n)) {
				fprintf(stderr, "vfio_mode_check: %zu-byte buffer: round trip %u differs\n",
					sizes[i], r);
				exit(1);
			}
		}
		printf("# %s: %zu-byte buffer at iova 0x%llx: 20 round trips identical\n",
		       udrv_vfio_mode_name(mode), sizes[i], (unsigned long long)b->iova);
	}
	if (udrv_irq_enable(dev, UDRV_IRQ_MSI, 1) < 0)
		die("udrv_irq_enable(MSI)");
	for (i = 0; i < 1000; i++) {
		udrv_write32(bar0, EDU_REG_IRQ_RAISE, 1);
		if (udrv_irq_wait(dev, 0, 5000, &events) || events != 1)
			die("udrv_irq_wait");
		udrv_write32(bar0, EDU_REG_IRQ_ACK, 1);
		udrv_irq_rearm(dev, 0);
	}
	printf("# %s: 1000 MSIs, 1000 counted\n", udrv_vfio_mode_name(mode));
	udrv_close(dev);
	printf("%s: ok\n", udrv_vfio_mode_name(mode));
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Mean microseconds per map+unmap of @len bytes of @mem, over ITERS. */
static double map_unmap(struct udrv_device *dev, void *mem, size_t len)
{
	struct udrv_dma *b;
	double t0 = now_us();
	int i;

	for (i = 0; i < ITERS; i++) {
		if (udrv_dma_map(dev, mem, len, &b))
			die("udrv_dma_map");
		udrv_dma_free(dev, b);
	}
	return (now_us() - t0) / ITERS;
}

static void bench(const char *addr)
{
	static const enum udrv_vfio_mode modes[] = { UDRV_VFIO_IOMMUFD, UDRV_VFIO_TYPE1 };
	static const size_t sizes[] = { 4096, 2 << 20 };
	double t[2][2][ROUNDS];
	unsigned int m, s, r;
	void *mem[2];

	mem[0] = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mem[1] = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);
	if (mem[0] == MAP_FAILED || mem[1] == MAP_FAILED) {
		perror("vfio_mode_check: mmap (huge pages configured?)");
		exit(1);
	}
	memset(mem[0], 1, 4096);
	memset(mem[1], 1, 2 << 20);
	/* Alternate the modes round by round, so drift hits both alike. */
	for (r = 0; r < ROUNDS; r++)
		for (m = 0; m < 2; m++) {
			struct udrv_device *dev = open_mode(addr, modes[m], NULL);

			for (s = 0; s < 2; s++)
				t[m][s][r] = map_unmap(dev, mem[s], sizes[s]);
			udrv_close(dev);
		}
	printf("%-22s %-26s %-26s %s\n", "map+unmap (us, median", "iommufd (IOMMU_IOAS_MAP)",
	       "type1 (VFIO_IOMMU_MAP_DMA)", "type1/iommufd");
	printf("%-22s %-26s %-26s\n", " [min-max of 5x200])", "", "");
	for (s = 0; s < 2; s++) {
		char cell[2][64];

		for (m = 0; m < 2; m++) {
			qsort(t[m][s], ROUNDS, sizeof(double), cmp_double);
			snprintf(cell[m], sizeof(cell[m]), "%.1f [%.1f-%.1f]", t[m][s][ROUNDS / 2],
				 t[m][s][0], t[m][s][ROUNDS - 1]);
		}
		printf("%-22s %-26s %-26s %.2f\n", s ? "2 MiB (huge page)" : "4 KiB", cell[0],
		       cell[1], t[1][s][ROUNDS / 2] / t[0][s][ROUNDS / 2]);
	}
	munmap(mem[0], 4096);
	munmap(mem[1], 2 << 20);
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--bench"))) {
		fprintf(stderr, "usage: vfio_mode_check ADDR iommufd|type1|noiommu|auto [--bench]\n");
		return 2;
	}
	if (argc == 4)
		bench(argv[1]);
	else
		check(argv[1], parse_mode(argv[2]));
	return 0;
}
