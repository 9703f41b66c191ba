/* SPDX-License-Identifier: MIT */
/*
 * udrv-nvme perf: a fixed workload on N queue pairs (one thread each) for a
 * duration, with a progress line each second and latency percentiles.
 * tests/bench/bench_nvme runs the same workload through the kernel.
 */
#ifndef UDRV_NVME_PERF_H
#define UDRV_NVME_PERF_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "nvme.h"

struct perf_opts {
	unsigned int bs;        /* bytes per I/O, a multiple of the block size */
	unsigned int qd;        /* commands in flight per queue */
	unsigned int queues;    /* queue pairs = threads */
	unsigned int seconds;
	bool random;
	unsigned int read_pct;  /* 100: read only, 0: write only */
	uint64_t span;          /* blocks of the namespace used (0: all) */
	bool progress;          /* a line on stderr each second */
};

struct perf_result {
	uint64_t ios, errors;
	double seconds;
	double iops, mbps;
	double lat_mean_us, lat_p50_us, lat_p99_us, lat_p999_us, lat_max_us;
};

extern volatile sig_atomic_t perf_stop;

int perf_run(struct nvme_ctrl *c, const struct nvme_ns *ns, const struct perf_opts *o,
	     struct perf_result *r);

#endif /* UDRV_NVME_PERF_H */
