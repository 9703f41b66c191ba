// SPDX-License-Identifier: MIT
/*
 * Carved DMA buffers (lib/core/dma_chunk.c) and DMA pools (dma_pool.c) on
 * a fake backend whose buffers are anonymous memory at a made-up device
 * address, both aligned as the real backends align them.  Checked: the
 * alignment and boundary of every block and buffer in both address
 * spaces, udrv_dma_addr() of them, how many chunks 1,000 buffers take and
 * that they go back, a long randomized run against a reference model
 * (every live block tagged in its memory, the model's tag checked before
 * each free, so an overlap or a block handed out twice shows), the error
 * contract (double and foreign frees, destroy with blocks out), many
 * threads on one pool, and the throughput of a pool's alloc + free pair.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dma_internal.h"

#define PG 4096u
#define MiB (1ul << 20)
#define CHUNK (2 * MiB)
#define IOVA_BASE 0x40000000ull

static uint64_t next_iova = IOVA_BASE;
static int live;          /* buffers the fake backend holds */
static int fail_alloc;    /* the next dma_alloc fails with this errno */

/* @len bytes at a multiple of the power of two at or above @len (up to 2 MiB), like the backends. */
static void *map_aligned(size_t len)
{
	size_t align = PG, extra;
	char *m;
	size_t head;

	while (align < len && align < CHUNK)
		align <<= 1;
	extra = align - PG;
	m = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	head = (size_t)(-(uintptr_t)m & (align - 1));
	if (head)
		munmap(m, head);
	if (extra - head)
		munmap(m + head + len, extra - head);
	return m + head;
}

static int fake_alloc(struct udrv_device *dev, size_t size, struct udrv_dma_buf *buf)
{
	size_t len = (size + PG - 1) & ~(size_t)(PG - 1);
	void *mem;

	(void)dev;
	if (fail_alloc) {
		int err = fail_alloc;

		fail_alloc = 0;
		return udrv_err(err, "fake: no memory");
	}
	mem = map_aligned(len);
	if (!mem)
		return udrv_err(ENOMEM, "fake: mmap");
	buf->pub.vaddr = mem;
	buf->pub.size = len;
	buf->map_base = mem;
	buf->map_len = len;
	/* Device addresses 2 MiB apart, beyond whatever this takes: aligned as the IOVA allocator aligns. */
	buf->pub.iova = __atomic_fetch_add(&next_iova, (len + CHUNK) & ~(uint64_t)(CHUNK - 1),
					   __ATOMIC_RELAXED);
	__atomic_fetch_add(&live, 1, __ATOMIC_RELAXED);
	return 0;
}

static int fake_free(struct udrv_device *dev, struct udrv_dma_buf *buf)
{
	(void)dev;
	__atomic_fetch_sub(&live, 1, __ATOMIC_RELAXED);
	munmap(buf->map_base, buf->map_len);
	return 0;
}

static const struct udrv_backend_ops fake_ops = {
	.path = { .name = "fake" },
	.dma_alloc = fake_alloc,
	.dma_free = fake_free,
};

static struct udrv_device dev, dev2;

static void dev_init(struct udrv_device *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->name, name);
	d->ops = &fake_ops;
	pthread_mutex_init(&d->dma.lock, NULL);
}

static int setup(void **state)
{
	(void)state;
	dev_init(&dev, "0000:00:05.0");
	dev_init(&dev2, "0000:00:06.0");
	live = 0;
	next_iova = IOVA_BASE;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	udrv_dma_release_all(&dev);
	udrv_dma_release_all(&dev2);
	assert_int_equal(live, 0);
	pthread_mutex_destroy(&dev.dma.lock);
	pthread_mutex_destroy(&dev2.dma.lock);
	return 0;
}

static bool under_valgrind(void)
{
	return getenv("UDRV_TEST_UNDER_VALGRIND") != NULL;
}

/* A block's vaddr and iova agree with udrv_dma_addr(), are aligned and stay inside the boundary. */
static void check_block(const struct udrv_dma *b, size_t size, size_t align, size_t boundary)
{
	uint64_t iova;

	assert_int_equal(b->size, size);
	assert_int_equal((uintptr_t)b->vaddr & (align - 1), 0);
	assert_int_equal(b->iova & (align - 1), 0);
	if (boundary)
		assert_int_equal(b->iova / boundary, (b->iova + size - 1) / boundary);
	assert_int_equal(udrv_dma_addr(&dev, b->vaddr, &iova), 0);
	assert_int_equal(iova, b->iova);
	assert_int_equal(udrv_dma_addr(&dev, (char *)b->vaddr + size - 1, &iova), 0);
	assert_int_equal(iova, b->iova + size - 1);
}

/* Sizes, alignments and boundaries, including odd sizes that would cross. */
static void test_pool_layout(void **state)
{
	static const struct { size_t size, align, boundary; } cases[] = {
		{ 512, 0, 4096 }, { 512, 512, 4096 }, { 64, 64, 0 }, { 24, 8, 64 },
		{ 1000, 8, 4096 }, { 3000, 16, 4096 }, { 100, 128, 256 }, { 4096, 4096, 4096 },
		{ 5000, 64, 8192 }, { 65536, 65536, 0 }, { 1 << 20, 4096, 2 << 20 }, { 2 << 20, 0, 0 },
		{ 8, 4096, 16 },
	};
	struct udrv_dma *b[200];
	size_t i, k, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct udrv_dma_pool *pool;
		size_t align = cases[i].align ? cases[i].align : 8;

		assert_int_equal(udrv_dma_pool_create(&dev, cases[i].size, cases[i].align,
						      cases[i].boundary, &pool), 0);
		n = cases[i].size >= MiB ? 3 : 200;
		for (k = 0; k < n; k++) {
			assert_int_equal(udrv_dma_pool_alloc(pool, &b[k]), 0);
			check_block(b[k], cases[i].size, align, cases[i].boundary);
			memset(b[k]->vaddr, (int)k, cases[i].size);
		}
		/* No two blocks overlap: each still holds its own fill. */
		for (k = 0; k < n; k++) {
			assert_int_equal(((unsigned char *)b[k]->vaddr)[0], (unsigned char)k);
			assert_int_equal(((unsigned char *)b[k]->vaddr)[cases[i].size - 1],
					 (unsigned char)k);
		}
		assert_int_equal(udrv_dma_pool_destroy(pool), -EBUSY);
		assert_non_null(strstr(udrv_last_error(), "still out"));
		for (k = 0; k < n; k++)
			udrv_dma_pool_free(pool, b[k]);
		assert_int_equal(udrv_dma_pool_destroy(pool), 0);
	}
	/* Every page went back: only the device's one spare chunk stays. */
	assert_true(udrv_dma_chunks_count(&dev) <= 1);
}

static void test_pool_errors(void **state)
{
	struct udrv_dma_pool *pool, *other;
	struct udrv_dma *b, *c;

	(void)state;
	assert_int_equal(udrv_dma_pool_create(&dev, 0, 0, 0, &pool), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "0000:00:05.0: "));
	assert_int_equal(udrv_dma_pool_create(&dev, (2 << 20) + 1, 0, 0, &pool), -EINVAL);
	assert_int_equal(udrv_dma_pool_create(&dev, 64, 48, 0, &pool), -EINVAL);
	assert_int_equal(udrv_dma_pool_create(&dev, 64, 0, 32, &pool), -EINVAL);
	assert_int_equal(udrv_dma_pool_create(&dev, 64, 0, 96, &pool), -EINVAL);
	assert_int_equal(udrv_dma_pool_create(&dev, 64, 4 << 20, 0, &pool), -EINVAL);
	assert_int_equal(udrv_dma_pool_create(&dev, 64, 0, 0, NULL), -EINVAL);
	assert_int_equal(udrv_dma_pool_create(&dev, 64, 0, 0, &pool), 0);
	assert_int_equal(udrv_dma_pool_create(&dev, 64, 0, 0, &other), 0);
	assert_int_equal(udrv_dma_pool_alloc(pool, NULL), -EINVAL);
	/* Growing fails: the backend's error, nothing taken. */
	fail_alloc = ENOMEM;
	assert_int_equal(udrv_dma_pool_alloc(pool, &b), -ENOMEM);
	assert_null(b);
	assert_non_null(strstr(udrv_last_error(), "fake: no memory"));
	assert_int_equal(udrv_dma_pool_alloc(pool, &b), 0);
	assert_int_equal(udrv_dma_pool_alloc(pool, &c), 0);
	/* Another pool's block, a double free: left alone, reported. */
	udrv_dma_pool_free(other, b);
	assert_non_null(strstr(udrv_last_error(), "is not a block of this DMA pool"));
	udrv_dma_pool_free(pool, b);
	udrv_err(EIO, "before");
	udrv_dma_pool_free(pool, b);
	assert_non_null(strstr(udrv_last_error(), "freed twice"));
	udrv_dma_pool_free(pool, NULL);
	/* udrv_dma_free() does not take pool blocks: left alone. */
	udrv_dma_free(&dev, c);
	assert_int_equal(udrv_dma_pool_destroy(pool), -EBUSY);
	assert_non_null(strstr(udrv_last_error(), "1 block is still out"));
	udrv_dma_pool_free(pool, c);
	assert_int_equal(udrv_dma_pool_destroy(pool), 0);
	assert_int_equal(udrv_dma_pool_destroy(NULL), 0);
	/* A pool left with blocks out goes with the device (teardown, valgrind checks). */
	assert_int_equal(udrv_dma_pool_alloc(other, &b), 0);
}

/* Small udrv_dma_alloc()s share chunks; 1,000 of 4 KiB take two, and they go back. */
static void test_carved_count(void **state)
{
	static struct udrv_dma *b[1000];
	uint64_t iova;
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		assert_int_equal(udrv_dma_alloc(&dev, PG, &b[i]), 0);
		assert_int_equal(b[i]->size, PG);
		assert_int_equal(((char *)b[i]->vaddr)[0], 0);
		memset(b[i]->vaddr, 0xa5, PG);
		assert_int_equal(udrv_dma_addr(&dev, (char *)b[i]->vaddr + 100, &iova), 0);
		assert_int_equal(iova, b[i]->iova + 100);
	}
	assert_int_equal(udrv_dma_chunks_count(&dev), 2);
	assert_int_equal(live, 2);
	/* Sync on a carved buffer is accepted (coherent); a freed one is not a buffer any more. */
	assert_int_equal(udrv_dma_sync_for_cpu(&dev, b[3]), 0);
	/* Another device does not free it. */
	udrv_dma_free(&dev2, b[0]);
	assert_int_equal(udrv_dma_addr(&dev, b[0]->vaddr, &iova), 0);
	for (i = 0; i < 1000; i += 2)
		udrv_dma_free(&dev, b[i]);
	assert_int_equal(udrv_dma_sync_for_cpu(&dev, b[0]), -EINVAL);
	/* Freed memory comes back zeroed. */
	assert_int_equal(udrv_dma_alloc(&dev, PG, &b[0]), 0);
	for (i = 0; i < PG; i++)
		assert_int_equal(((char *)b[0]->vaddr)[i], 0);
	for (i = 0; i < 1000; i += 2)
		udrv_dma_free(&dev, b[i + 1]);
	udrv_dma_free(&dev, b[0]);
	/* One empty chunk is kept; a new mask lets it go. */
	assert_int_equal(udrv_dma_chunks_count(&dev), 1);
	assert_int_equal(udrv_dma_set_mask(&dev, 40), 0);
	assert_int_equal(udrv_dma_chunks_count(&dev), 0);
	assert_int_equal(live, 0);
	/* Above 1 MiB, and streaming buffers, have memory of their own. */
	assert_int_equal(udrv_dma_alloc(&dev, MiB + 1, &b[0]), 0);
	assert_int_equal(udrv_dma_chunks_count(&dev), 0);
	assert_int_equal(live, 1);
	assert_int_equal(udrv_dma_alloc_streaming(&dev, PG, &b[1]), 0);
	assert_int_equal(live, 2);
	udrv_dma_free(&dev, b[0]);
	udrv_dma_free(&dev, b[1]);
}

/* A chunk above a narrower mask takes no new buffers; it goes when its last one does. */
static void test_mask_retires(void **state)
{
	struct udrv_dma *a, *b;

	(void)state;
	assert_int_equal(udrv_dma_alloc(&dev, PG, &a), 0);
	assert_true(a->iova >= IOVA_BASE);
	assert_int_equal(udrv_dma_set_mask(&dev, 24), 0); /* below IOVA_BASE: fake ignores masks */
	assert_int_equal(udrv_dma_alloc(&dev, PG, &b), 0);
	assert_int_equal(udrv_dma_chunks_count(&dev), 2);
	udrv_dma_free(&dev, a);
	assert_int_equal(udrv_dma_chunks_count(&dev), 1);
	udrv_dma_free(&dev, b);
}

/* udrv_dma_alloc_aligned(): both addresses aligned, carved or not. */
static void test_aligned(void **state)
{
	static const size_t sizes[] = { 1, PG, 3 * PG, 5 * PG, 100000, MiB, MiB + PG, 3 * MiB };
	static const size_t aligns[] = { 0, 8, PG, 2 * PG, 16 * PG, 64 * 1024, MiB, 2 * MiB };
	struct udrv_dma *b;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < sizeof(aligns) / sizeof(aligns[0]); j++) {
			size_t a = aligns[j] > PG ? aligns[j] : PG;

			assert_int_equal(udrv_dma_alloc_aligned(&dev, sizes[i], aligns[j], &b), 0);
			assert_int_equal((uintptr_t)b->vaddr & (a - 1), 0);
			assert_int_equal(b->iova & (a - 1), 0);
			assert_true(b->size >= sizes[i]);
			udrv_dma_free(&dev, b);
		}
	assert_int_equal(udrv_dma_alloc_aligned(&dev, PG, 3 * PG, &b), -EINVAL);
	assert_int_equal(udrv_dma_alloc_aligned(&dev, PG, 4 * MiB, &b), -EINVAL);
}

/* The reference model: every live block or buffer, and the tag written into its memory. */
struct model {
	struct udrv_dma *b;
	struct udrv_dma_pool *pool; /* NULL: from udrv_dma_alloc() */
	uint32_t tag;
	size_t size;
};

static void tag(struct model *m)
{
	uint32_t *p = m->b->vaddr;

	p[0] = m->tag;
	memcpy((char *)m->b->vaddr + m->size - 4, &m->tag, 4);
}

static void check_tag(const struct model *m)
{
	uint32_t v;

	assert_int_equal(((uint32_t *)m->b->vaddr)[0], m->tag);
	memcpy(&v, (char *)m->b->vaddr + m->size - 4, 4);
	assert_int_equal(v, m->tag);
}

/* Random allocations and frees over three pools and carved buffers, against the model. */
static void test_random_model(void **state)
{
	enum { SLOTS = 3000, STEPS = 60000 };
	static const struct { size_t size, align, boundary; } kinds[] = {
		{ 512, 0, 4096 }, { 64, 64, 0 }, { 2000, 32, 4096 },
	};
	struct udrv_dma_pool *pools[3];
	struct model *m = calloc(SLOTS, sizeof(*m));
	unsigned int seed = 18, step, k, i, nlive = 0;
	size_t steps = under_valgrind() ? STEPS / 10 : STEPS;

	(void)state;
	assert_non_null(m);
	for (k = 0; k < 3; k++)
		assert_int_equal(udrv_dma_pool_create(&dev, kinds[k].size, kinds[k].align,
						      kinds[k].boundary, &pools[k]), 0);
	for (step = 0; step < steps; step++) {
		i = rand_r(&seed) % SLOTS;
		if (m[i].b) {
			check_tag(&m[i]);
			if (m[i].pool)
				udrv_dma_pool_free(m[i].pool, m[i].b);
			else
				udrv_dma_free(&dev, m[i].b);
			m[i].b = NULL;
			nlive--;
			continue;
		}
		k = rand_r(&seed) % 4;
		m[i].tag = rand_r(&seed);
		if (k < 3) {
			m[i].pool = pools[k];
			m[i].size = kinds[k].size;
			assert_int_equal(udrv_dma_pool_alloc(pools[k], &m[i].b), 0);
			check_block(m[i].b, kinds[k].size, kinds[k].align ? kinds[k].align : 8,
				    kinds[k].boundary);
		} else {
			m[i].pool = NULL;
			m[i].size = 8 + rand_r(&seed) % (64 * 1024);
			assert_int_equal(udrv_dma_alloc(&dev, m[i].size, &m[i].b), 0);
			assert_int_equal(((uint32_t *)m[i].b->vaddr)[0], 0);
			assert_int_equal((uintptr_t)m[i].b->vaddr & (PG - 1), 0);
		}
		tag(&m[i]);
		nlive++;
		/* Now and then, everything at once: no tag was overwritten by anyone else. */
		if (step % 10000 == 0)
			for (k = 0; k < SLOTS; k++)
				if (m[k].b)
					check_tag(&m[k]);
	}
	for (i = 0; i < SLOTS; i++)
		if (m[i].b) {
			check_tag(&m[i]);
			if (m[i].pool)
				udrv_dma_pool_free(m[i].pool, m[i].b);
			else
				udrv_dma_free(&dev, m[i].b);
		}
	for (k = 0; k < 3; k++)
		assert_int_equal(udrv_dma_pool_destroy(pools[k]), 0);
	assert_true(udrv_dma_chunks_count(&dev) <= 1);
	assert_true(nlive > 0);
	free(m);
}

struct hammer {
	struct udrv_dma_pool *pool;
	unsigned int seed;
};

static void *hammer(void *arg)
{
	struct hammer *h = arg;
	struct udrv_dma *mine[64] = { NULL };
	uint32_t me = (uint32_t)(uintptr_t)h;
	int i, k;

	for (i = 0; i < 20000; i++) {
		k = rand_r(&h->seed) % 64;
		if (mine[k]) {
			if (*(uint32_t *)mine[k]->vaddr != me + (uint32_t)k)
				return (void *)1;
			udrv_dma_pool_free(h->pool, mine[k]);
			mine[k] = NULL;
		} else {
			if (udrv_dma_pool_alloc(h->pool, &mine[k]))
				return (void *)2;
			*(uint32_t *)mine[k]->vaddr = me + (uint32_t)k;
		}
	}
	for (k = 0; k < 64; k++)
		if (mine[k])
			udrv_dma_pool_free(h->pool, mine[k]);
	return NULL;
}

/* Four threads on one pool and carved buffers on the device at the same time. */
static void test_threads(void **state)
{
	struct udrv_dma_pool *pool;
	struct hammer h[4];
	pthread_t t[4];
	struct udrv_dma *b;
	void *ret;
	int i;

	(void)state;
	assert_int_equal(udrv_dma_pool_create(&dev, 256, 0, 4096, &pool), 0);
	for (i = 0; i < 4; i++) {
		h[i] = (struct hammer){ .pool = pool, .seed = (unsigned int)i };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (i = 0; i < 2000; i++) {
		assert_int_equal(udrv_dma_alloc(&dev, PG * (1 + i % 3), &b), 0);
		udrv_dma_free(&dev, b);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(udrv_dma_pool_destroy(pool), 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Pool alloc + free pairs per second, natively: at least 10 million (issue #18). */
static void test_pool_speed(void **state)
{
	enum { N = 2000000, LIVE = 256 };
	struct udrv_dma_pool *pool;
	struct udrv_dma *keep[LIVE], *b;
	double t0, best = 1e9;
	int i, r;

	(void)state;
	assert_int_equal(udrv_dma_pool_create(&dev, 512, 0, 4096, &pool), 0);
	for (i = 0; i < LIVE; i++)
		assert_int_equal(udrv_dma_pool_alloc(pool, &keep[i]), 0);
	for (r = 0; r < 5; r++) {
		t0 = now();
		for (i = 0; i < N; i++) {
			if (udrv_dma_pool_alloc(pool, &b))
				fail();
			udrv_dma_pool_free(pool, keep[i % LIVE]);
			keep[i % LIVE] = b;
		}
		t0 = now() - t0;
		best = t0 < best ? t0 : best;
		if (under_valgrind())
			break;
	}
	printf("# pool alloc + free: %.1f million pairs/s (%.1f ns a pair, best of 5)\n",
	       N / best / 1e6, best / N * 1e9);
#if !defined(__SANITIZE_ADDRESS__)
	if (!under_valgrind())
		assert_true(N / best >= 10e6);
#endif
	for (i = 0; i < LIVE; i++)
		udrv_dma_pool_free(pool, keep[i]);
	assert_int_equal(udrv_dma_pool_destroy(pool), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pool_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_carved_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mask_retires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aligned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_model, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_speed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
