// SPDX-License-Identifier: MIT
/*
 * The IOVA allocator: usable ranges and the DMA mask, alignment, reuse and
 * coalescing, exhaustion, double frees, 10,000 live buffers, and a random
 * run checked page by page against a shadow map.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "iova.h"

#define PG 4096ULL
#define MiB (1ULL << 20)

/* x86 with intel-iommu: everything but the MSI window, up to 2^39. */
static const struct udrv_range x86[] = {
	{ 0, 0xfee00000 },
	{ 0xfef00000, (1ULL << 39) - 0xfef00000 },
};

static void test_init_clips(void **state)
{
	struct udrv_iova_space s;
	static const struct udrv_range odd[] = { { 0x1234, 0x3000 } };

	(void)state;
	/* 28-bit mask (edu): [4 KiB, 256 MiB), page 0 kept out. */
	assert_int_equal(udrv_iova_init(&s, x86, 2, (1ULL << 28) - 1, PG), 0);
	assert_int_equal(s.nfree, 1);
	assert_int_equal(s.free[0].offset, PG);
	assert_int_equal(udrv_iova_free_bytes(&s), (1ULL << 28) - PG);
	udrv_iova_destroy(&s);
	/* 64-bit mask: two extents around the MSI window. */
	assert_int_equal(udrv_iova_init(&s, x86, 2, UINT64_MAX, PG), 0);
	assert_int_equal(s.nfree, 2);
	assert_int_equal(s.free[0].offset + s.free[0].size, 0xfee00000);
	assert_int_equal(s.free[1].offset, 0xfef00000);
	udrv_iova_destroy(&s);
	/* An unaligned range shrinks to whole pages: 0x2000-0x3fff. */
	assert_int_equal(udrv_iova_init(&s, odd, 1, UINT64_MAX, PG), 0);
	assert_int_equal(s.free[0].offset, 0x2000);
	assert_int_equal(s.free[0].size, 0x2000);
	udrv_iova_destroy(&s);
	/* Nothing under the mask, a bad page size. */
	assert_int_equal(udrv_iova_init(&s, odd, 1, 0xfff, PG), -ENOSPC);
	assert_int_equal(udrv_iova_init(&s, x86, 2, UINT64_MAX, 3000), -EINVAL);
}

static void test_align_reuse_coalesce(void **state)
{
	struct udrv_iova_space s;
	uint64_t a, b, c, d;

	(void)state;
	assert_int_equal(udrv_iova_init(&s, x86, 2, (1ULL << 28) - 1, PG), 0);
	assert_int_equal(udrv_iova_alloc(&s, 100, PG, &a), 0);
	assert_int_equal(a, PG);
	/* 2 MiB naturally aligned: skips to 2 MiB, the gap stays free. */
	assert_int_equal(udrv_iova_alloc(&s, 2 * MiB, 2 * MiB, &b), 0);
	assert_int_equal(b, 2 * MiB);
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &c), 0);
	assert_int_equal(c, 2 * PG); /* first fit: the gap before b */
	assert_int_equal(s.nfree, 2);
	/* Free b and reuse it. */
	assert_int_equal(udrv_iova_free(&s, b, 2 * MiB), 0);
	assert_int_equal(udrv_iova_alloc(&s, 2 * MiB, 2 * MiB, &d), 0);
	assert_int_equal(d, b);
	/* Below a limit: fits under 4 MiB, not under 2 MiB + 4 KiB. */
	assert_int_equal(udrv_iova_alloc_below(&s, 2 * MiB, 2 * MiB, 2 * MiB + PG, &a), -ENOSPC);
	assert_int_equal(udrv_iova_alloc_below(&s, PG, PG, 4 * MiB - 1, &a), 0);
	assert_int_equal(udrv_iova_free(&s, a, PG), 0);
	a = PG;
	/* Free everything in a scrambled order: one extent again. */
	assert_int_equal(udrv_iova_free(&s, c, PG), 0);
	assert_int_equal(udrv_iova_free(&s, d, 2 * MiB), 0);
	assert_int_equal(udrv_iova_free(&s, a, 100), 0);
	assert_int_equal(s.nfree, 1);
	assert_int_equal(udrv_iova_free_bytes(&s), (1ULL << 28) - PG);
	udrv_iova_destroy(&s);
}

static void test_errors_and_exhaustion(void **state)
{
	static const struct udrv_range small[] = { { 0x10000, 8 * PG } };
	struct udrv_iova_space s;
	uint64_t a, x;
	int i;

	(void)state;
	assert_int_equal(udrv_iova_init(&s, small, 1, UINT64_MAX, PG), 0);
	assert_int_equal(udrv_iova_alloc(&s, 0, PG, &a), -EINVAL);
	assert_int_equal(udrv_iova_alloc(&s, PG, 3 * PG, &a), -EINVAL);
	assert_int_equal(udrv_iova_alloc(&s, PG, 512, &a), -EINVAL);
	assert_int_equal(udrv_iova_alloc(&s, 9 * PG, PG, &a), -ENOSPC);
	for (i = 0; i < 8; i++)
		assert_int_equal(udrv_iova_alloc(&s, PG, PG, &a), 0);
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &x), -ENOSPC);
	assert_int_equal(s.nfree, 0);
	assert_int_equal(udrv_iova_free(&s, a, PG), 0);
	assert_int_equal(udrv_iova_free(&s, a, PG), -EINVAL);      /* double free */
	assert_int_equal(udrv_iova_free(&s, a - PG, 2 * PG), -EINVAL); /* overlaps free */
	assert_int_equal(udrv_iova_free(&s, a + 1, PG), -EINVAL);  /* unaligned */
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &x), 0);
	assert_int_equal(x, a);
	udrv_iova_destroy(&s);
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_ten_thousand(void **state)
{
	enum { N = 10000 };
	static uint64_t addr[N];
	struct udrv_iova_space s;
	double t0, t_alloc, t_free;
	unsigned int i, seed = 1;

	(void)state;
	assert_int_equal(udrv_iova_init(&s, x86, 2, UINT64_MAX, PG), 0);
	t0 = seconds();
	for (i = 0; i < N; i++)
		assert_int_equal(udrv_iova_alloc(&s, PG, PG, &addr[i]), 0);
	t_alloc = seconds() - t0;
	/* Free in a random order (Fisher-Yates): the space must coalesce back. */
	for (i = N - 1; i > 0; i--) {
		unsigned int j = rand_r(&seed) % (i + 1);
		uint64_t t = addr[i];

		addr[i] = addr[j];
		addr[j] = t;
	}
	t0 = seconds();
	for (i = 0; i < N; i++)
		assert_int_equal(udrv_iova_free(&s, addr[i], PG), 0);
	t_free = seconds() - t0;
	assert_int_equal(s.nfree, 2);
	printf("# 10000 buffers: %.0f ns per alloc, %.0f ns per free\n", t_alloc / N * 1e9,
	       t_free / N * 1e9);
	udrv_iova_destroy(&s);
}

static void test_random_against_shadow(void **state)
{
	enum { PAGES = 4096, LIVE = 256, STEPS = 20000 };
	static unsigned char used[PAGES];
	static const struct udrv_range space[] = { { 0, PAGES * PG } };
	struct { uint64_t iova, size; } live[LIVE] = { { 0, 0 } };
	struct udrv_iova_space s;
	unsigned int step, seed = 7, k, p, fails = 0;

	(void)state;
	memset(used, 0, sizeof(used));
	used[0] = 1; /* page 0 is never handed out */
	assert_int_equal(udrv_iova_init(&s, space, 1, UINT64_MAX, PG), 0);
	for (step = 0; step < STEPS; step++) {
		k = rand_r(&seed) % LIVE;
		if (live[k].size) {
			assert_int_equal(udrv_iova_free(&s, live[k].iova, live[k].size), 0);
			for (p = 0; p < live[k].size / PG; p++)
				used[live[k].iova / PG + p] = 0;
			live[k].size = 0;
		} else {
			uint64_t pages = 1 + rand_r(&seed) % 16, align = PG << (rand_r(&seed) % 4);
			uint64_t iova;

			if (udrv_iova_alloc(&s, pages * PG, align, &iova)) {
				fails++;
				continue;
			}
			assert_int_equal(iova % align, 0);
			for (p = 0; p < pages; p++) {
				assert_int_equal(used[iova / PG + p], 0); /* never handed out twice */
				used[iova / PG + p] = 1;
			}
			live[k].iova = iova;
			live[k].size = pages * PG;
		}
	}
	/* The allocator's free bytes equal the shadow's unused pages. */
	for (p = 0, k = 0; p < PAGES; p++)
		k += !used[p];
	assert_int_equal(udrv_iova_free_bytes(&s), (uint64_t)k * PG);
	printf("# %d random steps, %u allocations refused for space, %zu free extents\n", STEPS,
	       fails, s.nfree);
	udrv_iova_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_clips),
		cmocka_unit_test(test_align_reuse_coalesce),
		cmocka_unit_test(test_errors_and_exhaustion),
		cmocka_unit_test(test_ten_thousand),
		cmocka_unit_test(test_random_against_shadow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
