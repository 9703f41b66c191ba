// SPDX-License-Identifier: MIT
/*
 * Carved DMA buffers and DMA pools on edu, in each profile with DMA (uio,
 * stub, vfio), under edu's 28-bit mask (issue #18):
 *
 *  - a pool of 512-byte blocks with a 4 KiB boundary: 600 blocks, none
 *    crossing a 4 KiB line in the device's address space, both addresses
 *    aligned; edu DMA from random blocks into its buffer and back into
 *    other blocks, every byte checked; then all freed and the pool
 *    destroyed;
 *  - 1,000 live 4 KiB udrv_dma_alloc() buffers: on uio they take at most 4
 *    huge pages (HugePages_Free before and after); edu DMA round trips
 *    through the first, a middle and the last one;
 *  - udrv_dma_alloc_aligned() of 16 KiB at 64 KiB, used by edu.
 *
 * edu: 0x80 src, 0x88 dst, 0x90 count, 0x98 cmd (1 run, 2 device->RAM);
 * its buffer is 4 KiB at 0x40000, a transfer at most 4095 bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#include "edu_dma.h"

#define NBLOCKS       600
#define NBUFS         1000

static const char *edu, *profile;

/* One transfer, waited for; a test failure if edu does not finish. */
static void edu_dma(struct udrv_device *dev, void *bar0, uint64_t src, uint64_t dst,
		    uint64_t count, uint32_t cmd)
{
	if (edu_dma_run(dev, bar0, src, dst, count, cmd))
		fail_msg("%s", udrv_last_error());
}

/* Random bytes from @from out to edu and back into @to: every byte checked. */
static void round_trip(struct udrv_device *dev, void *bar0, const struct udrv_dma *from, const struct udrv_dma *to,
		       size_t n, unsigned int *seed)
{
	unsigned char *want = malloc(n), *p = from->vaddr;
	size_t k;

	assert_non_null(want);
	for (k = 0; k < n; k++)
		want[k] = p[k] = (unsigned char)rand_r(seed);
	edu_dma(dev, bar0, from->iova, EDU_BUF_ADDR, n, 0);
	memset(to->vaddr, 0, n);
	edu_dma(dev, bar0, EDU_BUF_ADDR, to->iova, n, EDU_DMA_TO_RAM);
	assert_memory_equal(to->vaddr, want, n);
	free(want);
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

static void open_edu(struct udrv_device **dev, void **bar0)
{
	if (udrv_open(edu, NULL, dev) || udrv_bar_map(*dev, 0, bar0, NULL))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_dma_set_mask(*dev, EDU_DMA_BITS), 0);
	assert_int_equal(udrv_set_bus_master(*dev, 1), 0);
}

static void test_pool_boundary(void **state)
{
	static struct udrv_dma *b[NBLOCKS];
	struct udrv_dma_pool *pool;
	struct udrv_device *dev;
	unsigned int seed = 18, i;
	uint64_t iova;
	void *bar0;

	(void)state;
	open_edu(&dev, &bar0);
	assert_int_equal(udrv_dma_pool_create(dev, 512, 0, 4096, &pool), 0);
	for (i = 0; i < NBLOCKS; i++) {
		if (udrv_dma_pool_alloc(pool, &b[i]))
			fail_msg("block %u: %s", i, udrv_last_error());
		assert_int_equal(b[i]->size, 512);
		assert_int_equal(b[i]->iova / 4096, (b[i]->iova + 511) / 4096);
		assert_int_equal(b[i]->iova & 7, 0);
		assert_int_equal((uintptr_t)b[i]->vaddr & 7, 0);
		assert_true(b[i]->iova + 511 < (1ULL << EDU_DMA_BITS));
		assert_int_equal(udrv_dma_addr(dev, (char *)b[i]->vaddr + 511, &iova), 0);
		assert_int_equal(iova, b[i]->iova + 511);
	}
	for (i = 0; i < 40; i++)
		round_trip(dev, bar0, b[rand_r(&seed) % NBLOCKS], b[rand_r(&seed) % NBLOCKS], 512, &seed);
	/* Freed blocks are handed out again, still inside the boundary. */
	for (i = 0; i < NBLOCKS; i += 2)
		udrv_dma_pool_free(pool, b[i]);
	assert_int_equal(udrv_dma_pool_destroy(pool), -EBUSY);
	for (i = 0; i < NBLOCKS; i += 2) {
		assert_int_equal(udrv_dma_pool_alloc(pool, &b[i]), 0);
		assert_int_equal(b[i]->iova / 4096, (b[i]->iova + 511) / 4096);
	}
	for (i = 0; i < 20; i++)
		round_trip(dev, bar0, b[rand_r(&seed) % NBLOCKS], b[rand_r(&seed) % NBLOCKS], 512, &seed);
	for (i = 0; i < NBLOCKS; i++)
		udrv_dma_pool_free(pool, b[i]);
	assert_int_equal(udrv_dma_pool_destroy(pool), 0);
	printf("# %s: %d pool blocks of 512 bytes, none across 4 KiB, 60 edu round trips\n",
	       profile, NBLOCKS);
	udrv_close(dev);
}

static void test_carved(void **state)
{
	static struct udrv_dma *b[NBUFS];
	struct udrv_device *dev;
	struct udrv_dma *al;
	unsigned int seed = 7, i;
	long before, during;
	void *bar0;

	(void)state;
	open_edu(&dev, &bar0);
	before = huge_free();
	for (i = 0; i < NBUFS; i++) {
		if (udrv_dma_alloc(dev, 4096, &b[i]))
			fail_msg("buffer %u: %s", i, udrv_last_error());
		assert_int_equal(b[i]->iova & 4095, 0);
		assert_true(b[i]->iova + 4095 < (1ULL << EDU_DMA_BITS));
	}
	during = huge_free();
	printf("# %s: %d live 4 KiB buffers took %ld huge pages\n", profile, NBUFS, before - during);
	if (!strcmp(profile, "uio"))
		assert_true(before - during <= 4);
	round_trip(dev, bar0, b[0], b[NBUFS - 1], 4095, &seed);
	round_trip(dev, bar0, b[NBUFS / 2], b[1], 4095, &seed);
	round_trip(dev, bar0, b[NBUFS - 1], b[NBUFS / 2], 4095, &seed);
	/* Free in a scattered order; then a buffer aligned beyond a page. */
	for (i = 0; i < NBUFS; i++)
		udrv_dma_free(dev, b[(i * 7) % NBUFS]);
	assert_int_equal(udrv_dma_alloc_aligned(dev, 16384, 65536, &al), 0);
	assert_int_equal(al->iova & 65535, 0);
	assert_int_equal((uintptr_t)al->vaddr & 65535, 0);
	assert_int_equal(udrv_dma_alloc(dev, 4096, &b[0]), 0);
	round_trip(dev, bar0, al, b[0], 4095, &seed);
	udrv_dma_free(dev, b[0]);
	udrv_dma_free(dev, al);
	if (!strcmp(profile, "uio"))
		assert_true(before - huge_free() <= 1); /* the one spare chunk */
	udrv_close(dev);
	if (!strcmp(profile, "uio"))
		assert_int_equal(huge_free(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_boundary),
		cmocka_unit_test(test_carved),
	};
	FILE *f;

	edu = getenv("UDRV_EDU");
	profile = getenv("UDRV_VM_PROFILE");
	if (!edu || !profile || !strcmp(profile, "none")) {
		fprintf(stderr, "vm_dma_pool: run me under udrv-vm, profile uio, stub or vfio\n");
		return 77;
	}
	/* Huge pages for the uio path (its chunks) and VFIO's. */
	f = fopen("/proc/sys/vm/nr_hugepages", "w");
	if (f) {
		fputs("32", f);
		fclose(f);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
