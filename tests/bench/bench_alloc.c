// SPDX-License-Identifier: MIT
/*
 * The IOVA allocator (lib/iova.c) as the live buffer count grows: the cost
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
 * compare the cost at N with the cost at 100 (target: at most 1.5 times).
 * Runs on the host: no device is involved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "iova.h"

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
	"  --samples N  rounds per buffer count (default 7, --quick 3)\n";

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
	size_t victim[BATCH]; /* a batch's draws: index into live[] */
	uint64_t size[BATCH], align[BATCH];
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

static int alloc_one(struct churn *c, uint64_t size, uint64_t align)
{
	uint64_t iova;
	int ret = udrv_iova_alloc_below(&c->s, size, align, MASK36, &iova);

	if (ret) {
		fprintf(stderr, "bench_alloc: allocating %llu bytes with %zu live: %s\n",
			(unsigned long long)size, c->n, strerror(-ret));
		return ret;
	}
	c->live[c->n].iova = iova;
	c->live[c->n].size = size;
	c->n++;
	return 0;
}

static int free_one(struct churn *c, size_t k)
{
	int ret = udrv_iova_free(&c->s, c->live[k].iova, c->live[k].size);

	if (ret) {
		fprintf(stderr, "bench_alloc: freeing 0x%llx: %s\n",
			(unsigned long long)c->live[k].iova, strerror(-ret));
		return ret;
	}
	c->live[k] = c->live[--c->n];
	return 0;
}

/* One batch: free BATCH random buffers, then allocate as many; times in ns. */
static int batch(struct churn *c, uint64_t *t_free, uint64_t *t_alloc)
{
	uint64_t t0, t1, t2;
	size_t j;
	int ret = 0;

	for (j = 0; j < BATCH; j++) {
		c->victim[j] = next_rand(&c->rng) % (c->n - j);
		draw_size(c, &c->size[j], &c->align[j]);
	}
	t0 = bench_now_ns();
	for (j = 0; j < BATCH && !ret; j++)
		ret = free_one(c, c->victim[j]);
	t1 = bench_now_ns();
	for (j = 0; j < BATCH && !ret; j++)
		ret = alloc_one(c, c->size[j], c->align[j]);
	t2 = bench_now_ns();
	*t_free = t1 - t0;
	*t_alloc = t2 - t1;
	return ret;
}

/* The space with @n live buffers, churned to its steady fragmentation. */
static int churn_setup(struct churn *c, size_t n, uint64_t seed)
{
	uint64_t size, align, t_free, t_alloc;
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
		draw_size(c, &size, &align);
		ret = alloc_one(c, size, align);
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
		ret = free_one(c, c->n - 1);
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

/* The time one bench_now_ns() adds to an interval: the median of many. */
static double clock_cost(void)
{
	double d[1001];
	size_t i;
	struct bench_stats st;

	for (i = 0; i < 1001; i++) {
		uint64_t t0 = bench_now_ns();

		d[i] = (double)(bench_now_ns() - t0);
	}
	bench_stats(d, 1001, &st);
	return st.median;
}

struct cost {
	double alloc, free; /* ns per operation, medians of the rounds */
	size_t extents;     /* free extents at the end */
};

static int measure(size_t n, long rounds, size_t ops, double clk, struct cost *out)
{
	double *fr = calloc(rounds, sizeof(*fr)), *al = calloc(rounds, sizeof(*al));
	struct bench_stats st;
	struct churn c;
	long r;
	int ret = fr && al ? churn_setup(&c, n, 0x9e3779b97f4a7c15ULL ^ n) : -ENOMEM;

	for (r = 0; r < rounds && !ret; r++) {
		uint64_t sum_free = 0, sum_alloc = 0, t_free, t_alloc;
		size_t done, batches = 0;

		for (done = 0; done < ops && !ret; done += BATCH, batches++) {
			ret = batch(&c, &t_free, &t_alloc);
			sum_free += t_free;
			sum_alloc += t_alloc;
		}
		fr[r] = ((double)sum_free - clk * batches) / (double)done;
		al[r] = ((double)sum_alloc - clk * batches) / (double)done;
	}
	if (!ret) {
		bench_stats(fr, rounds, &st);
		out->free = st.median;
		bench_stats(al, rounds, &st);
		out->alloc = st.median;
		out->extents = udrv_iova_extents(&c.s);
	}
	if (fr && al) {
		int down = churn_teardown(&c);

		ret = ret ? ret : down;
	}
	free(fr);
	free(al);
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
	rounds = o.samples ? o.samples : o.quick ? 3 : 7;
	ops = o.quick ? 4000 : 200000;
	clk = clock_cost();
	for (i = 0; i < 3 && !ret; i++)
		ret = measure(counts[i], rounds, ops, clk, &cost[i]);
	if (ret) {
		fprintf(stderr, "bench_alloc: %s\n", strerror(-ret));
		return 1;
	}
	bench_begin(&r, "iova allocator", "at N", "at 100", o.json);
	for (i = 1; i < 3 && !ret; i++) {
		snprintf(note, sizeof(note), "%zu live, %zu free extents (at 100: %zu)", counts[i],
			 cost[i].extents, cost[0].extents);
		snprintf(name, sizeof(name), "alloc @%zu", counts[i]);
		ret = bench_add(&r, name, "ns/op", cost[i].alloc, cost[0].alloc, BENCH_AT_MOST,
				1.5, note);
		snprintf(name, sizeof(name), "free @%zu", counts[i]);
		if (!ret)
			ret = bench_add(&r, name, "ns/op", cost[i].free, cost[0].free,
					BENCH_AT_MOST, 1.5, note);
	}
	snprintf(extra, sizeof(extra),
		 "churn: free %d live buffers at random, allocate as many "
		 "(4-64 KiB naturally aligned, 1 in 32 2 MiB), below a 36-bit mask; "
		 "median of %ld rounds of %zu operations; %.0f ns of clock read taken out "
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
