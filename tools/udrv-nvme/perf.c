// SPDX-License-Identifier: MIT
/*
 * udrv-nvme perf: each thread owns one queue pair and keeps @qd commands in
 * flight on it, resubmitting from the completion callback; latencies (ns,
 * submit to callback) go into a per-thread array, sorted at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nvme_spec.h"
#include "perf.h"

volatile sig_atomic_t perf_stop;

struct perf_thread;

struct perf_slot {
	struct perf_thread *t;
	void *buf;
	uint64_t t0;
	uint8_t opcode;
};

struct perf_thread {
	struct nvme_ctrl *c;
	const struct nvme_ns *ns;
	const struct perf_opts *o;
	struct nvme_queue *q;
	pthread_t tid;
	uint64_t rng;
	uint64_t next_lba;
	uint64_t end_ns;
	uint32_t *lat;       /* ns, clipped to 4 s */
	size_t nlat, cap;
	volatile uint64_t done; /* read by the progress line */
	uint64_t errors;
	int ret;
	struct perf_slot *slots;
};

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int submit(struct perf_thread *t, struct perf_slot *s);

static void on_done(void *arg, int status, uint32_t dw0)
{
	struct perf_slot *s = arg;
	struct perf_thread *t = s->t;
	uint64_t ns = now_ns() - s->t0;

	(void)dw0;
	if (status)
		t->errors++;
	if (t->nlat == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 65536;
		uint32_t *p = realloc(t->lat, cap * sizeof(*p));

		if (p) {
			t->lat = p;
			t->cap = cap;
		}
	}
	if (t->nlat < t->cap)
		t->lat[t->nlat++] = ns > 4000000000u ? 4000000000u : (uint32_t)ns;
	t->done++;
	if (!perf_stop && now_ns() < t->end_ns && submit(t, s) && !t->ret)
		t->ret = -EIO;
}

static int submit(struct perf_thread *t, struct perf_slot *s)
{
	const struct perf_opts *o = t->o;
	uint32_t nlb = o->bs / t->ns->block_size;
	uint64_t span = (o->span && o->span < t->ns->blocks ? o->span : t->ns->blocks) / nlb;
	uint64_t lba;

	if (o->random) {
		lba = (xorshift(&t->rng) % span) * nlb;
	} else {
		lba = t->next_lba;
		t->next_lba = (t->next_lba + nlb) % (span * nlb);
	}
	s->opcode = xorshift(&t->rng) % 100 < o->read_pct ? NVME_CMD_READ : NVME_CMD_WRITE;
	s->t0 = now_ns();
	return nvme_queue_io(t->q, s->opcode, t->ns, lba, nlb, s->buf, on_done, s);
}

static void *worker(void *arg)
{
	struct perf_thread *t = arg;
	unsigned int i;

	for (i = 0; i < t->o->qd; i++) {
		t->ret = submit(t, &t->slots[i]);
		if (t->ret) {
			fprintf(stderr, "udrv-nvme: perf: %s\n", nvme_last_error());
			perf_stop = 1;
			break;
		}
	}
	nvme_queue_ring(t->q);
	while (nvme_queue_inflight(t->q)) {
		int n = nvme_queue_wait(t->q, 100);

		if (n < 0) {
			fprintf(stderr, "udrv-nvme: perf: %s\n", nvme_last_error());
			t->ret = n;
			break;
		}
		nvme_queue_ring(t->q); /* what the callbacks resubmitted */
	}
	return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(const uint32_t *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return n ? v[i] / 1000.0 : 0;
}

int perf_run(struct nvme_ctrl *c, const struct nvme_ns *ns, const struct perf_opts *o,
	     struct perf_result *r)
{
	struct perf_thread *th = calloc(o->queues, sizeof(*th));
	uint64_t t0, last_ios = 0, end, prev = 0;
	uint32_t *all = NULL;
	size_t nall = 0;
	unsigned int i, j, started = 0;
	double sum = 0;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (!th)
		return -ENOMEM;
	if (o->bs % ns->block_size || o->bs > nvme_info(c)->max_transfer) {
		fprintf(stderr, "udrv-nvme: perf: block size %u: a multiple of %u up to %u\n",
			o->bs, ns->block_size, nvme_info(c)->max_transfer);
		free(th);
		return -EINVAL;
	}
	for (i = 0; i < o->queues; i++) {
		struct perf_thread *t = &th[i];

		t->c = c;
		t->ns = ns;
		t->o = o;
		t->rng = 0x9e3779b97f4a7c15ull * (i + 1);
		t->next_lba = (ns->blocks / o->queues) * i / (o->bs / ns->block_size) *
			      (o->bs / ns->block_size);
		t->slots = calloc(o->qd, sizeof(*t->slots));
		ret = t->slots ? nvme_queue_create(c, o->qd + 1, &t->q) : -ENOMEM;
		if (ret) {
			fprintf(stderr, "udrv-nvme: perf: %s\n", nvme_last_error());
			goto out;
		}
		for (j = 0; j < o->qd; j++) {
			t->slots[j].t = t;
			t->slots[j].buf = nvme_dma_alloc(c, o->bs);
			if (!t->slots[j].buf) {
				fprintf(stderr, "udrv-nvme: perf: %s\n", nvme_last_error());
				ret = -ENOMEM;
				goto out;
			}
		}
	}
	t0 = now_ns();
	end = t0 + (uint64_t)o->seconds * 1000000000u;
	for (i = 0; i < o->queues; i++) {
		th[i].end_ns = end;
		ret = -pthread_create(&th[i].tid, NULL, worker, &th[i]);
		if (ret) {
			perf_stop = 1;
			break;
		}
		started++;
	}
	/* snippet: progress */
	while (!perf_stop && now_ns() < end) {
		uint64_t ios = 0, t;

		usleep(100000);
		t = now_ns();
		if (t - prev < 1000000000u && t < end)
			continue;
		for (i = 0; i < o->queues; i++)
			ios += th[i].done;
		if (o->progress && prev)
			fprintf(stderr, "udrv-nvme: %5.1f s  %9.0f IOPS  %8.2f MB/s\n",
				(t - t0) / 1e9, (ios - last_ios) * 1e9 / (t - prev),
				(ios - last_ios) * (double)o->bs * 1e3 / (t - prev));
		last_ios = ios;
		prev = t;
	}
	/* snippet end */
	for (i = 0; i < started; i++)
		pthread_join(th[i].tid, NULL);
	r->seconds = (now_ns() - t0) / 1e9;
	for (i = 0; i < started; i++) {
		r->ios += th[i].done;
		r->errors += th[i].errors;
		if (th[i].ret && !ret)
			ret = th[i].ret;
		nall += th[i].nlat;
	}
	all = malloc((nall ? nall : 1) * sizeof(*all));
	if (!all) {
		ret = -ENOMEM;
		goto out;
	}
	nall = 0;
	for (i = 0; i < started; i++) {
		memcpy(all + nall, th[i].lat, th[i].nlat * sizeof(*all));
		nall += th[i].nlat;
	}
	qsort(all, nall, sizeof(*all), cmp_u32);
	for (j = 0; j < nall; j++)
		sum += all[j];
	r->iops = r->ios / r->seconds;
	r->mbps = r->iops * o->bs / 1e6;
	r->lat_mean_us = nall ? sum / nall / 1000.0 : 0;
	r->lat_p50_us = pct(all, nall, 0.50);
	r->lat_p99_us = pct(all, nall, 0.99);
	r->lat_p999_us = pct(all, nall, 0.999);
	r->lat_max_us = nall ? all[nall - 1] / 1000.0 : 0;
out:
	for (i = 0; i < o->queues; i++) {
		nvme_queue_destroy(th[i].q);
		free(th[i].slots);
		free(th[i].lat);
	}
	free(all);
	free(th);
	return ret;
}
