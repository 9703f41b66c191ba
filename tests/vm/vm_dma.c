// SPDX-License-Identifier: MIT
/*
 * libudrv's DMA buffers on edu in every profile: the 28-bit mask respected,
 * zeroed memory, udrv_dma_addr() for inner pointers, and edu DMA round
 * trips RAM -> device buffer -> RAM of random data at random offsets and
 * sizes, every byte checked.  edu: 0x80 src, 0x88 dst, 0x90 count, 0x98
 * cmd (1 run, 2 device->RAM); its buffer is 4 KiB at 0x40000, and a
 * transfer must end inside it (QEMU 7.2 aborts on count 4096 at 0x40000).
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

#include "fds.h"

#define EDU_DMA_SRC   0x80
#define EDU_DMA_DST   0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD   0x98
#define EDU_DMA_RUN   1
#define EDU_DMA_TO_RAM 2
#define EDU_BUF       0x40000
#define MASK_BITS     28
#define ROUNDS        4

static const char *edu, *profile;

static void put(const char *path, const char *val)
{
	FILE *fp = fopen(path, "w");

	if (fp) {
		fputs(val, fp);
		fclose(fp);
	}
}

static void edu_dma(void *bar0, uint64_t src, uint64_t dst, uint64_t count, uint32_t cmd)
{
	struct timespec start, now;

	udrv_write64(bar0, EDU_DMA_SRC, src);
	udrv_write64(bar0, EDU_DMA_DST, dst);
	udrv_write64(bar0, EDU_DMA_COUNT, count);
	udrv_write32(bar0, EDU_DMA_CMD, cmd | EDU_DMA_RUN);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (udrv_read32(bar0, EDU_DMA_CMD) & EDU_DMA_RUN) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > 5)
			fail_msg("edu DMA did not finish in 5 s");
		usleep(1000);
	}
}

static void test_buffers(void **state)
{
	static const size_t sizes[] = { 4096, 65536, 2 << 20 };
	struct udrv_dma *bufs[3];
	struct udrv_device *dev;
	unsigned int i, r, seed = 42;
	int fds = count_fds();
	void *bar0;

	(void)state;
	if (udrv_open(edu, NULL, &dev) || udrv_bar_map(dev, 0, &bar0, NULL))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_dma_set_mask(dev, MASK_BITS), 0);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	for (i = 0; i < 3; i++) {
		struct udrv_dma *b;
		uint64_t iova;
		size_t k;

		if (udrv_dma_alloc(dev, sizes[i], &b))
			fail_msg("%zu bytes: %s", sizes[i], udrv_last_error());
		bufs[i] = b;
		printf("# %s: %zu bytes at iova 0x%llx (size %zu)\n", profile, sizes[i],
		       (unsigned long long)b->iova, b->size);
		assert_true(b->size >= sizes[i]);
		assert_true(b->iova + b->size - 1 < (1ULL << MASK_BITS));
		for (k = 0; k < b->size; k += 4096)
			assert_int_equal(((unsigned char *)b->vaddr)[k], 0);
		assert_int_equal(udrv_dma_addr(dev, (char *)b->vaddr + b->size - 1, &iova), 0);
		assert_int_equal(iova, b->iova + b->size - 1);
	}
	/* Round trips: random bytes at a random place out and back to another place. */
	for (r = 0; r < ROUNDS * 3; r++) {
		struct udrv_dma *b = bufs[r % 3];
		size_t n = 1 + rand_r(&seed) % 4095;
		size_t out = rand_r(&seed) % (b->size - n + 1), back = rand_r(&seed) % (b->size - n + 1);
		unsigned char *p = b->vaddr;
		unsigned char *want = malloc(n);
		size_t k;

		assert_non_null(want);
		for (k = 0; k < n; k++)
			want[k] = p[out + k] = rand_r(&seed);
		assert_int_equal(udrv_dma_sync_for_device(dev, b), 0);
		edu_dma(bar0, b->iova + out, EDU_BUF, n, 0);
		memset(p + back, 0, n);
		edu_dma(bar0, EDU_BUF, b->iova + back, n, EDU_DMA_TO_RAM);
		assert_int_equal(udrv_dma_sync_for_cpu(dev, b), 0);
		assert_memory_equal(p + back, want, n);
		free(want);
	}
	printf("# %s: %d round trips, every byte checked\n", profile, ROUNDS * 3);
	udrv_dma_free(dev, bufs[1]);
	assert_int_equal(udrv_dma_addr(dev, bufs[0]->vaddr, &(uint64_t){ 0 }), 0);
	udrv_close(dev); /* frees the rest */
	assert_int_equal(count_fds(), fds);
}

static void test_errors(void **state)
{
	struct udrv_device *dev;
	struct udrv_dma *b;
	int x;

	(void)state;
	if (udrv_open(edu, NULL, &dev))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_dma_set_mask(dev, 12), -EINVAL);
	if (!strcmp(profile, "none")) {
		assert_int_equal(udrv_dma_alloc(dev, 4096, &b), -ENOTSUP);
		assert_non_null(strstr(udrv_last_error(), "has no DMA"));
		udrv_close(dev);
		return;
	}
	assert_int_equal(udrv_dma_alloc(dev, 0, &b), -EINVAL);
	assert_int_equal(udrv_dma_addr(dev, &x, &(uint64_t){ 0 }), -EFAULT);
	if (!strcmp(profile, "uio")) {
		assert_int_equal(udrv_dma_alloc(dev, 3 << 20, &b), -EINVAL);
		assert_non_null(strstr(udrv_last_error(), "one 2 MiB huge page at most"));
	}
	udrv_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_errors),
	};
	const struct CMUnitTest none_tests[] = {
		cmocka_unit_test(test_errors),
	};

	edu = getenv("UDRV_EDU");
	profile = getenv("UDRV_VM_PROFILE");
	if (!edu || !profile) {
		fprintf(stderr, "vm_dma: run me under udrv-vm\n");
		return 77;
	}
	/* Huge pages for the uio path (and VFIO's 2 MiB buffers). */
	put("/proc/sys/vm/nr_hugepages", "32");
	if (!strcmp(profile, "none"))
		return cmocka_run_group_tests(none_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
