// SPDX-License-Identifier: MIT
/*
 * The IOVA allocator (lib/backend/vfio/iova.c) as the live buffer count grows: the cost
 * of one udrv_iova_free() and one udrv_iova_alloc_below() with about 100,
 * 1,000 and 10,000 buffers live, in steady-state churn.  Each batch frees
 * 16 live buffers picked at random (random order is the worst
 * fragmentation), then allocates as many new ones: 4-64 KiB in whole pages,
 * naturally aligned as dma_vfio.c asks (12 KiB at 16 KiB), and one in 32 a
 * 2 MiB buffer at 2 MiB, all below a 36-bit mask, in the x86 IOVA space
 * (the MSI window at 0xfee00000 reserved).  Before timing, 8 x N untimed
 * operations bring the space to its steady fragmentation.
 *
 * The victims and sizes of a batch are drawn before its clock starts; the
 * time of a clock read is measured and taken out.  A round is a fixed
 * number of operations; the figure is the median of the rounds.  The rows
 * compare the cost at N with the cost at 100.  That compares the allocator
 * with itself, so the rows carry no target: they are a diagnostic of how
 * the tree scales.  The headline for mapping is bench_dma.c's, through the
 * public udrv_dma_map()/udrv_dma_free() against the raw ioctl pair.  The
 * space runs as libudrv runs it: the per-size cache and the rotating base
 * on (iova.h).
 * Runs on the host: no device is involved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "vfio/iova.h"

#define PG 4096ULL
#define MiB (1ULL << 20)
#define MASK36 ((1ULL << 36) - 1)
#define BATCH 16 /* frees, then allocations, timed together */

static const char usage[] =
	"usage: bench_alloc [--json] [--quick] [--samples N]\n"
	"  IOVA allocator cost per alloc and per free at 100, 1,000 and 10,000\n"
	"  live buffers (steady-state churn, random free order).\n"
	"  --json       one JSON report instead of the table\n"
	"  --quick      short rounds: proves the benchmark works (< 1 s)\n"
	"  --samples N  rounds per buffer count, taken in turn (default 21, --quick 3)\n";

/* x86 with intel-iommu: everything but the MSI window, up to 2^39. */
static const struct udrv_range x86[] = {
	{ 0, 0xfee00000 },
	{ 0xfef00000, (1ULL << 39) - 0xfef00000 },
};

struct live {
	uint64_t iova, size;
};

struct churn {
	struct udrv_iova_space s;
	uint64_t initial;     /* free bytes before any allocation */
	struct live *live;    /* the live buffers, in no order */
	size_t n;             /* how many */
	struct live victim[BATCH], fresh[BATCH]; /* a batch's frees and allocations */
	uint64_t align[BATCH];
	uint64_t rng;
};

static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* What dma_vfio.c asks for: the power of two at or above @size, at most 2 MiB. */
static uint64_t natural_align(uint64_t size)
{
	if (size >= 2 * MiB)
		return 2 * MiB;
	return size <= PG ? PG : 1ULL << (64 - __builtin_clzll(size - 1));
}

static void draw_size(struct churn *c, uint64_t *size, uint64_t *align)
{
	if (next_rand(&c->rng) % 32 == 0)
		*size = 2 * MiB;
	else
		*size = (1 + next_rand(&c->rng) % 16) * PG;
	*align = natural_align(*size);
}

static int alloc_one(struct churn *c, struct live *b, uint64_t align)
{
	int ret = udrv_iova_alloc_below(&c->s, b->size, align, MASK36, &b->iova);

	if (ret)
		fprintf(stderr, "bench_alloc: allocating %llu bytes with %zu live: %s\n",
			(unsigned long long)b->size, c->n, strerror(-ret));
	return ret;
}

static int free_one(struct churn *c, const struct live *b)
{
	int ret = udrv_iova_free(&c->s, b->iova, b->size);

	if (ret)
		fprintf(stderr, "bench_alloc: freeing 0x%llx: %s\n",
			(unsigned long long)b->iova, strerror(-ret));
	return ret;
}

/*
 * One batch: free BATCH random buffers, then allocate as many; times in ns.
 * Only the allocator's calls are timed: the victims are taken out of live[]
 * before, the new buffers put in after.
 */
static int batch(struct churn *c, uint64_t *t_free, uint64_t *t_alloc)
{
	uint64_t t0, t1, t2;
	size_t j, got;
	int ret = 0;

	for (j = 0; j < BATCH; j++) {
		size_t k = next_rand(&c->rng) % c->n;

		c->victim[j] = c->live[k];
		c->live[k] = c->live[--c->n];
		draw_size(c, &c->fresh[j].size, &c->align[j]);
	}
	t0 = bench_now_ns();
	for (j = 0; j < BATCH && !ret; j++)
		ret = free_one(c, &c->victim[j]);
	t1 = bench_now_ns();
	for (got = 0; got < BATCH && !ret; got += !ret)
		ret = alloc_one(c, &c->fresh[got], c->align[got]);
	t2 = bench_now_ns();
	/* What was allocated is live, even after a failure: teardown frees it. */
	for (j = 0; j < got; j++)
		c->live[c->n++] = c->fresh[j];
	*t_free = t1 - t0;
	*t_alloc = t2 - t1;
	return ret;
}

/* The space with @n live buffers, churned to its steady fragmentation. */
static int churn_setup(struct churn *c, size_t n, uint64_t seed)
{
	uint64_t align, t_free, t_alloc;
	size_t i;
	int ret;

	memset(c, 0, sizeof(*c));
	c->rng = seed;
	c->live = calloc(n, sizeof(*c->live));
	if (!c->live)
		return -ENOMEM;
	ret = udrv_iova_init(&c->s, x86, 2, UINT64_MAX, PG);
	if (ret)
		return ret;
	c->initial = udrv_iova_free_bytes(&c->s);
	for (i = 0; i < n && !ret; i++) {
		draw_size(c, &c->live[i].size, &align);
		ret = alloc_one(c, &c->live[i], align);
		c->n += !ret;
	}
	for (i = 0; i < 8 * n && !ret; i += BATCH)
		ret = batch(c, &t_free, &t_alloc);
	return ret;
}

/* Free everything: the space must coalesce back to what init gave. */
static int churn_teardown(struct churn *c)
{
	int ret = 0;

	while (c->n && !ret)
		ret = free_one(c, &c->live[--c->n]);
	if (!ret && udrv_iova_free_bytes(&c->s) != c->initial) {
		fprintf(stderr, "bench_alloc: %llu bytes free after freeing everything, not %llu\n",
			(unsigned long long)udrv_iova_free_bytes(&c->s),
			(unsigned long long)c->initial);
		ret = -EIO;
	}
	udrv_iova_destroy(&c->s);
	free(c->live);
	return ret;
}

struct cost {
	double alloc, free; /* ns per operation, medians of the rounds */
	size_t extents;     /* free extents at the end */
	unsigned int height; /* of their tree */
};

/* One round of @ops operations on @c: ns per free and per allocation. */
static int round_of(struct churn *c, size_t ops, double clk, double *fr, double *al)
{
	uint64_t sum_free = 0, sum_alloc = 0, t_free, t_alloc;
	size_t done, batches = 0;
	int ret = 0;

	for (done = 0; done < ops && !ret; done += BATCH, batches++) {
		ret = batch(c, &t_free, &t_alloc);
		sum_free += t_free;
		sum_alloc += t_alloc;
	}
	*fr = ((double)sum_free - clk * (double)batches) / (double)done;
	*al = ((double)sum_alloc - clk * (double)batches) / (double)done;
	return ret;
}

/*
 * The three spaces live side by side and take rounds in turn, so drift in
 * the machine's speed hits every count alike.
 */
static int measure(const size_t *counts, size_t ncounts, long rounds, size_t ops, double clk,
		   struct cost *out)
{
	struct churn c[3];
	double *v = calloc(2 * ncounts * (size_t)rounds, sizeof(*v));
	struct bench_stats st;
	size_t i, set = 0;
	long r;
	int ret = v ? 0 : -ENOMEM;

	for (i = 0; i < ncounts && !ret; i++, set++)
		ret = churn_setup(&c[i], counts[i], 0x9e3779b97f4a7c15ULL ^ counts[i]);
	for (r = 0; r < rounds && !ret; r++)
		for (i = 0; i < ncounts && !ret; i++)
			ret = round_of(&c[i], ops, clk, &v[(2 * i) * rounds + r],
				       &v[(2 * i + 1) * rounds + r]);
	for (i = 0; i < ncounts && !ret; i++) {
		bench_stats(&v[(2 * i) * rounds], (size_t)rounds, &st);
		out[i].free = st.median;
		bench_stats(&v[(2 * i + 1) * rounds], (size_t)rounds, &st);
		out[i].alloc = st.median;
		out[i].extents = udrv_iova_extents(&c[i].s);
		out[i].height = c[i].s.tree.root ? c[i].s.tree.root->height : 0;
	}
	for (i = 0; i < set; i++) {
		int down = churn_teardown(&c[i]);

		ret = ret ? ret : down;
	}
	free(v);
	return ret;
}

int main(int argc, char **argv)
{
	static const size_t counts[] = { 100, 1000, 10000 };
	struct cost cost[3];
	struct bench_report r;
	struct bench_opts o;
	char name[64], note[96], extra[320];
	size_t i, ops;
	long rounds;
	double clk;
	int ret = 0;

	argc = bench_parse(argc, argv, &o, usage);
	if (argc <= 0)
		return argc ? 2 : 0;
	if (argc > 1) {
		fprintf(stderr, "bench_alloc: unknown argument '%s'\n%s", argv[1], usage);
		return 2;
	}
	rounds = o.samples ? o.samples : o.quick ? 3 : 21;
	ops = o.quick ? 4000 : 200000;
	clk = bench_clock_cost();
	ret = measure(counts, 3, rounds, ops, clk, cost);
	if (ret) {
		fprintf(stderr, "bench_alloc: %s\n", strerror(-ret));
		return 1;
	}
	bench_begin(&r, "iova allocator", "at N", "at 100", o.json);
	for (i = 1; i < 3 && !ret; i++) {
		snprintf(note, sizeof(note), "%zu live, %zu free extents, tree height %u (at 100: %zu, %u)",
			 counts[i], cost[i].extents, cost[i].height, cost[0].extents, cost[0].height);
		snprintf(name, sizeof(name), "alloc @%zu", counts[i]);
		ret = bench_add(&r, name, "ns/op", cost[i].alloc, cost[0].alloc, BENCH_NONE,
				0, note);
		snprintf(name, sizeof(name), "free @%zu", counts[i]);
		if (!ret)
			ret = bench_add(&r, name, "ns/op", cost[i].free, cost[0].free,
					BENCH_NONE, 0, note);
	}
	snprintf(extra, sizeof(extra),
		 "churn: free %d live buffers at random, allocate as many "
		 "(4-64 KiB naturally aligned, 1 in 32 2 MiB), below a 36-bit mask; "
		 "median of %ld rounds of %zu operations, the counts taking turns; %.0f ns of clock read taken out "
		 "per batch", BATCH, rounds, ops, clk);
	if (ret) {
		bench_end(&r, NULL);
		fprintf(stderr, "bench_alloc: %s\n", strerror(-ret));
		return 1;
	}
	/* Targets are reported (ok/MISSED), not an exit status. */
	bench_end(&r, extra);
	return 0;
}
