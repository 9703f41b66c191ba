// SPDX-License-Identifier: MIT
/*
 * udrv-nvme against the kernel's nvme driver, the same workload in the
 * same guest on the same QEMU nvme: 4 KiB random reads of the whole
 * namespace, at queue depth 1 (the headline is the p50 latency) and 32 (the
 * headline is IOPS), one queue, one thread.
 *
 *   udrv     examples/nvme + the perf engine of udrv-nvme, polling its
 *            completion queue (no system call, no interrupt per I/O)
 *   kernel   /dev/nvme0n1, O_DIRECT, io_uring (raw system calls): completions
 *            by interrupt, and polled (IORING_SETUP_IOPOLL on one of the
 *            nvme module's poll_queues) where the kernel allows it
 *
 * Rounds interleave the drivers: each round runs udrv, rebinds the device
 * to nvme, runs the kernel's cases, and rebinds it back, so drift in the
 * emulator hits both alike.  Rows give medians over the rounds with each
 * side's spread (min..max) in the note.
 *
 * Runs in the udrv-vm guest (tests/vm/nvme_vm.sh sets it up): the device
 * in UDRV_DEV_1b36_0010, bound to the profile's driver, nvme.ko loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "nvme.h"
#include "perf.h"

static const char usage[] =
	"usage: bench_nvme [--json] [--quick] [--samples ROUNDS]\n"
	"4 KiB random reads at QD1 and QD32: udrv-nvme (polled) against the kernel's\n"
	"nvme driver with io_uring (interrupt and polled), rounds interleaved.\n";

static const char *addr;
static char udrv_driver[64];

/* ------------------------------------------------------------ rebinding */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int current_driver(char *buf, size_t len)
{
	char path[256], link[256], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	p = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
	if (strlen(p) >= len)
		return -ENAMETOOLONG;
	memcpy(buf, p, strlen(p) + 1);
	return 0;
}

/* Give the device to @drv; for nvme, wait for /dev/nvme0n1. */
static int rebind(const char *drv)
{
	char path[256], cur[64];
	int i;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", addr);
	if (!current_driver(cur, sizeof(cur)))
		write_str(path, addr);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", addr);
	write_str(path, drv);
	write_str("/sys/bus/pci/drivers_probe", addr);
	for (i = 0; i < 200; i++) {
		if (!current_driver(cur, sizeof(cur)) && !strcmp(cur, drv) &&
		    (strcmp(drv, "nvme") || !access("/dev/nvme0n1", F_OK)))
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "bench_nvme: binding %s to %s failed\n", addr, drv);
	return -EIO;
}

/* ------------------------------------------------------------- io_uring */

struct ring {
	int fd;
	unsigned int *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	void *sq_ptr, *cq_ptr;
	size_t sq_len, cq_len, sqes_len;
};

static int ring_init(struct ring *r, unsigned int entries, bool iopoll)
{
	struct io_uring_params p = { .flags = iopoll ? IORING_SETUP_IOPOLL : 0 };

	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
	if (r->fd < 0)
		return -errno;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq_ptr = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			 IORING_OFF_SQ_RING);
	r->cq_ptr = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
			 IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		       IORING_OFF_SQES);
	if (r->sq_ptr == MAP_FAILED || r->cq_ptr == MAP_FAILED || r->sqes == MAP_FAILED) {
		close(r->fd);
		return -ENOMEM;
	}
	r->sq_head = (unsigned int *)((char *)r->sq_ptr + p.sq_off.head);
	r->sq_tail = (unsigned int *)((char *)r->sq_ptr + p.sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq_ptr + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)r->sq_ptr + p.sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq_ptr + p.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq_ptr + p.cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq_ptr + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq_ptr + p.cq_off.cqes);
	return 0;
}

static void ring_exit(struct ring *r)
{
	munmap(r->sq_ptr, r->sq_len);
	munmap(r->cq_ptr, r->cq_len);
	munmap(r->sqes, r->sqes_len);
	close(r->fd);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The kernel's side of the workload: @qd 4 KiB random reads in flight on
 * /dev/nvme0n1 for @secs, each one's latency from its submission to its
 * completion entry, as udrv-nvme perf measures its own.
 */
static int kernel_run(unsigned int qd, unsigned int secs, bool iopoll, struct perf_result *res)
{
	struct ring r;
	uint64_t t0[64] = { 0 }, rng = 0x9e3779b97f4a7c15ull, end, start, blocks, sum = 0;
	uint32_t *lat = NULL;
	size_t nlat = 0, cap = 0;
	unsigned int i, inflight = 0, tosubmit = 0;
	char *bufs = NULL;
	int fd, ret;

	memset(res, 0, sizeof(*res));
	fd = open("/dev/nvme0n1", O_RDONLY | O_DIRECT);
	if (fd < 0)
		return -errno;
	blocks = (uint64_t)lseek(fd, 0, SEEK_END) / 4096;
	ret = ring_init(&r, 64, iopoll);
	if (ret) {
		close(fd);
		return ret;
	}
	if (posix_memalign((void **)&bufs, 4096, (size_t)qd * 4096)) {
		ret = -ENOMEM;
		goto out;
	}
	start = bench_now_ns();
	end = start + (uint64_t)secs * 1000000000u;
	for (;;) {
		bool more = bench_now_ns() < end;

		/* Refill: one SQE per free slot, submitted with the wait below. */
		for (i = 0; more && inflight + tosubmit < qd; i++) {
			unsigned int tail = *r.sq_tail, idx = tail & *r.sq_mask, slot;
			struct io_uring_sqe *sqe = &r.sqes[idx];

			/* Slots are found by user_data; pick a free one. */
			for (slot = 0; slot < qd && t0[slot]; slot++)
				;
			memset(sqe, 0, sizeof(*sqe));
			sqe->opcode = IORING_OP_READ;
			sqe->fd = fd;
			sqe->addr = (uint64_t)(uintptr_t)(bufs + (size_t)slot * 4096);
			sqe->len = 4096;
			sqe->off = (xorshift(&rng) % blocks) * 4096;
			sqe->user_data = slot;
			r.sq_array[idx] = idx;
			t0[slot] = bench_now_ns();
			__atomic_store_n(r.sq_tail, tail + 1, __ATOMIC_RELEASE);
			tosubmit++;
		}
		if (!inflight && !tosubmit)
			break;
		ret = (int)syscall(__NR_io_uring_enter, r.fd, tosubmit, 1, IORING_ENTER_GETEVENTS,
				   NULL, 0);
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		inflight += (unsigned int)ret;
		tosubmit -= (unsigned int)ret;
		for (;;) {
			unsigned int head = *r.cq_head;
			struct io_uring_cqe *cqe;
			uint64_t now;

			if (head == __atomic_load_n(r.cq_tail, __ATOMIC_ACQUIRE))
				break;
			cqe = &r.cqes[head & *r.cq_mask];
			now = bench_now_ns();
			if (cqe->res != 4096) {
				fprintf(stderr, "bench_nvme: io_uring read: %s\n",
					cqe->res < 0 ? strerror(-cqe->res) : "short");
				res->errors++;
			}
			if (nlat == cap) {
				uint32_t *p = realloc(lat, (cap = cap ? 2 * cap : 65536) * sizeof(*p));

				if (!p) {
					ret = -ENOMEM;
					goto out;
				}
				lat = p;
			}
			lat[nlat++] = (uint32_t)(now - t0[cqe->user_data]);
			t0[cqe->user_data] = 0;
			inflight--;
			__atomic_store_n(r.cq_head, head + 1, __ATOMIC_RELEASE);
		}
	}
	res->seconds = (bench_now_ns() - start) / 1e9;
	res->ios = nlat;
	res->iops = nlat / res->seconds;
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	for (i = 0; i < nlat; i++)
		sum += lat[i];
	res->lat_mean_us = nlat ? sum / 1e3 / nlat : 0;
	res->lat_p50_us = nlat ? lat[nlat / 2] / 1e3 : 0;
	res->lat_p99_us = nlat ? lat[(size_t)(nlat * 0.99)] / 1e3 : 0;
	ret = 0;
out:
	free(lat);
	free(bufs);
	ring_exit(&r);
	close(fd);
	return ret;
}

static int udrv_run(unsigned int qd, unsigned int secs, struct perf_result *res)
{
	struct nvme_open_opts oo = { .queues = 1 };
	struct perf_opts po = { .bs = 4096, .qd = qd, .queues = 1, .seconds = secs,
				.random = true, .read_pct = 100 };
	struct nvme_ctrl *c;
	struct nvme_ns ns;
	int ret = nvme_open(addr, &oo, &c);

	if (ret) {
		fprintf(stderr, "bench_nvme: %s\n", nvme_last_error());
		return ret;
	}
	ret = nvme_ns_identify(c, 1, &ns);
	if (!ret)
		ret = perf_run(c, &ns, &po, res);
	if (ret)
		fprintf(stderr, "bench_nvme: udrv: %s\n", nvme_last_error());
	if (nvme_close(c) && !ret)
		ret = -EIO;
	return ret;
}

/* ------------------------------------------------------------- report */

enum { U1, U32, KI1, KI32, KP1, KP32, NCASES };

static void spread(double *v, size_t n, struct bench_stats *st)
{
	double tmp[64];

	memcpy(tmp, v, n * sizeof(*v));
	bench_stats(tmp, n, st);
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_report rep;
	double v[NCASES][64] = { { 0 } };
	bool poll_ok = true;
	unsigned int rounds, secs, i, k;
	char note[256], extra[512];
	int ret;

	argc = bench_parse(argc, argv, &o, usage);
	if (argc <= 0)
		return argc < 0 ? 2 : 0;
	addr = getenv("UDRV_DEV_1b36_0010");
	if (!addr || current_driver(udrv_driver, sizeof(udrv_driver))) {
		fprintf(stderr, "bench_nvme: no nvme bound (udrv-vm --bind 1b36:0010)\n");
		return 1;
	}
	if (access("/sys/bus/pci/drivers/nvme", F_OK)) {
		fprintf(stderr, "bench_nvme: the kernel's nvme driver is not loaded (--load nvme)\n");
		return 1;
	}
	rounds = o.samples > 0 ? (unsigned int)(o.samples < 64 ? o.samples : 64) : o.quick ? 1 : 5;
	secs = o.quick ? 1 : 4;
	/* One poll queue for IORING_SETUP_IOPOLL; read at the nvme driver's probe. */
	if (write_str("/sys/module/nvme/parameters/poll_queues", "1")) {
		fprintf(stderr, "bench_nvme: cannot set nvme poll_queues: polled io_uring skipped\n");
		poll_ok = false;
	}
	for (i = 0; i < rounds; i++) {
		struct perf_result r[NCASES];

		memset(r, 0, sizeof(r));
		ret = udrv_run(1, secs, &r[U1]);
		if (!ret)
			ret = udrv_run(32, secs, &r[U32]);
		if (!ret)
			ret = rebind("nvme");
		if (!ret)
			ret = kernel_run(1, secs, false, &r[KI1]);
		if (!ret)
			ret = kernel_run(32, secs, false, &r[KI32]);
		if (!ret && poll_ok && (kernel_run(1, secs, true, &r[KP1]) ||
					kernel_run(32, secs, true, &r[KP32]))) {
			fprintf(stderr, "bench_nvme: polled io_uring refused: those rows skipped\n");
			poll_ok = false;
		}
		if (rebind(udrv_driver) || ret) {
			fprintf(stderr, "bench_nvme: round %u failed (%s)\n", i + 1,
				ret ? strerror(-ret) : "rebind");
			return 1;
		}
		for (k = 0; k < NCASES; k++)
			v[k][i] = k == U1 || k == KI1 || k == KP1 ? r[k].lat_p50_us : r[k].iops;
		fprintf(stderr, "bench_nvme: round %u/%u: QD1 p50 udrv %.1f us, kernel %.1f/%.1f us"
			" (irq/poll); QD32 udrv %.0f IOPS, kernel %.0f/%.0f IOPS\n", i + 1, rounds,
			v[U1][i], v[KI1][i], v[KP1][i], v[U32][i], v[KI32][i], v[KP32][i]);
	}

	bench_begin(&rep, "nvme 4 KiB random read", "udrv-nvme", "kernel", o.json);
	for (k = KI1; k < NCASES; k++) {
		bool lat = k == KI1 || k == KP1;
		unsigned int u = lat ? U1 : U32;
		struct bench_stats su, sk;
		char name[96];

		if ((k == KP1 || k == KP32) && !poll_ok)
			continue;
		spread(v[u], rounds, &su);
		spread(v[k], rounds, &sk);
		snprintf(name, sizeof(name), "QD%s %s, udrv polled / io_uring %s", lat ? "1" : "32",
			 lat ? "p50 latency" : "IOPS", k == KI1 || k == KI32 ? "irq" : "polled");
		snprintf(note, sizeof(note), "median of %u; udrv %.4g..%.4g, kernel %.4g..%.4g",
			 rounds, su.min, su.max, sk.min, sk.max);
		bench_add(&rep, name, lat ? "us" : "IOPS", su.median, sk.median,
			  lat ? BENCH_AT_MOST : BENCH_AT_LEAST, 1.0, note);
	}
	snprintf(extra, sizeof(extra),
		 "Path %s, one queue, %u s per case and round, rounds interleaved (udrv, then the "
		 "kernel after a rebind).  Platform: %s: the device is emulated, so both sides "
		 "pay QEMU's cost per command; the ratio shows what each driver adds.",
		 udrv_driver, secs, bench_platform());
	bench_end(&rep, extra);
	return 0;
}
