// SPDX-License-Identifier: MIT
/*
 * udrv-nvme: drive an NVMe controller from user space with examples/nvme.
 *
 *   identify   controller and namespace
 *   read       blocks to a file, or checked against a pattern
 *   write      blocks from a file, or a pattern
 *   check      write + read back N blocks at random LBAs, every byte compared
 *   recover    a command timeout recovered: the controller is disabled
 *              behind the driver's back mid-run, the reads still complete
 *   perf       a workload for a duration: IOPS, MB/s, latency percentiles
 *
 * The controller is shut down (CC.SHN) on every exit, SIGINT and SIGTERM
 * included: they stop the command at the next completion.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nvme.h"
#include "nvme_spec.h"
#include "perf.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: udrv-nvme [-s ADDR] [OPTIONS] COMMAND [ARGS]\n"
		"Drive an NVMe controller from user space through libudrv (examples/nvme).\n"
		"\n"
		"Options:\n"
		"  -s, --slot ADDR       PCI address (default: $UDRV_DEV_1b36_0010)\n"
		"  -b, --backend NAME    force the access path: vfio, uio or stub\n"
		"  -n, --ns NSID         namespace (default 1)\n"
		"      --irq             wait for completions by interrupt (MSI-X per queue,\n"
		"                        else INTx for one queue) instead of polling\n"
		"      --timeout-ms N    command timeout before abort/reset (default 5000)\n"
		"      --json            machine-readable output (identify, check, perf)\n"
		"  -v, --verbose         say what the driver does (interrupts, shutdown)\n"
		"  -h, --help            show this help\n"
		"\n"
		"Commands:\n"
		"  identify              controller and namespace identity\n"
		"  read LBA COUNT (--file F | --pattern SEED)\n"
		"                        read COUNT blocks into F, or check them against the\n"
		"                        pattern `write --pattern SEED` wrote\n"
		"  write LBA COUNT (--file F | --pattern SEED)\n"
		"                        write COUNT blocks from F, or of a pattern that is a\n"
		"                        function of SEED and each block's LBA\n"
		"  check [--blocks N] [--seed S]\n"
		"                        write N (default 1000) blocks at distinct random LBAs,\n"
		"                        flush, read each back and compare every byte\n"
		"  recover               disable the controller behind the driver's back while\n"
		"                        reads are in flight; they must time out, be recovered\n"
		"                        (abort, reset) and succeed when retried\n"
		"  perf [--bs N] [--qd N] [--queues N] [--time S] [--rw MODE] [--mix PCT]\n"
		"       [--span BLOCKS]  MODE: randread (default), randwrite, randrw, read,\n"
		"                        write, rw; PCT: reads in rw modes (default 50);\n"
		"                        prints IOPS, MB/s, p50/p99/p99.9 latency and a\n"
		"                        progress line each second\n");
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
	perf_stop = 1;
}

static int failed(const char *what)
{
	fprintf(stderr, "udrv-nvme: %s: %s\n", what, nvme_last_error());
	return 1;
}

/* The block at @lba of pattern @seed: 64-bit words from a xorshift of both. */
static void pattern_fill(void *buf, uint32_t bsize, uint64_t lba, uint64_t seed)
{
	uint64_t s = (lba + 1) * 0x9e3779b97f4a7c15ull ^ (seed + 1) * 0xbf58476d1ce4e5b9ull;
	uint64_t *w = buf;
	uint32_t i;

	for (i = 0; i < bsize / 8; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		w[i] = s;
	}
	w[0] = lba; /* a misplaced block names where it belongs */
}

static void print_escaped(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar((unsigned char)*s >= 0x20 ? *s : '?');
	}
	putchar('"');
}

static int cmd_identify(struct nvme_ctrl *c, const struct nvme_ns *ns, int json)
{
	const struct nvme_info *i = nvme_info(c);

	if (json) {
		printf("{\"device\": \"%s\", \"path\": \"%s\", \"model\": ", udrv_device_name(nvme_udrv(c)),
		       udrv_backend_name(udrv_backend(nvme_udrv(c))));
		print_escaped(i->model);
		printf(", \"serial\": ");
		print_escaped(i->serial);
		printf(", \"firmware\": ");
		print_escaped(i->firmware);
		printf(", \"vid\": %u, \"version\": \"%u.%u\", \"namespaces\": %u, "
		       "\"max_transfer\": %u, \"max_queue_entries\": %u, \"timeout_ms\": %u, "
		       "\"queues\": %u, \"irq\": \"%s\", \"vectors\": %u, \"ns\": {\"nsid\": %u, "
		       "\"blocks\": %llu, \"block_size\": %u}}\n",
		       i->vid, i->version >> 16, (i->version >> 8) & 0xff, i->namespaces,
		       i->max_transfer, i->max_queue_entries, i->timeout_ms, i->queues,
		       nvme_irq_mode_name(i->irq), i->vectors, ns->nsid,
		       (unsigned long long)ns->blocks, ns->block_size);
		return 0;
	}
	printf("nvme %s via %s\n", udrv_device_name(nvme_udrv(c)),
	       udrv_backend_name(udrv_backend(nvme_udrv(c))));
	printf("  model       %s\n", i->model);
	printf("  serial      %s\n", i->serial);
	printf("  firmware    %s\n", i->firmware);
	printf("  vendor      0x%04x, NVMe %u.%u, controller %u\n", i->vid, i->version >> 16,
	       (i->version >> 8) & 0xff, i->cntlid);
	printf("  limits      %u KiB per command, %u queue entries, ready within %u ms\n",
	       i->max_transfer >> 10, i->max_queue_entries, i->timeout_ms);
	printf("  queues      %u I/O queue pair(s) granted, completions by %s (%u vector(s))\n",
	       i->queues, nvme_irq_mode_name(i->irq), i->vectors);
	printf("  namespace   %u: %llu blocks of %u bytes (%llu MiB), %u namespace(s)\n",
	       ns->nsid, (unsigned long long)ns->blocks, ns->block_size,
	       (unsigned long long)(ns->blocks * ns->block_size >> 20), i->namespaces);
	return 0;
}

/* read/write: COUNT blocks at LBA, in commands of at most max_transfer. */
static int cmd_rw(struct nvme_ctrl *c, const struct nvme_ns *ns, int wr, uint64_t lba,
		  uint64_t count, const char *file, int have_seed, uint64_t seed)
{
	uint32_t per = nvme_info(c)->max_transfer / ns->block_size, b;
	size_t chunk = (size_t)per * ns->block_size;
	unsigned char *buf = nvme_dma_alloc(c, chunk), *want = malloc(chunk);
	struct nvme_queue *q;
	uint64_t done = 0, bad = 0;
	int fd = -1, ret = 1;

	if (!buf || !want)
		return failed("buffer");
	if (lba + count > ns->blocks || !count) {
		fprintf(stderr, "udrv-nvme: LBA %llu + %llu blocks: the namespace has %llu\n",
			(unsigned long long)lba, (unsigned long long)count,
			(unsigned long long)ns->blocks);
		free(want);
		return 1;
	}
	if (file) {
		fd = wr ? open(file, O_RDONLY) : open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			fprintf(stderr, "udrv-nvme: %s: %s\n", file, strerror(errno));
			free(want);
			return 1;
		}
	}
	if (nvme_queue_create(c, 2, &q)) {
		failed("I/O queue");
		goto out;
	}
	while (done < count && !got_signal) {
		uint32_t n = count - done < per ? (uint32_t)(count - done) : per;
		size_t len = (size_t)n * ns->block_size;

		if (wr) {
			for (b = 0; b < n && !file; b++)
				pattern_fill(buf + (size_t)b * ns->block_size, ns->block_size,
					     lba + done + b, seed);
			if (file && read(fd, buf, len) != (ssize_t)len) {
				fprintf(stderr, "udrv-nvme: %s: shorter than %llu blocks\n", file,
					(unsigned long long)count);
				goto out_q;
			}
		}
		if (nvme_io_sync(q, wr ? NVME_CMD_WRITE : NVME_CMD_READ, ns, lba + done, n, buf)) {
			failed(wr ? "write" : "read");
			goto out_q;
		}
		if (!wr && file && write(fd, buf, len) != (ssize_t)len) {
			fprintf(stderr, "udrv-nvme: %s: %s\n", file, strerror(errno));
			goto out_q;
		}
		for (b = 0; b < n && !wr && have_seed; b++) {
			pattern_fill(want, ns->block_size, lba + done + b, seed);
			if (memcmp(want, buf + (size_t)b * ns->block_size, ns->block_size)) {
				if (bad++ < 5)
					fprintf(stderr, "udrv-nvme: LBA %llu differs from pattern %llu\n",
						(unsigned long long)(lba + done + b),
						(unsigned long long)seed);
			}
		}
		done += n;
	}
	if (wr && nvme_io_sync(q, NVME_CMD_FLUSH, ns, 0, 0, NULL)) {
		failed("flush");
		goto out_q;
	}
	if (done == count)
		printf("%s %llu block(s) at LBA %llu%s", wr ? "wrote" : "read",
		       (unsigned long long)done, (unsigned long long)lba,
		       have_seed && !wr ? "" : "\n");
	if (have_seed && !wr && done == count)
		printf(", %llu differ from pattern %llu\n", (unsigned long long)bad,
		       (unsigned long long)seed);
	ret = done == count && !bad ? 0 : 1;
out_q:
	nvme_queue_destroy(q);
out:
	if (fd >= 0 && close(fd) && !ret) {
		fprintf(stderr, "udrv-nvme: %s: %s\n", file, strerror(errno));
		ret = 1;
	}
	free(want);
	return ret;
}

/*
 * check: N distinct random LBAs (a shuffle of the first ones when the
 * namespace is small), written with their pattern in batches of the queue
 * depth, flushed, read back and compared.
 */
static int cmd_check(struct nvme_ctrl *c, const struct nvme_ns *ns, unsigned int nblocks,
		     uint64_t seed, int json)
{
	const unsigned int qd = 16;
	uint64_t *lbas = calloc(nblocks, sizeof(*lbas)), s = seed * 2654435761u + 1;
	unsigned char *bufs = nvme_dma_alloc(c, (size_t)qd * ns->block_size);
	unsigned char *want = malloc(ns->block_size);
	struct nvme_queue *q = NULL;
	unsigned int i, j, verified = 0, bad = 0, pass;
	int ret = 1;

	if (!lbas || !bufs || !want || nblocks > ns->blocks) {
		fprintf(stderr, "udrv-nvme: check: %u blocks: %s\n", nblocks,
			nblocks > ns->blocks ? "more than the namespace has" : "out of memory");
		goto out;
	}
	/* Distinct LBAs: draw, and redraw on a collision (sorted copy not needed for 1000). */
	for (i = 0; i < nblocks; i++) {
		for (;;) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			lbas[i] = s % ns->blocks;
			for (j = 0; j < i && lbas[j] != lbas[i]; j++)
				;
			if (j == i)
				break;
		}
	}
	if (nvme_queue_create(c, qd + 1, &q)) {
		failed("I/O queue");
		goto out;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < nblocks && !got_signal; i += qd) {
			unsigned int n = nblocks - i < qd ? nblocks - i : qd;
			for (j = 0; j < n; j++) {
				unsigned char *b = bufs + (size_t)j * ns->block_size;

				if (pass == 0)
					pattern_fill(b, ns->block_size, lbas[i + j], seed);
				else
					memset(b, 0, ns->block_size);
				if (nvme_io_sync(q, pass ? NVME_CMD_READ : NVME_CMD_WRITE, ns,
						 lbas[i + j], 1, b)) {
					failed(pass ? "check: read" : "check: write");
					goto out;
				}
				if (pass) {
					pattern_fill(want, ns->block_size, lbas[i + j], seed);
					if (memcmp(want, b, ns->block_size)) {
						if (bad++ < 5)
							fprintf(stderr, "udrv-nvme: check: LBA %llu "
								"read back differs\n",
								(unsigned long long)lbas[i + j]);
					} else {
						verified++;
					}
				}
			}
		}
		if (pass == 0 && nvme_io_sync(q, NVME_CMD_FLUSH, ns, 0, 0, NULL)) {
			failed("check: flush");
			goto out;
		}
	}
	if (got_signal)
		fprintf(stderr, "udrv-nvme: check: interrupted by signal %d\n", (int)got_signal);
	else if (json)
		printf("{\"check\": {\"blocks\": %u, \"verified\": %u, \"differ\": %u, \"seed\": %llu}}\n",
		       nblocks, verified, bad, (unsigned long long)seed);
	else
		printf("check: %u blocks at random LBAs written, flushed, read back: %u verified, "
		       "%u differ\n", nblocks, verified, bad);
	ret = !got_signal && verified == nblocks ? 0 : 1;
out:
	nvme_queue_destroy(q);
	free(lbas);
	free(want);
	return ret;
}

struct recover_io {
	int done, status;
};

static void recover_done(void *arg, int status, uint32_t dw0)
{
	struct recover_io *r = arg;

	(void)dw0;
	r->done = 1;
	r->status = status;
}

/*
 * recover: 8 blocks written with a pattern; then CC.EN is cleared behind
 * the driver's back and 8 reads are queued.  None can complete: each
 * times out, the driver aborts (the controller is not ready: straight to a
 * reset), re-creates the queues and hands the reads back with -EIO.  Read
 * again, they must match.
 */
static int cmd_recover(struct nvme_ctrl *c, const struct nvme_ns *ns, int json)
{
	enum { N = 8 };
	unsigned char *bufs = nvme_dma_alloc(c, (size_t)N * ns->block_size);
	unsigned char *want = malloc(ns->block_size);
	struct recover_io io[N] = { 0 };
	struct nvme_queue *q = NULL;
	unsigned int i, lost = 0, verified = 0;
	struct timespec t0, t1;
	int ret = 1;

	if (!bufs || !want)
		goto out;
	if (nvme_queue_create(c, N + 1, &q)) {
		failed("I/O queue");
		goto out;
	}
	for (i = 0; i < N; i++) {
		pattern_fill(bufs + (size_t)i * ns->block_size, ns->block_size, 100 + i, 7);
		if (nvme_io_sync(q, NVME_CMD_WRITE, ns, 100 + i, 1, bufs + (size_t)i * ns->block_size)) {
			failed("recover: write");
			goto out;
		}
	}
	memset(bufs, 0, (size_t)N * ns->block_size);
	nvme_inject_disable(c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < N; i++)
		if (nvme_queue_io(q, NVME_CMD_READ, ns, 100 + i, 1, bufs + (size_t)i * ns->block_size,
				  recover_done, &io[i])) {
			failed("recover: read");
			goto out;
		}
	nvme_queue_ring(q);
	while (nvme_queue_inflight(q) && !got_signal)
		if (nvme_queue_wait(q, 100) < 0) {
			failed("recover: waiting");
			goto out;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < N; i++) {
		if (io[i].status == -EIO)
			lost++;
		if (nvme_io_sync(q, NVME_CMD_READ, ns, 100 + i, 1, bufs + (size_t)i * ns->block_size)) {
			failed("recover: read after the reset");
			goto out;
		}
		pattern_fill(want, ns->block_size, 100 + i, 7);
		verified += !memcmp(want, bufs + (size_t)i * ns->block_size, ns->block_size);
	}
	if (json)
		printf("{\"recover\": {\"reads\": %d, \"ended_by_reset\": %u, \"verified\": %u, "
		       "\"seconds\": %.2f}}\n", N, lost, verified,
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	else
		printf("recover: %d reads in flight on a disabled controller: %u ended by the reset "
		       "after %.2f s, all re-read: %u verified\n", N, lost,
		       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, verified);
	ret = lost == N && verified == N ? 0 : 1;
out:
	nvme_queue_destroy(q);
	free(want);
	return ret;
}

static int cmd_perf(struct nvme_ctrl *c, const struct nvme_ns *ns, struct perf_opts *o,
		    const char *rw, int json)
{
	struct perf_result r;
	int ret;

	o->random = !strncmp(rw, "rand", 4);
	if (!strcmp(rw + (o->random ? 4 : 0), "read"))
		o->read_pct = 100;
	else if (!strcmp(rw + (o->random ? 4 : 0), "write"))
		o->read_pct = 0;
	else if (strcmp(rw + (o->random ? 4 : 0), "rw")) {
		fprintf(stderr, "udrv-nvme: perf: --rw %s: randread, randwrite, randrw, read, write "
			"or rw\n", rw);
		return 2;
	}
	if (o->queues > nvme_info(c)->queues) {
		fprintf(stderr, "udrv-nvme: perf: %u queues wanted, the controller granted %u\n",
			o->queues, nvme_info(c)->queues);
		return 1;
	}
	ret = perf_run(c, ns, o, &r);
	if (ret)
		return 1;
	if (json) {
		printf("{\"perf\": {\"driver\": \"udrv-nvme\", \"path\": \"%s\", \"irq\": \"%s\", "
		       "\"rw\": \"%s\", \"read_pct\": %u, \"bs\": %u, \"qd\": %u, \"queues\": %u, "
		       "\"seconds\": %.3f, \"ios\": %llu, \"errors\": %llu, \"iops\": %.1f, "
		       "\"mbps\": %.3f, \"lat_mean_us\": %.2f, \"lat_p50_us\": %.2f, "
		       "\"lat_p99_us\": %.2f, \"lat_p999_us\": %.2f, \"lat_max_us\": %.2f}}\n",
		       udrv_backend_name(udrv_backend(nvme_udrv(c))),
		       nvme_irq_mode_name(nvme_info(c)->irq), rw, o->read_pct, o->bs, o->qd,
		       o->queues, r.seconds, (unsigned long long)r.ios, (unsigned long long)r.errors,
		       r.iops, r.mbps, r.lat_mean_us, r.lat_p50_us, r.lat_p99_us, r.lat_p999_us,
		       r.lat_max_us);
	} else {
		printf("perf: %s bs=%u qd=%u queues=%u %s via %s: %.1f s\n", rw, o->bs, o->qd,
		       o->queues, nvme_irq_mode_name(nvme_info(c)->irq),
		       udrv_backend_name(udrv_backend(nvme_udrv(c))), r.seconds);
		printf("  %llu I/Os, %llu errors: %.0f IOPS, %.2f MB/s\n", (unsigned long long)r.ios,
		       (unsigned long long)r.errors, r.iops, r.mbps);
		printf("  latency us: mean %.1f  p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
		       r.lat_mean_us, r.lat_p50_us, r.lat_p99_us, r.lat_p999_us, r.lat_max_us);
	}
	return r.errors ? 1 : 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	enum { O_IRQ = 256, O_TIMEOUT, O_JSON, O_FILE, O_PATTERN, O_BLOCKS, O_SEED, O_BS, O_QD,
	       O_QUEUES, O_TIME, O_RW, O_MIX, O_SPAN };
	static const struct option opts[] = {
		{ "slot", required_argument, NULL, 's' },
		{ "backend", required_argument, NULL, 'b' },
		{ "ns", required_argument, NULL, 'n' },
		{ "irq", no_argument, NULL, O_IRQ },
		{ "timeout-ms", required_argument, NULL, O_TIMEOUT },
		{ "json", no_argument, NULL, O_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "file", required_argument, NULL, O_FILE },
		{ "pattern", required_argument, NULL, O_PATTERN },
		{ "blocks", required_argument, NULL, O_BLOCKS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "bs", required_argument, NULL, O_BS },
		{ "qd", required_argument, NULL, O_QD },
		{ "queues", required_argument, NULL, O_QUEUES },
		{ "time", required_argument, NULL, O_TIME },
		{ "rw", required_argument, NULL, O_RW },
		{ "mix", required_argument, NULL, O_MIX },
		{ "span", required_argument, NULL, O_SPAN },
		{ 0 },
	};
	struct perf_opts po = { .bs = 4096, .qd = 1, .queues = 1, .seconds = 5, .read_pct = 50,
				.progress = true };
	struct nvme_open_opts oo = { .queues = 1 };
	const char *addr = getenv("UDRV_DEV_1b36_0010"), *file = NULL, *rw = "randread", *cmd;
	uint64_t v, seed = 0, nsid = 1, blocks = 1000, a[2];
	int opt, json = 0, verbose = 0, have_seed = 0, ret, i;
	struct sigaction sa = { .sa_handler = on_signal };
	struct nvme_ctrl *c;
	struct nvme_ns ns;

	while ((opt = getopt_long(argc, argv, "+s:b:n:vh", opts, NULL)) != -1) {
		if (optarg && opt != 's' && opt != 'b' && opt != O_FILE && opt != O_RW &&
		    parse_u64(optarg, &v)) {
			fprintf(stderr, "udrv-nvme: bad number '%s'\n", optarg);
			return 2;
		}
		switch (opt) {
		case 's': addr = optarg; break;
		case 'b':
			oo.backend = !strcmp(optarg, "vfio") ? UDRV_BACKEND_VFIO :
				     !strcmp(optarg, "uio") ? UDRV_BACKEND_UIO :
				     !strcmp(optarg, "stub") ? UDRV_BACKEND_STUB : (enum udrv_backend)-1;
			if (oo.backend == (enum udrv_backend)-1) {
				fprintf(stderr, "udrv-nvme: --backend %s: vfio, uio or stub\n", optarg);
				return 2;
			}
			break;
		case 'n': nsid = v; break;
		case O_IRQ: oo.interrupts = true; break;
		case O_TIMEOUT: oo.io_timeout_ms = (unsigned int)v; break;
		case O_JSON: json = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case O_FILE: file = optarg; break;
		case O_PATTERN: seed = v; have_seed = 1; break;
		case O_BLOCKS: blocks = v; break;
		case O_SEED: seed = v; break;
		case O_BS: po.bs = (unsigned int)v; break;
		case O_QD: po.qd = (unsigned int)v; break;
		case O_QUEUES: po.queues = (unsigned int)v; break;
		case O_TIME: po.seconds = (unsigned int)v; break;
		case O_RW: rw = optarg; break;
		case O_MIX: po.read_pct = (unsigned int)v; break;
		case O_SPAN: po.span = v; break;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind++];
	/* The command's own arguments: numbers first, then options again. */
	for (i = 0; i < 2 && optind < argc && argv[optind][0] != '-'; i++)
		if (parse_u64(argv[optind++], &a[i])) {
			fprintf(stderr, "udrv-nvme: %s: bad number '%s'\n", cmd, argv[optind - 1]);
			return 2;
		}
	while ((opt = getopt_long(argc, argv, "s:b:n:vh", opts, NULL)) != -1) {
		if (optarg && opt != 'b' && opt != 's' && opt != O_FILE && opt != O_RW &&
		    parse_u64(optarg, &v)) {
			fprintf(stderr, "udrv-nvme: bad number '%s'\n", optarg);
			return 2;
		}
		switch (opt) {
		case O_IRQ: oo.interrupts = true; break;
		case O_JSON: json = 1; break;
		case 'v': verbose = 1; break;
		case O_TIMEOUT: oo.io_timeout_ms = (unsigned int)v; break;
		case O_FILE: file = optarg; break;
		case O_PATTERN: seed = v; have_seed = 1; break;
		case O_BLOCKS: blocks = v; break;
		case O_SEED: seed = v; break;
		case O_BS: po.bs = (unsigned int)v; break;
		case O_QD: po.qd = (unsigned int)v; break;
		case O_QUEUES: po.queues = (unsigned int)v; break;
		case O_TIME: po.seconds = (unsigned int)v; break;
		case O_RW: rw = optarg; break;
		case O_MIX: po.read_pct = (unsigned int)v; break;
		case O_SPAN: po.span = v; break;
		default:
			fprintf(stderr, "udrv-nvme: %s: option not valid after the command\n", cmd);
			return 2;
		}
	}
	if (!addr) {
		fprintf(stderr, "udrv-nvme: no device: give -s ADDR (or set UDRV_DEV_1b36_0010)\n");
		return 2;
	}
	if ((!strcmp(cmd, "read") || !strcmp(cmd, "write")) &&
	    (i != 2 || !file == !have_seed)) {
		fprintf(stderr, "udrv-nvme: %s LBA COUNT and one of --file or --pattern\n", cmd);
		return 2;
	}
	if (!strcmp(cmd, "perf")) {
		if (!po.qd || !po.queues || !po.seconds || po.qd > 1023 || po.read_pct > 100) {
			fprintf(stderr, "udrv-nvme: perf: --qd 1..1023, --queues >= 1, --time >= 1, "
				"--mix 0..100\n");
			return 2;
		}
		oo.queues = po.queues;
		po.progress = !json || verbose;
	} else if (strcmp(cmd, "identify") && strcmp(cmd, "read") && strcmp(cmd, "write") &&
		   strcmp(cmd, "check") && strcmp(cmd, "recover")) {
		fprintf(stderr, "udrv-nvme: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "recover") && !oo.io_timeout_ms)
		oo.io_timeout_ms = 1000;

	/* Stop at the next completion, then shut the controller down. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ret = nvme_open(addr, &oo, &c);
	if (ret)
		return failed("open");
	if (verbose)
		fprintf(stderr, "udrv-nvme: %s via %s: %u I/O queue(s), completions by %s\n",
			udrv_device_name(nvme_udrv(c)), udrv_backend_name(udrv_backend(nvme_udrv(c))),
			nvme_info(c)->queues, nvme_irq_mode_name(nvme_info(c)->irq));
	if (nvme_ns_identify(c, (uint32_t)nsid, &ns)) {
		ret = failed("identify namespace");
	} else if (!strcmp(cmd, "identify")) {
		ret = cmd_identify(c, &ns, json);
	} else if (!strcmp(cmd, "read") || !strcmp(cmd, "write")) {
		ret = cmd_rw(c, &ns, cmd[0] == 'w', a[0], a[1], file, have_seed, seed);
	} else if (!strcmp(cmd, "check")) {
		ret = cmd_check(c, &ns, (unsigned int)blocks, seed, json);
	} else if (!strcmp(cmd, "recover")) {
		ret = cmd_recover(c, &ns, json);
	} else {
		ret = cmd_perf(c, &ns, &po, rw, json);
	}
	if (nvme_close(c))
		ret = 1;
	else if (verbose)
		fprintf(stderr, "udrv-nvme: controller shut down (CSTS.SHST complete)%s\n",
			got_signal ? ", after a signal" : "");
	if (got_signal) {
		fprintf(stderr, "udrv-nvme: stopped by signal %d\n", (int)got_signal);
		return 128 + got_signal;
	}
	return ret;
}
