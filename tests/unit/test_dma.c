// SPDX-License-Identifier: MIT
/*
 * The generic DMA code (lib/core/dma.c, dma_tree.c) on a fake backend: an
 * ops table whose buffers are anonymous memory at made-up device
 * addresses.  After every step the device's tree is checked whole: a
 * B+tree by address with exact separators, buffers that do not overlap,
 * exactly the live ones; a long random run against a page map checks
 * overlap refusals and lookups in a tree several levels deep.  Also: udrv_dma_addr() for every byte offset kind,
 * the overlap checks of udrv_dma_map(), a release that fails, the error
 * contract around teardown, and many threads on one device at once.  The
 * fake's device addresses are never 2 MiB-aligned, so the core refuses its
 * memory as a chunk and every buffer here has memory of its own (carved
 * buffers and pools: test_dma_pool.c).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dma_internal.h"

#define PG 4096u
#define IOVA_BASE 0x100000000ull

static uint64_t next_iova = IOVA_BASE;
static int fail_free;     /* the next dma_free fails with this errno */
static int live;          /* buffers the fake backend holds */

static int fake_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	size_t len = (size + PG - 1) & ~(size_t)(PG - 1);
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)dev;
	if (mem == MAP_FAILED)
		return udrv_err(ENOMEM, "fake: mmap");
	buf->pub.vaddr = mem;
	buf->pub.size = len;
	buf->map_base = mem;
	buf->map_len = len;
	buf->pub.iova = __atomic_fetch_add(&next_iova, len + PG, __ATOMIC_RELAXED);
	/* Never 2 MiB-aligned: the core refuses it as a chunk (test_dma_pool.c has chunks). */
	if (!(buf->pub.iova & ((2u << 20) - 1)))
		buf->pub.iova += PG;
	__atomic_fetch_add(&live, 1, __ATOMIC_RELAXED);
	return 0;
}

static int fake_map(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	(void)dev;
	buf->pub.iova = __atomic_fetch_add(&next_iova, buf->pub.size + PG, __ATOMIC_RELAXED);
	__atomic_fetch_add(&live, 1, __ATOMIC_RELAXED);
	return 0;
}

static int fake_free(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	(void)dev;
	__atomic_fetch_sub(&live, 1, __ATOMIC_RELAXED);
	if (buf->map_base)
		munmap(buf->map_base, buf->map_len);
	if (fail_free) {
		int err = fail_free;

		fail_free = 0;
		return -err;
	}
	return 0;
}

static const struct udrv_backend_ops fake_ops = {
	.path = { .name = "fake" },
	.dma_alloc = fake_alloc,
	.dma_map = fake_map,
	.dma_free = fake_free,
};

static struct udrv_device dev;

static int setup(void **state)
{
	(void)state;
	memset(&dev, 0, sizeof(dev));
	strcpy(dev.name, "0000:00:05.0");
	dev.ops = &fake_ops;
	pthread_mutex_init(&dev.dma.lock, NULL);
	live = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	udrv_dma_release_all(&dev);
	assert_int_equal(live, 0);
	pthread_mutex_destroy(&dev.dma.lock);
	return 0;
}

/* The tree whole (order, exact separators, no overlap, count), and exactly the live buffers. */
static void check_tree(size_t want)
{
	size_t n;
	const char *err = udrv_dma_tree_check(&dev.dma.tree, &n);

	if (err)
		fail_msg("DMA tree broken: %s", err);
	assert_int_equal(n, want);
	assert_int_equal(live, (int)want);
}

/* Every byte of a buffer maps to its IOVA plus the same offset, and no byte outside. */
static void test_addr_arithmetic(void **state)
{
	static const size_t offs[] = { 0, 1, 7, PG - 1, PG, PG + 1, 3 * PG - 1 };
	struct udrv_dma *a, *b;
	uint64_t iova;
	size_t i;

	(void)state;
	assert_int_equal(udrv_dma_alloc(&dev, 3 * PG, &a), 0);
	assert_int_equal(udrv_dma_alloc(&dev, 100, &b), 0);
	assert_int_equal(a->size, 3 * PG);
	assert_int_equal(b->size, PG);
	check_tree(2);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		assert_int_equal(udrv_dma_addr(&dev, (char *)a->vaddr + offs[i], &iova), 0);
		assert_int_equal(iova, a->iova + offs[i]);
	}
	assert_int_equal(udrv_dma_addr(&dev, (char *)b->vaddr + 99, &iova), 0);
	assert_int_equal(iova, b->iova + 99);
	/* One past the end is not in the buffer, and the message says whose. */
	assert_int_equal(udrv_dma_addr(&dev, (char *)a->vaddr + a->size, &iova) == 0 &&
			 iova == a->iova + a->size, 0);
	assert_int_equal(udrv_dma_addr(&dev, (char *)a->vaddr - 1, &iova) == 0 &&
			 iova == a->iova - 1, 0);
	assert_int_equal(udrv_dma_addr(&dev, &iova, &iova), -EFAULT);
	assert_non_null(strstr(udrv_last_error(), "0000:00:05.0: "));
	assert_non_null(strstr(udrv_last_error(), "is in none of the device's DMA buffers"));
	udrv_dma_free(&dev, a);
	check_tree(1);
	assert_int_equal(udrv_dma_addr(&dev, b->vaddr, &iova), 0);
	assert_int_equal(iova, b->iova);
	udrv_dma_free(&dev, b);
	check_tree(0);
}

/* udrv_dma_map() refuses memory that overlaps a buffer by one page, accepts its neighbours. */
static void test_map_overlap(void **state)
{
	char *mem = mmap(NULL, 8 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct udrv_dma *mid, *lo, *hi, *x;

	(void)state;
	assert_true(mem != MAP_FAILED);
	assert_int_equal(udrv_dma_map(&dev, mem + 3 * PG, 2 * PG, &mid), 0);
	/* The same range, a range ending in its first page, one starting in its last. */
	assert_int_equal(udrv_dma_map(&dev, mem + 3 * PG, 2 * PG, &x), -EEXIST);
	assert_null(x);
	assert_int_equal(udrv_dma_map(&dev, mem + 2 * PG, 2 * PG, &x), -EEXIST);
	assert_int_equal(udrv_dma_map(&dev, mem + 4 * PG, 2 * PG, &x), -EEXIST);
	assert_int_equal(udrv_dma_map(&dev, mem, 8 * PG, &x), -EEXIST);
	assert_non_null(strstr(udrv_last_error(), "is already in a DMA buffer of this device"));
	/* Unaligned, or a partial last page that reaches into it. */
	assert_int_equal(udrv_dma_map(&dev, mem + 1, PG, &x), -EINVAL);
	assert_int_equal(udrv_dma_map(&dev, mem + 2 * PG, PG + 1, &x), -EEXIST);
	check_tree(1);
	/* The pages right below and right above are free. */
	assert_int_equal(udrv_dma_map(&dev, mem + 2 * PG, PG, &lo), 0);
	assert_int_equal(udrv_dma_map(&dev, mem + 5 * PG, PG, &hi), 0);
	check_tree(3);
	udrv_dma_free(&dev, mid);
	udrv_dma_free(&dev, lo);
	udrv_dma_free(&dev, hi);
	check_tree(0);
	munmap(mem, 8 * PG);
}

/* Random allocation and freeing keeps the tree whole; foreign and NULL handles are ignored. */
static void test_tree_invariants(void **state)
{
	struct udrv_dma *bufs[64] = { NULL }, other = { 0 };
	unsigned int seed = 7, i, n = 0, step;

	(void)state;
	for (step = 0; step < 600; step++) {
		i = rand_r(&seed) % 64;
		if (bufs[i]) {
			udrv_dma_free(&dev, bufs[i]);
			bufs[i] = NULL;
			n--;
		} else {
			assert_int_equal(udrv_dma_alloc(&dev, 1 + rand_r(&seed) % (4 * PG), &bufs[i]), 0);
			n++;
		}
		check_tree(n);
	}
	other.vaddr = &other;
	other.size = sizeof(other);
	udrv_dma_free(&dev, &other);
	udrv_dma_free(&dev, NULL);
	check_tree(n);
}

/*
 * Thousands of buffers of the caller's memory, mapped and freed at random
 * pages: udrv_dma_map() refuses exactly the ranges that overlap a live
 * buffer (a page map is the reference), udrv_dma_addr() finds exactly the
 * live pages, and the tree (four levels at its fullest) stays whole through
 * its splits, emptied nodes and a root that steps down.
 */
static void test_tree_large(void **state)
{
	enum { PAGES = 6000, STEPS = 60000 };
	char *mem = mmap(NULL, PAGES * (size_t)PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct udrv_dma **owner = calloc(PAGES, sizeof(*owner));
	unsigned int seed = 18, step, pg, len, i, n = 0, max = 0;
	struct udrv_dma *b;
	uint64_t iova;
	bool busy;

	(void)state;
	assert_true(mem != MAP_FAILED && owner);
	/* In address order first, freed in order. */
	for (pg = 0; pg < PAGES; pg += 2) {
		assert_int_equal(udrv_dma_map(&dev, mem + (size_t)pg * PG, PG, &owner[pg]), 0);
		if (pg % 1000 == 0)
			check_tree(pg / 2 + 1);
	}
	check_tree(PAGES / 2);
	assert_int_equal(dev.dma.tree.height, 4);
	for (pg = 0; pg < PAGES; pg += 2) {
		if (pg)
			assert_int_equal(udrv_dma_map(&dev, mem + (size_t)(pg - 1) * PG, 2 * PG, &b),
					 -EEXIST);
		udrv_dma_free(&dev, owner[pg]);
		owner[pg] = NULL;
	}
	check_tree(0);
	for (step = 0; step < STEPS; step++) {
		pg = (unsigned int)rand_r(&seed) % PAGES;
		/* Fill up for the first half, then churn and drain. */
		if (owner[pg] && (step > STEPS / 2 || rand_r(&seed) % 4 == 0)) {
			b = owner[pg];
			for (i = (unsigned int)(((char *)b->vaddr - mem) / PG); i < PAGES && owner[i] == b; i++)
				owner[i] = NULL;
			udrv_dma_free(&dev, b);
			n--;
		} else if (step <= STEPS / 2 || rand_r(&seed) % 3 == 0) {
			len = 1 + (unsigned int)rand_r(&seed) % 3;
			if (pg + len > PAGES)
				continue;
			for (busy = false, i = pg; i < pg + len; i++)
				busy |= owner[i] != NULL;
			if (busy) {
				assert_int_equal(udrv_dma_map(&dev, mem + (size_t)pg * PG, len * PG, &b), -EEXIST);
				continue;
			}
			assert_int_equal(udrv_dma_map(&dev, mem + (size_t)pg * PG, len * PG, &b), 0);
			for (i = pg; i < pg + len; i++)
				owner[i] = b;
			n++;
			max = n > max ? n : max;
		}
		pg = (unsigned int)rand_r(&seed) % PAGES;
		if (owner[pg]) {
			assert_int_equal(udrv_dma_addr(&dev, mem + (size_t)pg * PG + 5, &iova), 0);
			assert_int_equal(iova, owner[pg]->iova + ((size_t)pg * PG + 5 -
							      (size_t)((char *)owner[pg]->vaddr - mem)));
		} else {
			assert_int_equal(udrv_dma_addr(&dev, mem + (size_t)pg * PG + 5, &iova), -EFAULT);
		}
		if (step % 1000 == 0)
			check_tree(n);
	}
	check_tree(n);
	assert_true(max > 2000);
	for (pg = 0; pg < PAGES; pg++)
		if (owner[pg]) {
			b = owner[pg];
			for (i = pg; i < PAGES && owner[i] == b; i++)
				owner[i] = NULL;
			udrv_dma_free(&dev, b);
			check_tree(--n);
		}
	assert_null(dev.dma.tree.root);
	free(owner);
	munmap(mem, PAGES * (size_t)PG);
}

/* A buffer that cannot be released says so; success and teardown leave the message alone. */
static void test_error_contract(void **state)
{
	struct udrv_dma *a, *b;

	(void)state;
	assert_int_equal(udrv_dma_alloc(&dev, PG, &a), 0);
	assert_int_equal(udrv_dma_alloc(&dev, PG, &b), 0);
	udrv_err(EIO, "an earlier failure");
	udrv_dma_free(&dev, a);
	assert_string_equal(udrv_last_error(), "an earlier failure");
	fail_free = EBUSY;
	udrv_dma_free(&dev, b);
	assert_non_null(strstr(udrv_last_error(), "0000:00:05.0: releasing the 4096-byte DMA buffer"));
	assert_non_null(strstr(udrv_last_error(), "its device address stays reserved"));
	check_tree(0);
	/* Zero bytes, no handle pointer, no DMA on the path. */
	assert_int_equal(udrv_dma_alloc(&dev, 0, &a), -EINVAL);
	assert_int_equal(udrv_dma_alloc(&dev, PG, NULL), -EINVAL);
	assert_int_equal(udrv_dma_set_mask(&dev, UDRV_DMA_MASK_BITS_MIN - 1), -EINVAL);
	assert_int_equal(udrv_dma_set_mask(&dev, UDRV_DMA_MASK_BITS_MAX + 1), -EINVAL);
	assert_int_equal(udrv_dma_set_mask(&dev, UDRV_DMA_MASK_BITS_MIN), 0);
	assert_int_equal(udrv_dma_limit(&dev), (1ull << UDRV_DMA_MASK_BITS_MIN) - 1);
	assert_int_equal(udrv_dma_set_mask(&dev, 64), 0);
	assert_int_equal(udrv_dma_limit(&dev), UINT64_MAX);
}

struct worker {
	pthread_t t;
	unsigned int seed;
	int failures;
};

/* Each thread allocates, looks up and frees its own buffers on the shared device. */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct udrv_dma *mine[16] = { NULL };
	uint64_t iova;
	unsigned int i, step;

	for (step = 0; step < 2000; step++) {
		i = rand_r(&w->seed) % 16;
		if (mine[i]) {
			size_t off = rand_r(&w->seed) % mine[i]->size;

			if (udrv_dma_addr(&dev, (char *)mine[i]->vaddr + off, &iova) ||
			    iova != mine[i]->iova + off)
				w->failures++;
			udrv_dma_free(&dev, mine[i]);
			mine[i] = NULL;
		} else if (udrv_dma_alloc(&dev, PG, &mine[i])) {
			w->failures++;
		}
	}
	for (i = 0; i < 16; i++)
		udrv_dma_free(&dev, mine[i]);
	return NULL;
}

/* <udrv/dma.h>: any number of threads may use one device's DMA calls at once. */
/*
 * A freed buffer's record serves the next buffer (no malloc per buffer in
 * steady churn); at most UDRV_DMA_SPARE_MAX are kept, the rest go back to
 * malloc (valgrind and ASan check nothing leaks, here and at release).
 */
static void test_record_reuse(void **state)
{
	enum { N = UDRV_DMA_SPARE_MAX + 8 };
	char *mem = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct udrv_dma *b[N], *again;
	unsigned int i;

	(void)state;
	assert_true(mem != MAP_FAILED);
	assert_int_equal(udrv_dma_map(&dev, mem, PG, &b[0]), 0);
	udrv_dma_free(&dev, b[0]);
	assert_int_equal(dev.dma.nspare, 1);
	assert_int_equal(udrv_dma_map(&dev, mem + PG, PG, &again), 0);
	assert_ptr_equal(again, b[0]);
	assert_ptr_equal(again->vaddr, mem + PG);
	assert_int_equal(dev.dma.nspare, 0);
	udrv_dma_free(&dev, again);
	for (i = 0; i < N; i++)
		assert_int_equal(udrv_dma_map(&dev, mem + i * PG, PG, &b[i]), 0);
	check_tree(N);
	for (i = 0; i < N; i++)
		udrv_dma_free(&dev, b[i]);
	assert_int_equal(dev.dma.nspare, UDRV_DMA_SPARE_MAX);
	check_tree(0);
	/* A record taken for a buffer that cannot be had goes back. */
	assert_int_equal(udrv_dma_map(&dev, mem, PG, &b[0]), 0);
	assert_int_equal(udrv_dma_map(&dev, mem, PG, &b[1]), -EEXIST);
	assert_int_equal(dev.dma.nspare, UDRV_DMA_SPARE_MAX - 1);
	udrv_dma_free(&dev, b[0]);
	munmap(mem, N * PG);
}

static void test_threads(void **state)
{
	struct worker w[4];
	unsigned int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .seed = i + 1 };
		assert_int_equal(pthread_create(&w[i].t, NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(w[i].t, NULL), 0);
		assert_int_equal(w[i].failures, 0);
	}
	check_tree(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_addr_arithmetic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_invariants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_contract, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
