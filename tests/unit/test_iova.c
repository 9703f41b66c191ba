// SPDX-License-Identifier: MIT
/*
 * The IOVA allocator: usable ranges and the DMA mask, alignment, reuse and
 * coalescing, exhaustion, double frees, requests beyond the tree's
 * alignment classes, running out of memory, 10,000 live buffers, and random
 * runs checked page by page against a shadow map: every allocation must be
 * exactly the lowest aligned fit, and the tree's invariants must hold after
 * every step.  Those run the exact allocator (udrv_iova_set_fast() off);
 * the cache of freed IOVAs, a device's magazine (iova_mag.c) and the
 * rotating base have tests of their own, and a random run with the cache
 * and the base on.  The link wraps aligned_alloc() (where
 * tree nodes come from) so a test can make it fail.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "vfio/iova.h"
#include "vfio/iova_mag.h"

#define PG 4096ULL
#define MiB (1ULL << 20)

void *__real_aligned_alloc(size_t align, size_t size);
void *__wrap_aligned_alloc(size_t align, size_t size);

static bool fail_alloc;

void *__wrap_aligned_alloc(size_t align, size_t size)
{
	return fail_alloc ? NULL : __real_aligned_alloc(align, size);
}

/* udrv_iova_init() without the cache and the rotating base: exact first fit. */
static int init_plain(struct udrv_iova_space *s, const struct udrv_range *usable, size_t n,
		      uint64_t mask, uint64_t page)
{
	int ret = udrv_iova_init(s, usable, n, mask, page);

	if (!ret)
		assert_int_equal(udrv_iova_set_fast(s, false, false), 0);
	return ret;
}

/* x86 with intel-iommu: everything but the MSI window, up to 2^39. */
static const struct udrv_range x86[] = {
	{ 0, 0xfee00000 },
	{ 0xfef00000, (1ULL << 39) - 0xfef00000 },
};

/* The @i-th lowest free extent. */
static struct udrv_range ext(const struct udrv_iova_space *s, size_t i)
{
	struct udrv_range r = { 0, 0 };

	assert_int_equal(udrv_iova_extent(s, i, &r), 0);
	return r;
}

static void assert_sound(const struct udrv_iova_space *s)
{
	const char *err = udrv_iova_check(s);

	if (err)
		fail_msg("IOVA space broken: %s", err);
}

static void test_init_clips(void **state)
{
	struct udrv_iova_space s;
	struct udrv_range r;
	static const struct udrv_range odd[] = { { 0x1234, 0x3000 } };

	(void)state;
	/* 28-bit mask (edu): [4 KiB, 256 MiB), page 0 kept out. */
	assert_int_equal(init_plain(&s, x86, 2, (1ULL << 28) - 1, PG), 0);
	assert_int_equal(udrv_iova_extents(&s), 1);
	assert_int_equal(ext(&s, 0).offset, PG);
	assert_int_equal(udrv_iova_free_bytes(&s), (1ULL << 28) - PG);
	assert_int_equal(udrv_iova_extent(&s, 1, &r), -ENOENT);
	assert_sound(&s);
	udrv_iova_destroy(&s);
	/* 64-bit mask: two extents around the MSI window. */
	assert_int_equal(init_plain(&s, x86, 2, UINT64_MAX, PG), 0);
	assert_int_equal(udrv_iova_extents(&s), 2);
	assert_int_equal(ext(&s, 0).offset + ext(&s, 0).size, 0xfee00000);
	assert_int_equal(ext(&s, 1).offset, 0xfef00000);
	udrv_iova_destroy(&s);
	/* An unaligned range shrinks to whole pages: 0x2000-0x3fff. */
	assert_int_equal(init_plain(&s, odd, 1, UINT64_MAX, PG), 0);
	assert_int_equal(ext(&s, 0).offset, 0x2000);
	assert_int_equal(ext(&s, 0).size, 0x2000);
	udrv_iova_destroy(&s);
	/* Nothing under the mask, a bad page size. */
	assert_int_equal(init_plain(&s, odd, 1, 0xfff, PG), -ENOSPC);
	assert_int_equal(init_plain(&s, x86, 2, UINT64_MAX, 3000), -EINVAL);
}

static void test_align_reuse_coalesce(void **state)
{
	struct udrv_iova_space s;
	uint64_t a, b, c, d;

	(void)state;
	assert_int_equal(init_plain(&s, x86, 2, (1ULL << 28) - 1, PG), 0);
	assert_int_equal(udrv_iova_alloc(&s, 100, PG, &a), 0);
	assert_int_equal(a, PG);
	/* 2 MiB naturally aligned: skips to 2 MiB, the gap stays free. */
	assert_int_equal(udrv_iova_alloc(&s, 2 * MiB, 2 * MiB, &b), 0);
	assert_int_equal(b, 2 * MiB);
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &c), 0);
	assert_int_equal(c, 2 * PG); /* first fit: the gap before b */
	assert_int_equal(udrv_iova_extents(&s), 2);
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
	assert_int_equal(udrv_iova_extents(&s), 1);
	assert_int_equal(udrv_iova_free_bytes(&s), (1ULL << 28) - PG);
	assert_sound(&s);
	udrv_iova_destroy(&s);
}

static void test_errors_and_exhaustion(void **state)
{
	static const struct udrv_range small[] = { { 0x10000, 8 * PG } };
	struct udrv_iova_space s;
	uint64_t a, x;
	int i;

	(void)state;
	assert_int_equal(init_plain(&s, small, 1, UINT64_MAX, PG), 0);
	assert_int_equal(udrv_iova_alloc(&s, 0, PG, &a), -EINVAL);
	assert_int_equal(udrv_iova_alloc(&s, PG, 3 * PG, &a), -EINVAL);
	assert_int_equal(udrv_iova_alloc(&s, PG, 512, &a), -EINVAL);
	assert_int_equal(udrv_iova_alloc(&s, 9 * PG, PG, &a), -ENOSPC);
	for (i = 0; i < 8; i++)
		assert_int_equal(udrv_iova_alloc(&s, PG, PG, &a), 0);
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &x), -ENOSPC);
	assert_int_equal(udrv_iova_extents(&s), 0);
	assert_int_equal(udrv_iova_free(&s, a, PG), 0);
	assert_int_equal(udrv_iova_free(&s, a, PG), -EINVAL);      /* double free */
	assert_int_equal(udrv_iova_free(&s, a - PG, 2 * PG), -EINVAL); /* overlaps free */
	assert_int_equal(udrv_iova_free(&s, a - 2 * PG, 3 * PG), -EINVAL); /* ends in free */
	assert_int_equal(udrv_iova_free(&s, a + 1, PG), -EINVAL);  /* unaligned */
	assert_int_equal(udrv_iova_free(&s, PG, UINT64_MAX), -EINVAL); /* wraps */
	assert_int_equal(udrv_iova_extents(&s), 1);
	assert_sound(&s);
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &x), 0);
	assert_int_equal(x, a);
	udrv_iova_destroy(&s);
}

/* Alignments and sizes the tree's classes do not cover take the slow, exact path. */
static void test_beyond_classes(void **state)
{
	static const struct udrv_range ranges[] = {
		{ PG, 300 * MiB },                  /* long enough, badly placed */
		{ 1024 * MiB + PG, 600 * MiB },     /* holds 256 MiB-aligned 280 MiB */
	};
	struct udrv_iova_space s;
	uint64_t a, b;

	(void)state;
	assert_int_equal(init_plain(&s, ranges, 2, UINT64_MAX, PG), 0);
	/* 280 MiB is more pages than a bound counts; 256 MiB alignment is no class. */
	assert_int_equal(udrv_iova_alloc(&s, 280 * MiB, 256 * MiB, &a), 0);
	assert_int_equal(a, 1280 * MiB);
	/* Page-aligned but too many pages for the bounds: the first range. */
	assert_int_equal(udrv_iova_alloc(&s, 290 * MiB, PG, &b), 0);
	assert_int_equal(b, PG);
	/* 4 MiB alignment is no class either: the first range's tail. */
	assert_int_equal(udrv_iova_alloc(&s, 8 * MiB, 4 * MiB, &b), 0);
	assert_int_equal(b, 292 * MiB);
	/* Fits at 1032 MiB, but not below 1100 MiB. */
	assert_int_equal(udrv_iova_alloc_below(&s, 200 * MiB, 8 * MiB, 1100 * MiB - 1, &b),
			 -ENOSPC);
	assert_int_equal(udrv_iova_alloc(&s, 200 * MiB, 8 * MiB, &b), 0);
	assert_int_equal(b, 1032 * MiB);
	assert_sound(&s);
	assert_int_equal(udrv_iova_free(&s, b, 200 * MiB), 0);
	assert_int_equal(udrv_iova_free(&s, a, 280 * MiB), 0);
	assert_int_equal(udrv_iova_alloc(&s, 512 * MiB, 512 * MiB, &b), -ENOSPC);
	assert_int_equal(udrv_iova_alloc(&s, 64 * MiB, 512 * MiB, &b), 0);
	assert_int_equal(b, 1536 * MiB);
	assert_sound(&s);
	udrv_iova_destroy(&s);
}

/* Out of memory for a tree node: -ENOMEM, and the space is as it was. */
static void test_enomem_keeps_state(void **state)
{
	static const struct udrv_range space[] = { { 0, 4096 * PG } };
	struct udrv_iova_space s;
	uint64_t a, free_before, p;
	size_t n_before;
	int i, ret;

	(void)state;
	assert_int_equal(init_plain(&s, space, 1, UINT64_MAX, PG), 0);
	for (i = 1; i <= 200; i++) {
		assert_int_equal(udrv_iova_alloc(&s, PG, PG, &a), 0);
		assert_int_equal(a, i * PG);
	}
	/* Free every other page, each a new extent, until no spare node is left. */
	for (p = 2; s.spare; p += 2)
		assert_int_equal(udrv_iova_free(&s, p * PG, PG), 0);
	assert_true(p < 200);
	free_before = udrv_iova_free_bytes(&s);
	n_before = udrv_iova_extents(&s);
	fail_alloc = true;
	/* Page p has no free neighbour: freeing it needs a node. */
	ret = udrv_iova_free(&s, p * PG, PG);
	assert_int_equal(ret, -ENOMEM);
	/* Two pages at 256 KiB: only the tail (from page 201) fits, split in two. */
	ret = udrv_iova_alloc(&s, 2 * PG, 64 * PG, &a);
	fail_alloc = false;
	assert_int_equal(ret, -ENOMEM);
	assert_int_equal(udrv_iova_free_bytes(&s), free_before);
	assert_int_equal(udrv_iova_extents(&s), n_before);
	assert_sound(&s);
	/* With memory back, both work. */
	assert_int_equal(udrv_iova_free(&s, p * PG, PG), 0);
	assert_int_equal(udrv_iova_alloc(&s, 2 * PG, 64 * PG, &a), 0);
	assert_int_equal(a, 256 * PG);
	assert_int_equal(udrv_iova_extents(&s), n_before + 2);
	assert_sound(&s);
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
	assert_int_equal(init_plain(&s, x86, 2, UINT64_MAX, PG), 0);
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
	assert_int_equal(udrv_iova_extents(&s), 2);
	assert_sound(&s);
	printf("# 10000 buffers: %.0f ns per alloc, %.0f ns per free\n", t_alloc / N * 1e9,
	       t_free / N * 1e9);
	udrv_iova_destroy(&s);
}

/* The shadow of a space of PAGES pages: which are handed out. */
enum { PAGES = 4096 };

struct shadow {
	unsigned char used[PAGES];
	uint64_t free_pages;
};

/* The lowest run of @pages free pages starting at a multiple of @align pages, or -1. */
static long lowest_fit(const struct shadow *sh, long pages, long align)
{
	long x = 0, k;

	while (x + pages <= PAGES) {
		for (k = 0; k < pages && !sh->used[x + k]; k++)
			;
		if (k == pages)
			return x;
		x = (x + k + 1 + align - 1) / align * align; /* past the used page */
	}
	return -1;
}

static void mark(struct shadow *sh, uint64_t iova, uint64_t size, unsigned char used)
{
	uint64_t p;

	for (p = iova / PG; p < (iova + size) / PG; p++) {
		assert_int_not_equal(sh->used[p], used); /* never handed out or freed twice */
		sh->used[p] = used;
	}
	if (used)
		sh->free_pages -= size / PG;
	else
		sh->free_pages += size / PG;
}

/*
 * One random allocation, checked against the shadow: exactly the lowest
 * aligned fit, or -ENOSPC exactly when that fit is missing or ends above
 * the limit.  Alignments go past the tree's classes (up to 8 MiB).
 */
static uint64_t random_alloc(struct udrv_iova_space *s, struct shadow *sh, unsigned int *seed,
			     uint64_t *size)
{
	uint64_t pages = rand_r(seed) % 8 ? 1 + rand_r(seed) % 16 : 1 + rand_r(seed) % 600;
	uint64_t align = PG << (rand_r(seed) % 12), limit = UINT64_MAX, iova = 0;
	long want = lowest_fit(sh, (long)pages, (long)(align / PG));
	int ret;

	if (rand_r(seed) % 3)
		limit = (1 + rand_r(seed) % PAGES) * PG - 1;
	ret = udrv_iova_alloc_below(s, pages * PG, align, limit, &iova);
	if (want < 0 || (want + pages) * PG - 1 > limit) {
		assert_int_equal(ret, -ENOSPC);
		return 0;
	}
	assert_int_equal(ret, 0);
	assert_int_equal(iova, (uint64_t)want * PG);
	mark(sh, iova, pages * PG, 1);
	*size = pages * PG;
	return iova;
}

/* A free of something not (entirely) handed out must be refused and change nothing. */
static void bad_free(struct udrv_iova_space *s, const struct shadow *sh, unsigned int *seed)
{
	uint64_t p = 1 + rand_r(seed) % (PAGES - 1), n = 1 + rand_r(seed) % 8;
	uint64_t k, some_free = 0;

	for (k = p; k < p + n && k < PAGES; k++)
		some_free |= !sh->used[k];
	if (some_free)
		assert_int_equal(udrv_iova_free(s, p * PG, n * PG), -EINVAL);
}

static void random_run(unsigned int seed, int steps, int live_max)
{
	static const struct udrv_range space[] = { { 0, PAGES * PG } };
	static struct shadow sh;
	struct { uint64_t iova, size; } *live = calloc(live_max, sizeof(*live));
	struct udrv_iova_space s;
	unsigned int fails = 0;
	int step, k;

	assert_non_null(live);
	memset(&sh, 0, sizeof(sh));
	sh.used[0] = 1; /* page 0 is never handed out */
	sh.free_pages = PAGES - 1;
	assert_int_equal(init_plain(&s, space, 1, UINT64_MAX, PG), 0);
	for (step = 0; step < steps; step++) {
		k = rand_r(&seed) % live_max;
		if (live[k].size) {
			assert_int_equal(udrv_iova_free(&s, live[k].iova, live[k].size), 0);
			mark(&sh, live[k].iova, live[k].size, 0);
			live[k].size = 0;
		} else {
			live[k].iova = random_alloc(&s, &sh, &seed, &live[k].size);
			fails += !live[k].size;
		}
		if (step % 16 == 0)
			bad_free(&s, &sh, &seed);
		assert_sound(&s);
		assert_int_equal(udrv_iova_free_bytes(&s), sh.free_pages * PG);
	}
	printf("# %d random steps, %d live at most: %u allocations refused, %zu free extents\n",
	       steps, live_max, fails, udrv_iova_extents(&s));
	for (k = 0; k < live_max; k++)
		if (live[k].size)
			assert_int_equal(udrv_iova_free(&s, live[k].iova, live[k].size), 0);
	assert_int_equal(udrv_iova_extents(&s), 1);
	assert_sound(&s);
	udrv_iova_destroy(&s);
	free(live);
}

/* Many small live buffers: a fragmented space, a deep tree. */
static void test_random_fragmented(void **state)
{
	(void)state;
	random_run(7, 20000, 256);
}

/* Few live buffers, many steps: every kind of split, merge and rotation. */
static void test_random_long(void **state)
{
	(void)state;
	random_run(11, 100000, 40);
}

/* Freed small IOVAs come back from the cache, checked for alignment and limit; exhaustion flushes it. */
static void test_cache(void **state)
{
	static const struct udrv_range small[] = { { 0x100000, 64 * PG } };
	struct udrv_iova_space s;
	uint64_t a, b, c, total, first[32];
	int i;

	(void)state;
	assert_int_equal(udrv_iova_init(&s, x86, 2, UINT64_MAX, PG), 0);
	assert_int_equal(udrv_iova_set_fast(&s, true, false), 0);
	total = udrv_iova_free_bytes(&s);
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &a), 0);
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &b), 0);
	assert_int_equal(udrv_iova_free(&s, a, PG), 0);
	assert_sound(&s);
	assert_int_equal(udrv_iova_free_bytes(&s), total - PG);
	/* The same size gets the cached one; another size goes to the tree. */
	assert_int_equal(udrv_iova_alloc(&s, 2 * PG, 2 * PG, &c), 0);
	assert_true(c != a);
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &c), 0);
	assert_int_equal(c, a);
	/*
	 * A cached IOVA above the limit is not handed out: the tree has nothing
	 * below b either (a is cached), so the cache is flushed into it and a comes.
	 */
	assert_int_equal(udrv_iova_free(&s, c, PG), 0);
	assert_int_equal(udrv_iova_free(&s, b, PG), 0);
	assert_int_equal(udrv_iova_alloc_below(&s, PG, PG, b - 1, &c), 0);
	assert_int_equal(c, a);
	assert_int_equal(s.cached_bytes, 0);
	/* Nor one that breaks the alignment. */
	assert_int_equal(udrv_iova_free(&s, c, PG), 0);
	assert_int_equal(udrv_iova_alloc(&s, PG, 2 * MiB, &c), 0);
	assert_int_equal(c & (2 * MiB - 1), 0);
	assert_int_equal(udrv_iova_free(&s, c, PG), 0);
	assert_sound(&s);
	udrv_iova_destroy(&s);

	/* A small space: cached pieces merge back when a large request needs them. */
	assert_int_equal(udrv_iova_init(&s, small, 1, UINT64_MAX, PG), 0);
	assert_int_equal(s.base_size, 0); /* too small to set a base aside */
	/* 32 single pages, freed: all cached, the tree keeps 32 pages. */
	for (i = 0; i < 32; i++)
		assert_int_equal(udrv_iova_alloc(&s, PG, PG, &first[i]), 0);
	for (i = 0; i < 32; i++)
		assert_int_equal(udrv_iova_free(&s, first[i], PG), 0);
	assert_int_equal(s.cached_bytes, 32 * PG);
	assert_int_equal(udrv_iova_alloc(&s, PG, PG, &a), 0);
	assert_int_equal(a, first[31]);
	assert_int_equal(udrv_iova_free(&s, a, PG), 0);
	assert_sound(&s);
	assert_int_equal(udrv_iova_alloc(&s, 64 * PG, PG, &a), 0);
	assert_int_equal(a, 0x100000);
	assert_int_equal(udrv_iova_free_bytes(&s), 0);
	assert_sound(&s);
	udrv_iova_destroy(&s);
}

/* A device's magazine (iova_mag.c): last in first out per size, bounded, aligned and below the limit. */
static void test_magazine(void **state)
{
	struct udrv_iova_mag m = { 0 };
	uint64_t v, size, seen = 0;
	unsigned int i, n = 0;

	(void)state;
	assert_false(udrv_iova_mag_get(&m, PG, PG, UINT64_MAX, &v));
	assert_true(udrv_iova_mag_put(&m, 0x10000, PG));
	assert_true(udrv_iova_mag_put(&m, 0x20000, PG));
	assert_true(udrv_iova_mag_put(&m, 0x30000, 2 * PG));
	/* Only the exact size: a 3-page request finds nothing. */
	assert_false(udrv_iova_mag_get(&m, 3 * PG, PG, UINT64_MAX, &v));
	/* The newest first; one that breaks the alignment or the limit stays put. */
	assert_false(udrv_iova_mag_get(&m, PG, 0x40000, UINT64_MAX, &v));
	assert_false(udrv_iova_mag_get(&m, PG, PG, 0x20ffe, &v));
	assert_true(udrv_iova_mag_get(&m, PG, PG, 0x20fff, &v));
	assert_int_equal(v, 0x20000);
	assert_true(udrv_iova_mag_get(&m, PG, 0x10000, UINT64_MAX, &v));
	assert_int_equal(v, 0x10000);
	assert_false(udrv_iova_mag_get(&m, PG, PG, UINT64_MAX, &v));
	/* Sizes outside the classes are never kept; a full class keeps no more. */
	assert_false(udrv_iova_mag_put(&m, 0x40000, (UDRV_IOVA_MAG_CLASSES + 1) * (uint64_t)PG));
	assert_false(udrv_iova_mag_put(&m, 0x40000, PG + 512));
	assert_false(udrv_iova_mag_put(&m, 0x40000, 0));
	for (i = 0; i < UDRV_IOVA_MAG_DEPTH; i++)
		assert_true(udrv_iova_mag_put(&m, 0x100000 + i * PG, PG));
	assert_false(udrv_iova_mag_put(&m, 0x200000, PG));
	/* Emptied: every IOVA once, with its size. */
	while (udrv_iova_mag_pop(&m, &v, &size)) {
		if (size == 2 * PG) {
			assert_int_equal(v, 0x30000);
		} else {
			assert_int_equal(size, PG);
			assert_true(v >= 0x100000 && v < 0x100000 + UDRV_IOVA_MAG_DEPTH * PG);
			seen |= 1ULL << ((v - 0x100000) / PG);
		}
		n++;
	}
	assert_int_equal(n, UDRV_IOVA_MAG_DEPTH + 1);
	assert_int_equal(seen, (1ULL << UDRV_IOVA_MAG_DEPTH) - 1);
	assert_false(udrv_iova_mag_get(&m, 2 * PG, PG, UINT64_MAX, &v));
}

/* A new space does not hand out the same first IOVA every time; a full space gives the reservation back. */
static void test_rotating_base(void **state)
{
	static const struct udrv_range r256[] = { { 0, 256 * MiB } };
	struct udrv_iova_space s;
	uint64_t first[8], a, left;
	int i, distinct = 0;

	(void)state;
	for (i = 0; i < 8; i++) {
		assert_int_equal(udrv_iova_init(&s, x86, 2, (1ULL << 28) - 1, PG), 0);
		assert_int_equal(udrv_iova_alloc(&s, PG, PG, &first[i]), 0);
		assert_true(first[i] >= PG && first[i] < PG + UDRV_IOVA_BASE_SPAN);
		assert_sound(&s);
		udrv_iova_destroy(&s);
		distinct += i == 0 || first[i] != first[i - 1];
	}
	assert_true(distinct >= 4);
	/* All of a 28-bit space can still be had: the reservation comes back when needed. */
	assert_int_equal(udrv_iova_init(&s, r256, 1, UINT64_MAX, PG), 0);
	left = udrv_iova_free_bytes(&s);
	assert_int_equal(left, 256 * MiB - PG);
	while (!udrv_iova_alloc(&s, 2 * MiB, 2 * MiB, &a))
		left -= 2 * MiB;
	assert_int_equal(s.base_size, 0);
	assert_true(left < 2 * MiB);
	assert_sound(&s);
	/* Off and on again: a fresh base only if the lowest extent has room (it has none here). */
	assert_int_equal(udrv_iova_set_fast(&s, false, true), 0);
	assert_int_equal(s.base_size, 0);
	udrv_iova_destroy(&s);
}

/* A random run with both policies on: the space stays sound and frees come back whole. */
static void test_random_fast(void **state)
{
	struct udrv_iova_space s;
	struct { uint64_t iova, size; } live[512];
	unsigned int seed = 5, n = 0, step;
	uint64_t total;

	(void)state;
	assert_int_equal(udrv_iova_init(&s, x86, 2, (1ULL << 36) - 1, PG), 0);
	total = udrv_iova_free_bytes(&s);
	for (step = 0; step < 20000; step++) {
		if (n && (n == 512 || rand_r(&seed) % 2)) {
			unsigned int k = rand_r(&seed) % n;

			assert_int_equal(udrv_iova_free(&s, live[k].iova, live[k].size), 0);
			live[k] = live[--n];
		} else {
			uint64_t size = (1 + rand_r(&seed) % 24) * PG, align = PG;

			while (align < size)
				align <<= 1;
			assert_int_equal(udrv_iova_alloc_below(&s, size, align, (1ULL << 36) - 1,
							       &live[n].iova), 0);
			assert_int_equal(live[n].iova & (align - 1), 0);
			live[n++].size = size;
		}
		if (step % 1000 == 0)
			assert_sound(&s);
	}
	while (n--)
		assert_int_equal(udrv_iova_free(&s, live[n].iova, live[n].size), 0);
	assert_sound(&s);
	assert_int_equal(udrv_iova_free_bytes(&s), total);
	assert_int_equal(udrv_iova_set_fast(&s, false, false), 0);
	assert_int_equal(udrv_iova_extents(&s), 2);
	udrv_iova_destroy(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_clips),
		cmocka_unit_test(test_align_reuse_coalesce),
		cmocka_unit_test(test_errors_and_exhaustion),
		cmocka_unit_test(test_beyond_classes),
		cmocka_unit_test(test_enomem_keeps_state),
		cmocka_unit_test(test_ten_thousand),
		cmocka_unit_test(test_random_fragmented),
		cmocka_unit_test(test_random_long),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_magazine),
		cmocka_unit_test(test_rotating_base),
		cmocka_unit_test(test_random_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
