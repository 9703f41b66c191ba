// SPDX-License-Identifier: MIT
/*
 * stub_syscalls - a seeded syscall fuzzer for udrv_stub.ko, run in the
 * udrv-vm guest (profile stub, QEMU's edu at $UDRV_EDU):
 *
 *   tools/udrv-vm --profile stub -- stub_syscalls --seed 1 --duration 60
 *   make fuzz-stub DURATION=600              (the debug kernel, 10 minutes)
 *   meson test stub-fuzz@6.1                 (20 s, seed 1, every kernel)
 *
 * What it does.  N worker threads each run a random sequence of operations
 * on the stub's two device nodes, /dev/uioN (BAR0, interrupt) and
 * /dev/udrv/<addr> (DMA buffers, include/uapi/linux/udrv_stub.h):
 *   - open/close of both nodes (also stale ones, after an unbind);
 *   - every ioctl of the UAPI header and DMA_BUF_IOCTL_SYNC, each with six
 *     argument classes: valid, boundary (0, max, off-by-one sizes and
 *     masks), random garbage, wrong argsz, NULL/bad pointers, wrong fd;
 *     plus unknown command numbers;
 *   - mmap/munmap/mremap/mprotect of BAR0 and of DMA buffers with random
 *     and boundary offsets and lengths, and reads and writes through them;
 *   - the interrupt: write() to enable, raise through edu, poll(), read();
 *   - edu DMA round trips (RAM -> edu -> RAM) into live buffers;
 *   - fork: a child inherits everything, does a few safe operations and
 *     exits, or is SIGKILLed in the middle.
 * A controller process (fork, unless --no-rebind) meanwhile unbinds and
 * binds edu through sysfs and unloads/reloads the module (rmmod fails
 * while anything is open: counted; now and then it asks the workers to let
 * go of everything first, so that the unload succeeds).
 *
 * What counts as a failure (exit 1; the seed and the failing thread's last
 * operations are printed):
 *   - an ioctl errno the UAPI header does not list for that ioctl, or a
 *     different errno where the header fixes it (argsz too short: EINVAL;
 *     argsz over 4096 or a non-zero tail: E2BIG; bad flags: EINVAL; ...),
 *     or success where it must fail (wrong fd, bad pointer, mmap past the
 *     end of a BAR or buffer), or nonsense in a successful result;
 *   - SIGBUS or SIGSEGV where the operation did not make it legitimate
 *     (SIGBUS only after an unbind since the mapping was made, SIGSEGV only
 *     on a deliberate access against the mapping's protection), or no
 *     SIGSEGV where one is due;
 *   - a fresh buffer that is not zero, a buffer that does not read back
 *     what was written, BAR0 that does not read edu's ident, an edu DMA
 *     round trip that returns wrong data while nothing disturbed it (no
 *     unbind, no QUIESCE, no other touch of the buffer);
 *   - at the end, with everything closed and the device quiesced: DMA
 *     buffers, quarantined buffers, pinned memory or BAR mappings left.
 * The kernel side is judged by udrv-vm, which fails the run (exit 125) on
 * any Oops, BUG, WARNING, KASAN or lockdep report in the guest log.
 *
 * Bounded.  Every blocking call has a bound: read() on /dev/uioN only
 * after poll() said it would not block, edu DMA waits at most 3 s, children
 * and the controller are waited for with timeouts.  At most MAX_BUF
 * buffers and MAX_MAP mappings per thread, and LIVE_BUDGET bytes of live
 * buffers per process; for the run, the module parameters are set to
 * dma_bits=28 (edu's DMA reach), quiesce_ms=50 and max_pinned_mb=64, and
 * restored at the end.
 *
 * Reproducibility: see usage().  The report (stdout) ends with the number
 * of syscalls made, per syscall with errno histograms, the table ioctl x
 * argument class with counts and errno histograms, and the event counts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <linux/udrv_stub.h>

/* ---- limits and edu ---------------------------------------------------- */

#define MAX_THREADS	16
#define MAX_UIO		2	/* per thread: open /dev/uioN */
#define MAX_CTL		2	/* per thread: open /dev/udrv/<addr> */
#define MAX_BUF		8	/* per thread: DMA buffer fds */
#define MAX_MAP		12	/* per thread: mappings (BAR or buffer) */
#define KEEP_MAX	(1u << 20)	/* bigger buffers are closed at once */
#define LIVE_BUDGET	(48ull << 20)	/* live buffer bytes per process */
#define RING		24	/* operations remembered per thread */
#define ERRNO_MAX	134	/* histogram slots; 0 is success */

#define MODULE_PATH	"/udrv/modules/udrv_stub.ko"
#define PARAM_DIR	"/sys/module/udrv_stub/parameters"
#define DRV_DIR		"/sys/bus/pci/drivers/udrv_stub"
/* Module parameters for the run: name, value. */
static const char *const run_params[][2] = {
	{ "dma_bits", "28" }, { "quiesce_ms", "50" }, { "max_pinned_mb", "64" },
};
#define NPARAMS		(sizeof(run_params) / sizeof(run_params[0]))

#define EDU_IDENT	0x010000edu
#define EDU_BAR0_SIZE	(1u << 20)
#define EDU_LIVENESS	0x04
#define EDU_FACTORIAL	0x08
#define EDU_STATUS	0x20
#define EDU_IRQ_STATUS	0x24
#define EDU_IRQ_RAISE	0x60
#define EDU_IRQ_ACK	0x64
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF		0x40000
#define EDU_DMA_MAX	4095	/* QEMU wants the end strictly inside its buffer */
#define EDU_REACH	(1ull << 28)

/* BAR0 registers a random write may hit: none of them starts a DMA. */
static const uint32_t safe_regs[] = {
	EDU_LIVENESS, EDU_FACTORIAL, EDU_STATUS, EDU_IRQ_RAISE, EDU_IRQ_ACK,
};

/* ---- statistics, shared by every process of the run -------------------- */

enum sc {
	SC_OPEN, SC_CLOSE, SC_IOCTL, SC_MMAP, SC_MUNMAP, SC_MREMAP, SC_MPROTECT,
	SC_READ, SC_WRITE, SC_POLL, SC_LSEEK, SC_FORK, SC_WAIT, SC_KILL,
	SC_DELETE_MODULE, SC_FINIT_MODULE, SC_N
};
static const char *const sc_name[SC_N] = {
	"open", "close", "ioctl", "mmap", "munmap", "mremap", "mprotect", "read",
	"write", "poll", "lseek", "fork", "wait4", "kill", "delete_module",
	"finit_module",
};

enum ioc {
	IOC_GET_MASK, IOC_SET_MASK, IOC_ALLOC_COH, IOC_ALLOC_STR, IOC_GET_SEGS,
	IOC_QUIESCE, IOC_SYNC, IOC_UNKNOWN, IOC_N
};
static const char *const ioc_name[IOC_N] = {
	"GET_DMA_MASK", "SET_DMA_MASK", "ALLOC_COHERENT", "ALLOC_STREAMING",
	"GET_SEGMENTS", "QUIESCE", "DMA_BUF_SYNC", "unknown cmd",
};

enum cls { CLS_VALID, CLS_BOUNDARY, CLS_GARBAGE, CLS_ARGSZ, CLS_BADPTR, CLS_WRONGFD, CLS_N };
static const char *const cls_name[CLS_N] = {
	"valid", "boundary", "garbage", "argsz", "badptr", "wrongfd",
};

enum ev {
	EV_OPS, EV_THREADS, EV_FORKS, EV_CHILD_KILLED, EV_UNBIND, EV_BIND,
	EV_RMMOD_OK, EV_RMMOD_BUSY, EV_INSMOD, EV_HOLDS, EV_HOLD_TIMEOUT,
	EV_DMA_OK, EV_DMA_DISTURBED, EV_DMA_SKIPPED, EV_DMA_BUSY, EV_DMA_TIMEOUT,
	EV_IRQ_EVENTS, EV_IRQ_NONE, EV_ACCESSES, EV_SIGBUS, EV_SIGSEGV,
	EV_ZERO_CHECKS, EV_STALE_CLOSED, EV_BUFS_ADOPTED, EV_N
};
static const char *const ev_name[EV_N] = {
	"operations", "threads", "forks", "children SIGKILLed", "unbinds", "binds",
	"rmmod ok", "rmmod refused (in use)", "insmod", "hold windows",
	"hold windows timed out", "edu DMA round trips checked",
	"edu DMA disturbed (unbind/QUIESCE)", "edu DMA skipped (no reachable buffer)",
	"edu DMA skipped (edu busy)", "edu DMA timeouts", "interrupts read", "interrupt polls without event",
	"mapping accesses", "SIGBUS (expected)", "SIGSEGV (expected)",
	"fresh buffers checked zero", "stale fds closed", "buffers allocated",
};

struct shared {
	uint64_t sc[SC_N][ERRNO_MAX + 1];
	uint64_t cell[IOC_N][CLS_N][ERRNO_MAX + 1];
	uint64_t ev[EV_N];
	/*
	 * bind_gen is odd while the controller is unbinding, unloading or
	 * binding; a mapping made at another generation may be revoked.
	 * quiesce_gen is bumped before and after every QUIESCE, and
	 * quiesce_active counts those in progress: an edu DMA is only judged
	 * if neither changed around it.
	 */
	uint64_t bind_gen;
	uint64_t quiesce_gen;
	int64_t quiesce_active;
	int dma_protect;	/* a DMA asks that nobody QUIESCE meanwhile */
	int stop, failed;
	int hold, held, active;	/* hold windows: see worker_hold() */
	uint64_t ops;		/* global operation counter */
};
static struct shared *sh;

#define ADD(x, n)	__atomic_add_fetch(&(x), (n), __ATOMIC_SEQ_CST)
#define GET(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define SET(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define EVENT(e)	ADD(sh->ev[e], 1)

static int eslot(int e)
{
	return e < 0 || e > ERRNO_MAX ? ERRNO_MAX : e;
}

/* Count a finished syscall: ret < 0 is -errno. */
static long counted(enum sc sc, long ret)
{
	ADD(sh->sc[sc][eslot(ret < 0 ? (int)-ret : 0)], 1);
	return ret;
}

/* ---- configuration ----------------------------------------------------- */

static struct {
	uint64_t seed;
	double duration;
	uint64_t ops;		/* per thread, 0 = no limit */
	int threads;
	bool rebind, verbose, replay;
	const char *edu;
	char ctl_path[64];
	char dev_dir[128];
	uint64_t max_buffer;	/* max_buffer_mb in bytes */
	long page;
	double t0;
} cfg = { .duration = 30, .threads = 4, .rebind = true };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool time_up(void)
{
	return GET(sh->stop) || now() - cfg.t0 >= cfg.duration;
}

static void sleep_ms(double ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms * 1e6) % 1000000000L };

	nanosleep(&ts, NULL);
}

/* ---- random numbers: splitmix64, one state per thread ------------------- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rn(uint64_t *s, uint64_t n)
{
	return n ? rnd(s) % n : 0;
}

static bool chance(uint64_t *s, unsigned int pct)
{
	return rn(s, 100) < pct;
}

/* The stream of thread @i (controller: i = MAX_THREADS) under the seed. */
static uint64_t stream_seed(uint64_t seed, unsigned int i)
{
	uint64_t s = seed ^ (0xa0761d6478bd642full * (i + 1));

	return rnd(&s);
}

/* ---- per-thread state -------------------------------------------------- */

enum kind { COHERENT, STREAMING };

struct fdrec {
	int fd;			/* -1: free slot */
	uint64_t gen;		/* bind_gen when opened */
};

struct bufrec {
	int fd;			/* -1: free slot */
	enum kind kind;
	uint64_t id;		/* unique per thread, links mappings */
	uint64_t size, dma;
	uint64_t gen;
	bool reach;		/* one segment, below edu's 28 bits */
	bool fresh;		/* never mapped: must read zero */
};

enum maptype { MAP_NONE, MAP_BAR, MAP_BUF };

struct maprec {
	enum maptype type;
	uint8_t *addr;
	size_t len;
	int prot;
	bool prot_exact;	/* one mprotect for the whole range */
	bool split;		/* a partial mprotect split the VMA */
	uint64_t gen;		/* bind_gen when mapped */
	uint64_t off;		/* BAR or buffer offset of addr */
	uint64_t buf_id;	/* MAP_BUF */
	bool ghost;		/* in a forked child: the parent's buffer mapping, not inherited */
};

struct tstate {
	int idx;
	uint64_t rng;
	uint64_t nops;
	bool child;		/* a forked child runs on a copy */
	struct fdrec uio[MAX_UIO], ctl[MAX_CTL];
	struct bufrec buf[MAX_BUF];
	struct maprec map[MAX_MAP];
	uint64_t next_buf_id;
	uint8_t *arena;		/* RW page + PROT_NONE guard page */
	uint8_t *ro;		/* a page kept read-only between uses */
	uint8_t *segs;		/* RW page of segments + guard page */
	int devnull;
	char ring[RING][160];
	unsigned int ringpos;
};

static struct tstate *tstates;
static uint64_t live_bytes;	/* this process's buffer bytes */
static pthread_mutex_t edu_lock = PTHREAD_MUTEX_INITIALIZER;

/* Remember (and with --verbose print) what a thread is about to do. */
static void note(struct tstate *ts, const char *fmt, ...)
{
	char *line = ts->ring[ts->ringpos++ % RING];
	int n;
	va_list ap;

	n = snprintf(line, sizeof(ts->ring[0]), "%s%d #%" PRIu64 " ",
		     ts->child ? "child of t" : "t", ts->idx, ts->nops);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(ts->ring[0]) - n, fmt, ap);
	va_end(ap);
	if (cfg.verbose)
		printf("%s\n", line);
}

static void print_ring(struct tstate *ts)
{
	unsigned int i;

	printf("last operations of %s%d:\n", ts->child ? "a child of t" : "t", ts->idx);
	for (i = 0; i < RING; i++) {
		const char *l = ts->ring[(ts->ringpos + i) % RING];

		if (*l)
			printf("  %s\n", l);
	}
}

/*
 * An invariant broke: report it with the seed to replay, stop the run.
 * A child reports and exits with status 3, which its parent turns into a
 * failure too.
 */
static void fail(struct tstate *ts, const char *fmt, ...)
{
	va_list ap;

	flockfile(stdout);
	printf("FAIL (seed %" PRIu64 ", %d threads%s): ", cfg.seed, cfg.threads,
	       cfg.replay ? ", --replay" : "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (ts)
		print_ring(ts);
	printf("replay: stub_syscalls --seed %" PRIu64 " --threads %d%s\n", cfg.seed,
	       cfg.threads, cfg.replay ? " --replay" : "");
	funlockfile(stdout);
	fflush(stdout);
	SET(sh->failed, 1);
	SET(sh->stop, 1);
	if (ts && ts->child)
		_exit(3);
}

/* ---- SIGBUS/SIGSEGV: caught per access --------------------------------- */

static __thread sigjmp_buf fault_jb;
static __thread volatile sig_atomic_t fault_armed;
static __thread void *fault_addr;	/* of the last caught signal */
static __thread int fault_code;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	if (fault_armed) {
		fault_armed = 0;
		siglongjmp(fault_jb, sig);
	}
	/* Not inside a guarded access: a real crash. */
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Run @body with SIGBUS/SIGSEGV caught; @sig gets 0 or the signal.  A
 * macro because sigsetjmp() must run in the frame that stays alive.
 */
#define GUARDED(sig, body)						\
	do {								\
		fault_armed = 1;					\
		(sig) = sigsetjmp(fault_jb, 1);				\
		if (!(sig))						\
			body;						\
		fault_armed = 0;					\
	} while (0)

/*
 * Judge a signal from an access to @m.  SIGBUS is legitimate only if the
 * device was unbound (or is being) since the mapping was made: the stub
 * revokes BAR and buffer mappings then.  SIGSEGV only if @want_segv.
 */
/* What the kernel has mapped around @addr (/proc/self/maps), for a failure's report. */
static void maps_around(const void *addr)
{
	uintptr_t a = (uintptr_t)addr, lo, hi;
	char line[256];
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return;
	fprintf(stderr, "/proc/self/maps within 4 MiB of %p:\n", addr);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2 &&
		    hi + (4u << 20) > a && lo < a + (4u << 20))
			fprintf(stderr, "  %s", line);
	fclose(f);
}

static void judge_fault(struct tstate *ts, const struct maprec *m, int sig,
			bool want_segv, const char *what)
{
	uint64_t gen = GET(sh->bind_gen);

	if (!sig) {
		if (want_segv)
			fail(ts, "%s: no SIGSEGV on an access against PROT %#x", what, m->prot);
		return;
	}
	if (sig == SIGSEGV && want_segv) {
		EVENT(EV_SIGSEGV);
		return;
	}
	if (sig == SIGBUS && ((m->gen & 1) || gen != m->gen)) {
		EVENT(EV_SIGBUS);
		return;
	}
	maps_around(fault_addr);
	fail(ts, "%s: unexpected %s code %d at %p (%s mapping %p+%#zx, prot %d%s%s, "
	     "generation %" PRIu64 ", now %" PRIu64 ")", what,
	     sig == SIGBUS ? "SIGBUS" : "SIGSEGV", fault_code, fault_addr,
	     m->type == MAP_BAR ? "BAR" : "buffer", (void *)m->addr, m->len, m->prot,
	     m->prot_exact ? "" : " inexact", m->split ? " split" : "", m->gen, gen);
}

/*
 * Single accesses with the signal caught: 0 or SIGBUS/SIGSEGV.  Small
 * functions of their own, so that no other local lives across the jump.
 */
static int try_read32(const volatile void *p, uint32_t *val)
{
	volatile uint32_t v = 0;
	int sig;

	GUARDED(sig, v = *(const volatile uint32_t *)p);
	*val = v;
	return sig;
}

static int try_write32(volatile void *p, uint32_t val)
{
	int sig;

	GUARDED(sig, *(volatile uint32_t *)p = val);
	return sig;
}

static int try_read8(const volatile void *p)
{
	int sig;

	GUARDED(sig, (void)*(const volatile uint8_t *)p);
	return sig;
}

/* Write @val, read it back into @got. */
static int try_write_read64(volatile void *p, uint64_t val, uint64_t *got)
{
	volatile uint64_t g = 0;
	int sig;

	GUARDED(sig, { *(volatile uint64_t *)p = val; g = *(volatile uint64_t *)p; });
	*got = g;
	return sig;
}

static int try_memset(void *p, int c, size_t len)
{
	int sig;

	GUARDED(sig, memset(p, c, len));
	return sig;
}

/* ---- counted syscalls: -errno on failure ------------------------------- */

static int x_open(const char *path, int flags)
{
	int fd = open(path, flags);

	return (int)counted(SC_OPEN, fd < 0 ? -errno : fd);
}

static int x_close(int fd)
{
	return (int)counted(SC_CLOSE, close(fd) ? -errno : 0);
}

static int x_ioctl(int fd, unsigned long cmd, void *arg)
{
	return (int)counted(SC_IOCTL, ioctl(fd, cmd, arg) ? -errno : 0);
}

/* Returns the address or NULL, errno set. */
static void *x_mmap(size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);
	int e = errno;

	counted(SC_MMAP, p == MAP_FAILED ? -e : 0);
	errno = e;
	return p == MAP_FAILED ? NULL : p;
}

static int x_munmap(void *p, size_t len)
{
	return (int)counted(SC_MUNMAP, munmap(p, len) ? -errno : 0);
}

static int x_mprotect(void *p, size_t len, int prot)
{
	return (int)counted(SC_MPROTECT, mprotect(p, len, prot) ? -errno : 0);
}

static ssize_t x_read(int fd, void *buf, size_t n)
{
	ssize_t r = read(fd, buf, n);

	return counted(SC_READ, r < 0 ? -errno : r);
}

static ssize_t x_write(int fd, const void *buf, size_t n)
{
	ssize_t r = write(fd, buf, n);

	return counted(SC_WRITE, r < 0 ? -errno : r);
}

/* ---- sysfs and the module ---------------------------------------------- */

static int sysfs_put(const char *path, const char *val)
{
	int fd = x_open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = x_write(fd, val, strlen(val));
	x_close(fd);
	return n < 0 ? (int)n : 0;
}

static int sysfs_get(const char *path, char *out, size_t len)
{
	int fd = x_open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	out[0] = '\0';
	if (fd < 0)
		return fd;
	n = x_read(fd, out, len - 1);
	x_close(fd);
	if (n < 0)
		return (int)n;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static long dev_attr(const char *name)
{
	char path[256], val[64];

	snprintf(path, sizeof(path), "%s/udrv_stub/%s", cfg.dev_dir, name);
	if (sysfs_get(path, val, sizeof(val)))
		return -1;
	return strtol(val, NULL, 0);
}

static bool bound(void)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/driver", cfg.dev_dir);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = '\0';
	return strstr(link, "/udrv_stub") != NULL;
}

/* Wait up to @ms for the control device to (dis)appear. */
static bool wait_ctl(bool present, int ms)
{
	struct stat st;

	for (; ms > 0; ms -= 10) {
		if ((stat(cfg.ctl_path, &st) == 0) == present)
			return true;
		sleep_ms(10);
	}
	return false;
}

static bool module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/udrv_stub/initstate", &st) == 0;
}

static int rmmod(void)
{
	long r = syscall(SYS_delete_module, "udrv_stub", O_NONBLOCK);

	return (int)counted(SC_DELETE_MODULE, r ? -errno : 0);
}

/* Load the module with the run's parameters; it binds edu by itself. */
static int insmod(void)
{
	char params[128] = "";
	int fd = x_open(MODULE_PATH, O_RDONLY | O_CLOEXEC);
	unsigned int i;
	long r;

	if (fd < 0)
		return fd;
	for (i = 0; i < NPARAMS; i++)
		snprintf(params + strlen(params), sizeof(params) - strlen(params),
			 "%s%s=%s", i ? " " : "", run_params[i][0], run_params[i][1]);
	r = syscall(SYS_finit_module, fd, params, 0);
	r = counted(SC_FINIT_MODULE, r ? -errno : 0);
	x_close(fd);
	return (int)r;
}

/* Bind edu again if it is not (driver_override is udrv_stub already). */
static bool ensure_bound(void)
{
	int i;

	if (!module_loaded() && insmod() && !module_loaded())
		return false;
	for (i = 0; i < 3 && !bound(); i++) {
		if (sysfs_put(DRV_DIR "/bind", cfg.edu))
			sysfs_put("/sys/bus/pci/drivers_probe", cfg.edu);
		if (bound())
			EVENT(EV_BIND);
	}
	return bound() && wait_ctl(true, 5000);
}

/* ---- per-thread resources ---------------------------------------------- */

static uint64_t gen_now(void)
{
	return GET(sh->bind_gen);
}

static int slot_fd(struct fdrec *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].fd < 0)
			return i;
	return -1;
}

/* A random used slot, or -1. */
static int pick_fd(struct tstate *ts, struct fdrec *r, int n)
{
	int i, used[8], k = 0;

	for (i = 0; i < n; i++)
		if (r[i].fd >= 0)
			used[k++] = i;
	return k ? used[rn(&ts->rng, k)] : -1;
}

static int pick_buf(struct tstate *ts)
{
	int i, used[MAX_BUF], k = 0;

	for (i = 0; i < MAX_BUF; i++)
		if (ts->buf[i].fd >= 0)
			used[k++] = i;
	return k ? used[rn(&ts->rng, k)] : -1;
}

static int pick_map(struct tstate *ts, enum maptype type)
{
	int i, used[MAX_MAP], k = 0;

	for (i = 0; i < MAX_MAP; i++)
		if (ts->map[i].type != MAP_NONE && (type == MAP_NONE || ts->map[i].type == type))
			used[k++] = i;
	return k ? used[rn(&ts->rng, k)] : -1;
}

static struct bufrec *buf_by_id(struct tstate *ts, uint64_t id)
{
	int i;

	for (i = 0; i < MAX_BUF; i++)
		if (ts->buf[i].fd >= 0 && ts->buf[i].id == id)
			return &ts->buf[i];
	return NULL;
}

static void close_buf(struct tstate *ts, struct bufrec *b)
{
	(void)ts;
	x_close(b->fd);
	b->fd = -1;
	ADD(live_bytes, -b->size);
}

static void drop_map(struct maprec *m)
{
	/*
	 * A ghost's range is not this process's: a mapping of the child's own
	 * may be there now (the kernel reuses the gap), and must stay.
	 */
	if (!m->ghost)
		x_munmap(m->addr, m->len);
	m->type = MAP_NONE;
	m->ghost = false;
}

/* Let go of everything: before a hold window and at the end. */
static void release_all(struct tstate *ts)
{
	int i;

	for (i = 0; i < MAX_MAP; i++)
		if (ts->map[i].type != MAP_NONE)
			drop_map(&ts->map[i]);
	for (i = 0; i < MAX_BUF; i++)
		if (ts->buf[i].fd >= 0)
			close_buf(ts, &ts->buf[i]);
	for (i = 0; i < MAX_UIO; i++)
		if (ts->uio[i].fd >= 0) {
			x_close(ts->uio[i].fd);
			ts->uio[i].fd = -1;
		}
	for (i = 0; i < MAX_CTL; i++)
		if (ts->ctl[i].fd >= 0) {
			x_close(ts->ctl[i].fd);
			ts->ctl[i].fd = -1;
		}
}

/* After a rebind the old fds are stale: close some now, keep some for ENODEV. */
static void close_stale(struct tstate *ts)
{
	uint64_t gen = gen_now();
	int i;

	for (i = 0; i < MAX_UIO; i++)
		if (ts->uio[i].fd >= 0 && ts->uio[i].gen != gen && chance(&ts->rng, 30)) {
			x_close(ts->uio[i].fd);
			ts->uio[i].fd = -1;
			EVENT(EV_STALE_CLOSED);
		}
	for (i = 0; i < MAX_CTL; i++)
		if (ts->ctl[i].fd >= 0 && ts->ctl[i].gen != gen && chance(&ts->rng, 30)) {
			x_close(ts->ctl[i].fd);
			ts->ctl[i].fd = -1;
			EVENT(EV_STALE_CLOSED);
		}
	for (i = 0; i < MAX_BUF; i++)
		if (ts->buf[i].fd >= 0 && ts->buf[i].gen != gen && chance(&ts->rng, 20)) {
			close_buf(ts, &ts->buf[i]);
			EVENT(EV_STALE_CLOSED);
		}
}

/* /dev/uioN of edu now, from sysfs (the minor may change on rebind). */
static void uio_path(char *path, size_t len)
{
	char dir[200];
	struct dirent *de;
	DIR *d;

	snprintf(path, len, "/dev/uio0");
	snprintf(dir, sizeof(dir), "%s/uio", cfg.dev_dir);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "uio", 3)) {
			snprintf(path, len, "/dev/%s", de->d_name);
			break;
		}
	closedir(d);
}

static int ctl_fd(struct tstate *ts);

/*
 * Nothing turns bus mastering on implicitly: every opener of /dev/uioN
 * asks for it (SET_MASTER), so that edu DMA and MSI work while it is open.
 */
static void set_master(struct tstate *ts)
{
	struct udrv_stub_master m = { .argsz = sizeof(m), .on = 1 };
	int fd = ctl_fd(ts);

	if (fd >= 0)
		ioctl(fd, UDRV_STUB_SET_MASTER, &m);
}

static int open_uio(struct tstate *ts)
{
	char path[300];
	int i = slot_fd(ts->uio, MAX_UIO), fd;
	uint64_t gen = gen_now();

	if (i < 0)
		return -1;
	uio_path(path, sizeof(path));
	fd = x_open(path, O_RDWR | O_CLOEXEC | (chance(&ts->rng, 30) ? O_NONBLOCK : 0));
	note(ts, "open %s -> %d", path, fd);
	if (fd < 0) {
		sleep_ms(1);	/* unbound: do not spin */
		return -1;
	}
	ts->uio[i].fd = fd;
	ts->uio[i].gen = gen;
	set_master(ts);
	return i;
}

static int open_ctl(struct tstate *ts)
{
	int i = slot_fd(ts->ctl, MAX_CTL), fd;
	uint64_t gen = gen_now();

	if (i < 0)
		return -1;
	fd = x_open(cfg.ctl_path, (chance(&ts->rng, 80) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	note(ts, "open %s -> %d", cfg.ctl_path, fd);
	if (fd < 0) {
		sleep_ms(1);	/* unbound: do not spin */
		return -1;
	}
	ts->ctl[i].fd = fd;
	ts->ctl[i].gen = gen;
	return i;
}

/* An open control fd (opened on demand), or -1. */
static int ctl_fd(struct tstate *ts)
{
	int i = pick_fd(ts, ts->ctl, MAX_CTL);

	if (i < 0)
		i = open_ctl(ts);
	return i < 0 ? -1 : ts->ctl[i].fd;
}

/*
 * A buffer fd the kernel handed out: keep it (up to MAX_BUF, KEEP_MAX and
 * the budget) or close it.  The successful result is checked here.
 */
static void adopt_buf(struct tstate *ts, const struct udrv_stub_alloc *a,
		      enum kind kind, uint64_t asked, uint64_t gen)
{
	uint64_t want = (asked + cfg.page - 1) / cfg.page * cfg.page;
	struct bufrec *b = NULL;
	int i, fdflags;

	EVENT(EV_BUFS_ADOPTED);
	fdflags = fcntl(a->fd, F_GETFD);
	if (a->fd < 0 || fdflags < 0 || !(fdflags & FD_CLOEXEC))
		fail(ts, "ALLOC returned fd %d without close-on-exec", a->fd);
	if (a->size != want || a->nr_segments < 1 ||
	    (a->nr_segments == 1) != (a->dma_addr != UDRV_STUB_DMA_ADDR_NONE) ||
	    (a->nr_segments == 1 && a->dma_addr % cfg.page))
		fail(ts, "ALLOC of %" PRIu64 " bytes returned size %llu, %u segment(s) at %#llx",
		     asked, (unsigned long long)a->size, a->nr_segments,
		     (unsigned long long)a->dma_addr);
	if (a->fd < 0)
		return;
	for (i = 0; i < MAX_BUF; i++)
		if (ts->buf[i].fd < 0) {
			b = &ts->buf[i];
			break;
		}
	if (!b || a->size > KEEP_MAX) {
		x_close(a->fd);
		return;
	}
	if (ADD(live_bytes, a->size) > LIVE_BUDGET) {
		ADD(live_bytes, -a->size);
		x_close(a->fd);
		return;
	}
	b->fd = a->fd;
	b->kind = kind;
	b->id = ++ts->next_buf_id;
	b->size = a->size;
	b->dma = a->dma_addr;
	b->gen = gen;
	b->reach = a->nr_segments == 1 && a->dma_addr + a->size <= EDU_REACH;
	b->fresh = true;
}

static int free_map_slot(struct tstate *ts)
{
	int i;

	for (i = 0; i < MAX_MAP; i++)
		if (ts->map[i].type == MAP_NONE)
			return i;
	i = (int)rn(&ts->rng, MAX_MAP);
	drop_map(&ts->map[i]);
	return i;
}

/* ---- ioctls: build an argument of a class, call, judge ----------------- */

/* What the UAPI header allows an ioctl to fail with, per ioctl. */
static bool errno_allowed(enum ioc ioc, int e)
{
	static const int common[] = { EFAULT, EINVAL, E2BIG, ENODEV, ENOTTY, EBADF };
	unsigned int i;

	if (ioc == IOC_UNKNOWN)
		return e == ENOTTY || e == EBADF;
	if (ioc == IOC_SYNC)
		return e == EINVAL || e == EFAULT || e == ENODEV || e == ENOTTY || e == EBADF;
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		if (e == common[i])
			return true;
	switch (ioc) {
	case IOC_SET_MASK:
		return e == EBUSY || e == EIO;
	case IOC_ALLOC_COH:
	case IOC_ALLOC_STR:
		return e == ENOSPC || e == ENOMEM || e == EMFILE;
	case IOC_GET_SEGS:
		return e == EOPNOTSUPP || e == ENOBUFS || e == ENOMEM;
	case IOC_QUIESCE:
		return e == EINTR;
	default:
		return false;
	}
}

#define ANY_ERRNO	(-1)	/* whatever the header allows, success too */
#define MUST_FAIL	(-2)	/* whatever the header allows, not success */

/* One ioctl call, fully described, so that it can be judged and logged. */
struct call {
	enum ioc ioc;
	enum cls cls;
	int fd;
	unsigned long cmd;
	void *arg;
	size_t ksize;		/* size of the struct, 0 if none */
	int expect;		/* an errno, 0, ANY_ERRNO or MUST_FAIL */
	const char *variant;
	bool ro;		/* arg lives on the read-only page */
	uint32_t nr_in;		/* GET_SEGMENTS: entries offered */
	uint64_t asked;		/* ALLOC: size asked for */
};

static const unsigned long ioc_cmd[IOC_N] = {
	UDRV_STUB_GET_DMA_MASK, UDRV_STUB_SET_DMA_MASK, UDRV_STUB_ALLOC_COHERENT,
	UDRV_STUB_ALLOC_STREAMING, UDRV_STUB_GET_SEGMENTS, UDRV_STUB_QUIESCE,
	DMA_BUF_IOCTL_SYNC, 0,
};

static const size_t ioc_ksize[IOC_N] = {
	sizeof(struct udrv_stub_dma_mask), sizeof(struct udrv_stub_dma_mask),
	sizeof(struct udrv_stub_alloc), sizeof(struct udrv_stub_alloc),
	sizeof(struct udrv_stub_get_segments), sizeof(struct udrv_stub_quiesce),
	sizeof(struct dma_buf_sync), 0,
};

static bool cls_applies(enum ioc ioc, enum cls cls)
{
	if (ioc == IOC_UNKNOWN)
		return cls != CLS_VALID && cls != CLS_ARGSZ;
	if (ioc == IOC_SYNC)
		return cls != CLS_ARGSZ;
	return true;
}

static void fill_random(uint64_t *rng, void *p, size_t len)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)rnd(rng);
}

/*
 * The valid form of each ioctl's struct at @p (argsz = its size); the
 * buffer fd for GET_SEGMENTS/SYNC is @bfd.
 */
static void valid_arg(struct tstate *ts, enum ioc ioc, void *p, int bfd)
{
	memset(p, 0, 64);
	switch (ioc) {
	case IOC_GET_MASK:
	case IOC_SET_MASK: {
		struct udrv_stub_dma_mask *m = p;
		static const uint32_t bits[] = { 28, 28, 28, 32, 40, 64 };

		m->argsz = sizeof(*m);
		m->bits = ioc == IOC_SET_MASK ? bits[rn(&ts->rng, 6)] : 0;
		break;
	}
	case IOC_ALLOC_COH:
	case IOC_ALLOC_STR: {
		struct udrv_stub_alloc *a = p;

		a->argsz = sizeof(*a);
		a->size = chance(&ts->rng, 70) ? 1 + rn(&ts->rng, 16 * cfg.page) :
						  1 + rn(&ts->rng, 1u << 20);
		a->fd = -1;
		break;
	}
	case IOC_GET_SEGS: {
		struct udrv_stub_get_segments *g = p;

		g->argsz = sizeof(*g);
		g->flags = chance(&ts->rng, 25) ? UDRV_STUB_SEGMENTS_IMPORTER : 0;
		g->fd = bfd;
		g->nr_segments = (uint32_t)rn(&ts->rng, 5);
		g->segments = (uintptr_t)ts->segs;
		break;
	}
	case IOC_QUIESCE: {
		struct udrv_stub_quiesce *q = p;

		q->argsz = sizeof(*q);
		break;
	}
	case IOC_SYNC: {
		static const uint64_t fl[] = {
			DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE,
			DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ,
			DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW,
		};
		struct dma_buf_sync *s = p;

		s->flags = fl[rn(&ts->rng, 6)];
		break;
	}
	default:
		break;
	}
}

/* Boundary values: the limits the header names, and one past them. */
static void boundary_arg(struct tstate *ts, struct call *c, int bfd)
{
	uint8_t *p = c->arg;

	valid_arg(ts, c->ioc, p, bfd);
	switch (c->ioc) {
	case IOC_GET_MASK:
		/* Flush against the guard page: still entirely readable. */
		c->arg = ts->arena + cfg.page - c->ksize;
		memmove(c->arg, p, c->ksize);
		c->variant = "struct ends at the guard page";
		c->expect = ANY_ERRNO;
		break;
	case IOC_SET_MASK: {
		static const uint32_t bits[] = { 0, 23, 24, 64, 65, UINT32_MAX };
		struct udrv_stub_dma_mask *m = (void *)p;

		m->bits = bits[rn(&ts->rng, 6)];
		c->variant = "bits at/past the limits";
		c->expect = m->bits < UDRV_STUB_DMA_BITS_MIN ||
			    m->bits > UDRV_STUB_DMA_BITS_MAX ? EINVAL : ANY_ERRNO;
		break;
	}
	case IOC_ALLOC_COH:
	case IOC_ALLOC_STR: {
		struct udrv_stub_alloc *a = (void *)p;
		uint64_t max = cfg.max_buffer;
		const uint64_t sizes[] = {
			0, 1, cfg.page - 1, cfg.page, cfg.page + 1, max, max + 1,
			UINT64_MAX, UINT64_MAX - cfg.page + 2,
		};

		/* The largest may succeed: max_pinned_mb bounds it, and it is closed at once. */
		a->size = sizes[rn(&ts->rng, 9)];
		if (chance(&ts->rng, 15))
			a->flags = chance(&ts->rng, 50) ? 1 : 0x80000000u;
		c->variant = a->flags ? "flags set" : "size at/past the limits";
		c->expect = a->flags || !a->size ? EINVAL : a->size > max ? E2BIG : ANY_ERRNO;
		break;
	}
	case IOC_GET_SEGS: {
		static const uint32_t nr[] = { 0, 1, 2, 256, UINT32_MAX };
		static const uint32_t flags[] = { 0, UDRV_STUB_SEGMENTS_IMPORTER, 2, UINT32_MAX };
		struct udrv_stub_get_segments *g = (void *)p;

		/* 256 entries fill the page before the guard: more is EFAULT. */
		g->nr_segments = nr[rn(&ts->rng, 5)];
		g->flags = flags[rn(&ts->rng, 4)];
		c->variant = "nr_segments/flags at/past the limits";
		c->expect = g->flags & ~UDRV_STUB_SEGMENTS_IMPORTER ? EINVAL : ANY_ERRNO;
		break;
	}
	case IOC_QUIESCE: {
		struct udrv_stub_quiesce *q = (void *)p;

		q->flags = chance(&ts->rng, 50) ? 1 : UINT32_MAX;
		q->how = UINT32_MAX;	/* out-only members: ignored */
		c->variant = "flags set";
		c->expect = EINVAL;
		break;
	}
	case IOC_SYNC: {
		static const uint64_t fl[] = {
			0, DMA_BUF_SYNC_START, DMA_BUF_SYNC_END, DMA_BUF_SYNC_VALID_FLAGS_MASK + 1,
			UINT64_MAX,
		};
		struct dma_buf_sync *s = (void *)p;

		s->flags = fl[rn(&ts->rng, 5)];
		c->variant = "flags without direction / unknown";
		c->expect = bfd >= 0 ? EINVAL : MUST_FAIL;
		break;
	}
	case IOC_UNKNOWN: {
		const unsigned long cmds[] = {
			_IO(UDRV_STUB_IOCTL_TYPE, 0x0a), _IO(UDRV_STUB_IOCTL_TYPE, 0xff),
			_IOWR(UDRV_STUB_IOCTL_TYPE, 0x00, struct udrv_stub_dma_mask),
			_IOW(UDRV_STUB_IOCTL_TYPE, 0x02, struct udrv_stub_alloc),
			_IO(UDRV_STUB_IOCTL_TYPE + 1, 0x00),
		};

		c->cmd = cmds[rn(&ts->rng, 5)];
		c->variant = "next/last/sized command numbers";
		c->expect = ENOTTY;
		break;
	}
	default:
		break;
	}
}

/* Random bytes; argsz right half of the time, so the members get checked. */
static void garbage_arg(struct tstate *ts, struct call *c)
{
	fill_random(&ts->rng, ts->arena, cfg.page);
	c->variant = "random bytes";
	c->expect = ANY_ERRNO;
	if (c->ioc == IOC_UNKNOWN) {
		/* Our ioctl type with a random number, direction and size. */
		do
			c->cmd = (rnd(&ts->rng) & ~(0xffUL << _IOC_TYPESHIFT)) |
				 ((unsigned long)UDRV_STUB_IOCTL_TYPE << _IOC_TYPESHIFT);
		while (c->cmd <= UDRV_STUB_SET_INTX_ACK && c->cmd >= UDRV_STUB_GET_DMA_MASK);
		c->cmd &= 0xffffffffUL;
		c->expect = ENOTTY;
		return;
	}
	if (c->ioc != IOC_SYNC && chance(&ts->rng, 50))
		*(uint32_t *)c->arg = (uint32_t)c->ksize;
	if (c->ioc == IOC_GET_SEGS) {
		struct udrv_stub_get_segments *g = c->arg;

		/* Never our own memory: the kernel half, always EFAULT. */
		g->segments |= 0x8000000000000000ull;
		if (chance(&ts->rng, 50))
			g->flags = 0;
	}
	if ((c->ioc == IOC_ALLOC_COH || c->ioc == IOC_ALLOC_STR) && chance(&ts->rng, 50))
		((struct udrv_stub_alloc *)c->arg)->flags = 0;
}

/*
 * argsz off the struct's size: too short is EINVAL, above 4096 E2BIG, a
 * longer struct needs a zero tail (else E2BIG) and then acts as the valid
 * one.  Nothing else is looked at before argsz, so these are exact.
 */
static void argsz_arg(struct tstate *ts, struct call *c, int bfd)
{
	uint32_t k = (uint32_t)c->ksize;
	uint32_t *argsz = c->arg;

	memset(ts->arena, 0, cfg.page);
	valid_arg(ts, c->ioc, c->arg, bfd);
	switch (rn(&ts->rng, 8)) {
	case 0: *argsz = 0; c->expect = EINVAL; break;
	case 1: *argsz = 4; c->expect = EINVAL; break;
	case 2: *argsz = k - 1; c->expect = EINVAL; break;
	case 3: *argsz = k + 1; c->expect = ANY_ERRNO; break;
	case 4: *argsz = 4096; c->expect = ANY_ERRNO; break;
	case 5:
		*argsz = k + 8;
		ts->arena[k + 3] = 0x5a;
		c->expect = E2BIG;
		break;
	case 6: *argsz = 4097; c->expect = E2BIG; break;
	default: *argsz = UINT32_MAX; c->expect = E2BIG; break;
	}
	c->variant = "argsz";
}

/* Bad pointers: NULL, odd, unmapped, kernel, straddling, read-only. */
static void badptr_arg(struct tstate *ts, struct call *c, int bfd)
{
	valid_arg(ts, c->ioc, ts->arena, bfd);
	c->expect = EFAULT;
	switch (rn(&ts->rng, c->ioc == IOC_GET_SEGS ? 7 : 6)) {
	case 0: c->arg = NULL; c->variant = "NULL"; break;
	case 1: c->arg = (void *)1; c->variant = "(void *)1"; break;
	case 2: c->arg = ts->arena + cfg.page; c->variant = "guard page"; break;
	case 3: c->arg = (void *)0xffffffff81000000ull; c->variant = "kernel address"; break;
	case 4:
		/* argsz readable, the rest in the guard page. */
		c->arg = ts->arena + cfg.page - 4;
		*(uint32_t *)c->arg = (uint32_t)c->ksize;
		c->variant = "straddles the guard page";
		if (c->ioc == IOC_SYNC)
			c->expect = EFAULT;
		break;
	case 5:
		/* The kernel reads it and may act, but cannot write back. */
		x_mprotect(ts->ro, cfg.page, PROT_READ | PROT_WRITE);
		valid_arg(ts, c->ioc, ts->ro, bfd);
		x_mprotect(ts->ro, cfg.page, PROT_READ);
		c->arg = ts->ro;
		c->ro = true;
		c->variant = "read-only page";
		/* Writers fail with EFAULT, unless an error comes first. */
		c->expect = c->ioc == IOC_SET_MASK || c->ioc == IOC_SYNC ? ANY_ERRNO : MUST_FAIL;
		break;
	default: {
		struct udrv_stub_get_segments *g = c->arg = ts->arena;
		static const uint64_t bad[] = { 0, 1, 0xffffffff81000000ull };

		/* A bad segments array: the struct is fine. */
		g->nr_segments = 1 + (uint32_t)rn(&ts->rng, 4);
		g->segments = rn(&ts->rng, 4) == 3 ? (uintptr_t)(ts->segs + cfg.page) :
						     bad[rn(&ts->rng, 3)];
		g->flags = 0;
		c->variant = "bad segments array";
		c->expect = MUST_FAIL;
		break;
	}
	}
}

/*
 * The wrong fd: a control ioctl on /dev/uioN, a buffer, /dev/null, -1 or
 * a number above any open fd; GET_SEGMENTS naming a non-dma-buf; SYNC on
 * a non-dma-buf.
 */
static void wrongfd_arg(struct tstate *ts, struct call *c, int cfd, int bfd)
{
	int u = pick_fd(ts, ts->uio, MAX_UIO);

	valid_arg(ts, c->ioc, c->arg, bfd);
	if (c->ioc == IOC_UNKNOWN)
		c->cmd = _IO(UDRV_STUB_IOCTL_TYPE, 0x80);
	if (c->ioc == IOC_GET_SEGS && chance(&ts->rng, 50)) {
		struct udrv_stub_get_segments *g = c->arg;
		const int fds[] = { -1, cfd, ts->devnull, u >= 0 ? ts->uio[u].fd : -1 };

		g->fd = fds[rn(&ts->rng, 4)];
		c->variant = "segments of a non-dma-buf fd";
		c->expect = g->fd < 0 ? EBADF : EINVAL;
		return;
	}
	switch (rn(&ts->rng, 5)) {
	case 0: c->fd = -1; c->expect = EBADF; c->variant = "fd -1"; break;
	case 1: c->fd = 1 << 20; c->expect = EBADF; c->variant = "fd 1<<20"; break;
	case 2: c->fd = ts->devnull; c->expect = ENOTTY; c->variant = "/dev/null"; break;
	case 3:
		c->fd = u >= 0 ? ts->uio[u].fd : ts->devnull;
		c->expect = ENOTTY;
		c->variant = "/dev/uioN";
		break;
	default:
		/* The "other" device: a buffer for control ioctls and vice versa. */
		if (c->ioc == IOC_SYNC)
			c->fd = cfd >= 0 ? cfd : ts->devnull;
		else
			c->fd = bfd >= 0 ? bfd : ts->devnull;
		c->expect = ENOTTY;
		c->variant = "the other device";
		break;
	}
}

/* The arguments' own fds: the control fd, and a buffer for SEGMENTS/SYNC. */
static void build_call(struct tstate *ts, struct call *c, int cfd, int bfd)
{
	c->fd = c->ioc == IOC_SYNC ? bfd : cfd;
	c->cmd = c->ioc == IOC_UNKNOWN ? _IO(UDRV_STUB_IOCTL_TYPE, 10 + rn(&ts->rng, 246)) :
					 ioc_cmd[c->ioc];
	c->ksize = ioc_ksize[c->ioc];
	c->arg = ts->arena;
	c->expect = ANY_ERRNO;
	c->variant = "";
	c->ro = false;
	c->nr_in = 0;
	c->asked = 0;
	switch (c->cls) {
	case CLS_VALID:
		valid_arg(ts, c->ioc, c->arg, bfd);
		c->variant = "";
		break;
	case CLS_BOUNDARY:
		boundary_arg(ts, c, bfd);
		break;
	case CLS_GARBAGE:
		garbage_arg(ts, c);
		break;
	case CLS_ARGSZ:
		argsz_arg(ts, c, bfd);
		break;
	case CLS_BADPTR:
		badptr_arg(ts, c, bfd);
		break;
	default:
		wrongfd_arg(ts, c, cfd, bfd);
		break;
	}
	/* An unknown command is refused before its argument is looked at. */
	if (c->ioc == IOC_UNKNOWN && c->cls == CLS_BADPTR)
		c->expect = ENOTTY;
	/* No such fd (no buffer, no control device, or on purpose): EBADF first. */
	if (c->fd < 0 || c->fd >= 1 << 20)
		c->expect = EBADF;
}

/*
 * A successful GET_SEGMENTS of one of our buffers: at least one segment;
 * the entries written (as many as offered) are non-empty and, for the
 * buffer's own mapping, page-granular; if all fitted they add up to the
 * buffer's size.
 */
static void check_segments(struct tstate *ts, const struct call *c)
{
	const struct udrv_stub_get_segments *g = c->arg;
	const struct udrv_stub_segment *s = (const void *)ts->segs;
	uint32_t n = g->nr_segments < c->nr_in ? g->nr_segments : c->nr_in, i;
	uint64_t total = 0, size = 0;
	bool own = !(g->flags & UDRV_STUB_SEGMENTS_IMPORTER);

	if (g->nr_segments < 1)
		fail(ts, "GET_SEGMENTS returned %u segments", g->nr_segments);
	for (i = 0; i < MAX_BUF; i++)
		if (ts->buf[i].fd >= 0 && ts->buf[i].fd == g->fd)
			size = ts->buf[i].size;
	if (!size || g->segments != (uintptr_t)ts->segs)
		return;
	for (i = 0; i < n; i++) {
		if (!s[i].len || (own && (s[i].len % cfg.page || s[i].dma_addr % cfg.page)))
			fail(ts, "GET_SEGMENTS%s: segment %u is %#llx+%#llx", own ? "" : " (importer)",
			     i, (unsigned long long)s[i].dma_addr, (unsigned long long)s[i].len);
		total += s[i].len;
	}
	if (g->nr_segments <= c->nr_in && total != size)
		fail(ts, "GET_SEGMENTS%s: %u segments add up to %#" PRIx64 ", buffer is %#" PRIx64,
		     own ? "" : " (importer)", g->nr_segments, total, size);
}

/* Does the argument lie in the arena (where results can be read back)? */
static bool arg_in_arena(const struct tstate *ts, const struct call *c)
{
	const uint8_t *a = c->arg;

	return c->ksize && a >= ts->arena && a + c->ksize <= ts->arena + cfg.page;
}

/* What a successful call returned: sane, and any new fd adopted. */
static void check_success(struct tstate *ts, const struct call *c, uint64_t gen)
{
	if (c->ro || !arg_in_arena(ts, c))
		return;		/* nothing to read back */
	switch (c->ioc) {
	case IOC_GET_MASK: {
		const struct udrv_stub_dma_mask *m = c->arg;

		if (m->bits < UDRV_STUB_DMA_BITS_MIN || m->bits > UDRV_STUB_DMA_BITS_MAX)
			fail(ts, "GET_DMA_MASK returned %u bits", m->bits);
		break;
	}
	case IOC_ALLOC_COH:
	case IOC_ALLOC_STR:
		adopt_buf(ts, c->arg, c->ioc == IOC_ALLOC_COH ? COHERENT : STREAMING, c->asked,
			  gen);
		break;
	case IOC_GET_SEGS:
		check_segments(ts, c);
		break;
	case IOC_QUIESCE: {
		const struct udrv_stub_quiesce *q = c->arg;

		if (q->how > UDRV_STUB_QUIESCED_DRAINED)
			fail(ts, "QUIESCE returned how %u", q->how);
		break;
	}
	default:
		break;
	}
}

/* Could this QUIESCE call get past its argument checks? */
static bool may_quiesce(const struct tstate *ts, const struct call *c)
{
	const struct udrv_stub_quiesce *q = c->arg;

	if (c->cls != CLS_GARBAGE)
		return true;
	return arg_in_arena(ts, c) && !q->flags && q->argsz >= sizeof(*q) && q->argsz <= 4096;
}

/* One random ioctl: pick ioctl and class, build, call, count, judge. */
static void op_ioctl(struct tstate *ts)
{
	struct call c;
	int cfd = ctl_fd(ts), bi = pick_buf(ts), ret;
	int bfd = bi >= 0 ? ts->buf[bi].fd : -1;
	uint64_t gen = gen_now();
	bool quiesce;

	do {
		c.ioc = (enum ioc)rn(&ts->rng, IOC_N);
		c.cls = (enum cls)rn(&ts->rng, CLS_N);
	} while (!cls_applies(c.ioc, c.cls));
	/*
	 * QUIESCE stops the device for quiesce_ms: not too often, and not
	 * while a protected edu DMA runs (op_dma()).
	 */
	if (c.ioc == IOC_QUIESCE && c.cls == CLS_VALID && chance(&ts->rng, 50))
		c.ioc = IOC_GET_MASK;
	if (c.ioc == IOC_QUIESCE && GET(sh->dma_protect) && c.cls != CLS_WRONGFD &&
	    c.cls != CLS_BOUNDARY)
		c.ioc = IOC_GET_MASK;
	build_call(ts, &c, cfd, bfd);
	if (arg_in_arena(ts, &c) && (c.ioc == IOC_ALLOC_COH || c.ioc == IOC_ALLOC_STR))
		c.asked = ((struct udrv_stub_alloc *)c.arg)->size;
	if (arg_in_arena(ts, &c) && c.ioc == IOC_GET_SEGS)
		c.nr_in = ((struct udrv_stub_get_segments *)c.arg)->nr_segments;

	note(ts, "ioctl %s %s%s%s fd %d", ioc_name[c.ioc], cls_name[c.cls],
	     *c.variant ? ": " : "", c.variant, c.fd);
	/*
	 * A QUIESCE that may really quiesce (not one refused up front)
	 * stops bus mastering: edu DMAs meanwhile are not judged.
	 */
	quiesce = c.ioc == IOC_QUIESCE && c.expect <= 0 && c.fd == cfd &&
		  may_quiesce(ts, &c);
	if (quiesce) {
		ADD(sh->quiesce_active, 1);
		ADD(sh->quiesce_gen, 1);
	}
	ret = x_ioctl(c.fd, c.cmd, c.arg);
	if (quiesce) {
		ADD(sh->quiesce_gen, 1);
		ADD(sh->quiesce_active, -1);
	}
	ADD(sh->cell[c.ioc][c.cls][eslot(-ret)], 1);
	if (cfg.verbose)
		printf("  -> %s\n", ret ? strerror(-ret) : "ok");

	if (ret && !errno_allowed(c.ioc, -ret))
		fail(ts, "%s (%s%s%s) failed with %s, which the UAPI header does not list",
		     ioc_name[c.ioc], cls_name[c.cls], *c.variant ? ": " : "", c.variant,
		     strerror(-ret));
	else if (c.expect > 0 && ret != -c.expect)
		fail(ts, "%s (%s: %s) returned %s, expected %s", ioc_name[c.ioc],
		     cls_name[c.cls], c.variant, ret ? strerror(-ret) : "success",
		     strerror(c.expect));
	else if (c.expect == MUST_FAIL && !ret)
		fail(ts, "%s (%s: %s) succeeded", ioc_name[c.ioc], cls_name[c.cls], c.variant);
	if (!ret)
		check_success(ts, &c, gen);
}

/* ---- mappings ---------------------------------------------------------- */

static size_t pages(size_t n)
{
	return n * (size_t)cfg.page;
}

/* Is @e a plausible mmap() failure (the header names EINVAL and ENODEV)? */
static bool mmap_errno_ok(int e)
{
	return e == EINVAL || e == ENODEV || e == ENOMEM || e == EOVERFLOW ||
	       e == EACCES || e == EBADF;
}

/* Check the whole of a fresh buffer's first mapping reads zero. */
static void check_fresh(struct tstate *ts, struct maprec *m, struct bufrec *b)
{
	volatile uint64_t bad = 0;
	int sig;

	b->fresh = false;
	if (!(m->prot & PROT_READ))
		return;
	GUARDED(sig, {
		const volatile uint64_t *q = (const volatile uint64_t *)m->addr;
		size_t i;

		for (i = 0; i < m->len / 8 && !bad; i++)
			bad = q[i] ? i * 8 + 1 : 0;
	});
	judge_fault(ts, m, sig, false, "zero check of a fresh buffer");
	if (!sig && bad)
		fail(ts, "fresh buffer (id %" PRIu64 ") not zero at offset %#" PRIx64,
		     b->id, (uint64_t)(m->off + bad - 1));
	EVENT(EV_ZERO_CHECKS);
}

/* mmap BAR0 through /dev/uioN: valid prefixes, and what must be refused. */
static void op_mmap_bar(struct tstate *ts)
{
	int u = pick_fd(ts, ts->uio, MAX_UIO), prot, flags = MAP_SHARED, slot;
	size_t len;
	off_t off = 0;
	bool must_fail = false;
	uint64_t gen = gen_now();
	uint8_t *p;

	if (u < 0 && (u = open_uio(ts)) < 0)
		return;
	prot = chance(&ts->rng, 70) ? PROT_READ | PROT_WRITE : PROT_READ;
	len = pages(1 + rn(&ts->rng, EDU_BAR0_SIZE / cfg.page));
	switch (rn(&ts->rng, 10)) {
	case 0: len = EDU_BAR0_SIZE + pages(1); must_fail = true; break;
	case 1: off = pages(1 + rn(&ts->rng, 5)); must_fail = true; break;	/* no map 1..5 */
	case 2: flags = MAP_PRIVATE; must_fail = true; break;
	case 3: len = 0; must_fail = true; break;
	case 4: len = EDU_BAR0_SIZE; break;
	default: break;
	}
	note(ts, "mmap BAR len %#zx off %#jx %s prot %d", len, (intmax_t)off,
	     flags == MAP_PRIVATE ? "private" : "shared", prot);
	p = x_mmap(len, prot, flags, ts->uio[u].fd, off);
	if (!p) {
		if (!mmap_errno_ok(errno))
			fail(ts, "mmap of BAR0 failed with %s", strerror(errno));
		return;
	}
	if (must_fail) {
		x_munmap(p, len);
		fail(ts, "mmap of BAR0 (len %#zx, offset %#jx, flags %#x) succeeded", len,
		     (intmax_t)off, flags);
		return;
	}
	slot = free_map_slot(ts);
	ts->map[slot] = (struct maprec){ .type = MAP_BAR, .addr = p, .len = len,
		.prot = prot, .prot_exact = true, .gen = gen, .off = 0 };
}

/* mmap a DMA buffer: random page ranges inside it, and ones that are not. */
static void op_mmap_buf(struct tstate *ts)
{
	int bi = pick_buf(ts), prot, flags = MAP_SHARED, slot;
	struct bufrec *b;
	uint64_t np, first, len, gen = gen_now();
	off_t off;
	bool must_fail = false;
	uint8_t *p;

	if (bi < 0)
		return;
	b = &ts->buf[bi];
	np = b->size / cfg.page;
	first = rn(&ts->rng, np);
	len = pages(1 + rn(&ts->rng, np - first));
	off = (off_t)pages(first);
	if (chance(&ts->rng, 40)) {
		off = 0;
		len = b->size;
	}
	prot = chance(&ts->rng, 75) ? PROT_READ | PROT_WRITE : PROT_READ;
	switch (rn(&ts->rng, 12)) {
	case 0: len = b->size + 1; off = 0; must_fail = true; break;
	case 1: off = (off_t)b->size; len = pages(1); must_fail = true; break;
	case 2: flags = MAP_PRIVATE; must_fail = true; break;
	case 3: len = 0; must_fail = true; break;
	case 4: off += 1; must_fail = true; break;
	case 5: off = (off_t)1 << 50; must_fail = true; break;
	default: break;
	}
	note(ts, "mmap buffer %" PRIu64 " (%s, %#" PRIx64 " bytes) len %#" PRIx64 " off %#jx%s",
	     b->id, b->kind == COHERENT ? "coherent" : "streaming", b->size, len,
	     (intmax_t)off, flags == MAP_PRIVATE ? " private" : "");
	p = x_mmap(len, prot, flags, b->fd, off);
	if (!p) {
		if (!mmap_errno_ok(errno))
			fail(ts, "mmap of a buffer failed with %s", strerror(errno));
		return;
	}
	if (must_fail) {
		x_munmap(p, len);
		fail(ts, "mmap of a %#" PRIx64 "-byte buffer (len %#" PRIx64 ", offset %#jx, flags %#x) succeeded",
		     b->size, len, (intmax_t)off, flags);
		return;
	}
	slot = free_map_slot(ts);
	ts->map[slot] = (struct maprec){ .type = MAP_BUF, .addr = p, .len = len,
		.prot = prot, .prot_exact = true, .gen = gen, .off = (uint64_t)off,
		.buf_id = b->id };
	if (b->fresh)
		check_fresh(ts, &ts->map[slot], b);
}

/* munmap all of a mapping, its head, its tail, a hole, or nonsense. */
static void op_munmap(struct tstate *ts)
{
	int i = pick_map(ts, MAP_NONE), ret;
	struct maprec *m;
	size_t np, k;

	if (i < 0)
		return;
	m = &ts->map[i];
	np = m->len / cfg.page;
	k = 1 + rn(&ts->rng, np);
	switch (np > 1 ? rn(&ts->rng, 6) : 0) {
	case 1:	/* head */
		k = k < np ? k : np - 1;
		note(ts, "munmap head %zu of %zu pages", k, np);
		if (!x_munmap(m->addr, pages(k))) {
			m->addr += pages(k);
			m->len -= pages(k);
			m->off += pages(k);
		}
		return;
	case 2:	/* tail */
		k = k < np ? k : np - 1;
		note(ts, "munmap tail %zu of %zu pages", k, np);
		if (!x_munmap(m->addr + m->len - pages(k), pages(k)))
			m->len -= pages(k);
		return;
	case 3:	/* a hole: the tail part becomes a mapping of its own */
		if (np >= 3) {
			struct maprec tail = *m;
			int s;

			k = 1 + rn(&ts->rng, np - 2);
			note(ts, "munmap page %zu of %zu", k, np);
			if (x_munmap(m->addr + pages(k), pages(1)))
				return;
			tail.addr += pages(k + 1);
			tail.len -= pages(k + 1);
			tail.off += pages(k + 1);
			m->len = pages(k);
			s = free_map_slot(ts);
			ts->map[s] = tail;
			return;
		}
		break;
	case 4:	/* nonsense: must fail, and leave the mapping alone */
		note(ts, "munmap unaligned / zero length");
		ret = chance(&ts->rng, 50) ? x_munmap(m->addr + 1, cfg.page) : x_munmap(m->addr, 0);
		if (ret != -EINVAL)
			fail(ts, "munmap of an unaligned address or length 0 returned %d", ret);
		return;
	default:
		break;
	}
	note(ts, "munmap %zu pages", np);
	drop_map(m);
}

/*
 * mremap: shrink in place, grow (refused: VM_DONTEXPAND), move onto a
 * placeholder of ours (MREMAP_FIXED never touches foreign memory), or
 * MREMAP_DONTUNMAP.
 */
static void op_mremap(struct tstate *ts)
{
	int i = pick_map(ts, MAP_NONE);
	struct maprec *m;
	size_t np, nlen;
	void *p, *hole;

	if (i < 0)
		return;
	m = &ts->map[i];
	np = m->len / cfg.page;
	switch (rn(&ts->rng, 4)) {
	case 0:	/* shrink */
		nlen = pages(1 + rn(&ts->rng, np));
		note(ts, "mremap shrink %zu -> %zu pages", np, nlen / cfg.page);
		p = mremap(m->addr, m->len, nlen, 0);
		counted(SC_MREMAP, p == MAP_FAILED ? -errno : 0);
		if (p != MAP_FAILED)
			m->len = nlen;
		else if (!m->split)	/* else it spans VMAs: EFAULT */
			fail(ts, "mremap shrinking a mapping failed: %s", strerror(errno));
		return;
	case 1:	/* grow: the stub set VM_DONTEXPAND */
		nlen = m->len + pages(1 + rn(&ts->rng, 4));
		note(ts, "mremap grow %zu -> %zu pages", np, nlen / cfg.page);
		p = mremap(m->addr, m->len, nlen, chance(&ts->rng, 50) ? MREMAP_MAYMOVE : 0);
		counted(SC_MREMAP, p == MAP_FAILED ? -errno : 0);
		if (p != MAP_FAILED) {
			fail(ts, "mremap grew a VM_DONTEXPAND mapping");
			m->addr = p;
			m->len = nlen;
		}
		return;
	case 2:	/* move onto our own placeholder */
		/*
		 * MREMAP_FIXED unmaps the target before it checks the
		 * source, so after a failure the placeholder may be gone and
		 * its addresses another thread's: never touch it then.  A
		 * split mapping would fail (EFAULT: more than one VMA).
		 */
		if (m->split)
			return;
		hole = x_mmap(m->len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (!hole)
			return;
		note(ts, "mremap move %zu pages", np);
		p = mremap(m->addr, m->len, m->len, MREMAP_MAYMOVE | MREMAP_FIXED, hole);
		counted(SC_MREMAP, p == MAP_FAILED ? -errno : 0);
		if (p == MAP_FAILED)
			fail(ts, "mremap moving a whole mapping failed: %s", strerror(errno));
		else
			m->addr = p;
		return;
	default: /* DONTUNMAP: refused for these mappings; else both stay */
		note(ts, "mremap DONTUNMAP %zu pages", np);
		p = mremap(m->addr, m->len, m->len, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
		counted(SC_MREMAP, p == MAP_FAILED ? -errno : 0);
		if (p != MAP_FAILED) {
			struct maprec copy = *m;
			int s;

			copy.addr = p;
			s = free_map_slot(ts);
			ts->map[s] = copy;
		}
		return;
	}
}

/* mprotect all or part of a mapping. */
static void op_mprotect(struct tstate *ts)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_WRITE };
	int i = pick_map(ts, MAP_NONE), prot = prots[rn(&ts->rng, 4)];
	struct maprec *m;
	size_t np, first, n;
	bool whole;

	if (i < 0)
		return;
	m = &ts->map[i];
	np = m->len / cfg.page;
	whole = chance(&ts->rng, 60);
	first = whole ? 0 : rn(&ts->rng, np);
	n = whole ? np : 1 + rn(&ts->rng, np - first);
	note(ts, "mprotect pages %zu+%zu of %zu to %d", first, n, np, prot);
	if (x_mprotect(m->addr + pages(first), pages(n), prot))
		return;
	/* PROT_WRITE alone may read too (x86): not a precise expectation. */
	if (whole && prot != PROT_WRITE) {
		m->prot = prot;
		m->prot_exact = true;
	} else {
		m->prot &= prot;
		m->prot_exact = false;
	}
	/* Special (VM_PFNMAP/VM_IO/VM_DONTEXPAND) VMAs never merge again. */
	m->split |= !whole && (first || n < np);
}

/* ---- accesses through the mappings ------------------------------------- */

/* BAR0: read the ident (or anything), write a register that starts nothing. */
static void access_bar(struct tstate *ts, struct maprec *m)
{
	uint32_t val = 0;
	uint64_t roff;
	int sig;
	bool write = (m->prot & PROT_WRITE) && chance(&ts->rng, 40);
	bool ident = m->off == 0 && !write;

	if (write) {
		roff = safe_regs[rn(&ts->rng, sizeof(safe_regs) / sizeof(safe_regs[0]))];
		if (roff < m->off || roff + 4 > m->off + m->len)
			return;
		note(ts, "BAR write %#" PRIx64, roff);
		sig = try_write32(m->addr + roff - m->off, (uint32_t)rnd(&ts->rng));
		judge_fault(ts, m, sig, false, "BAR write");
		return;
	}
	roff = ident ? 0 : m->off + rn(&ts->rng, m->len / 4) * 4;
	note(ts, "BAR read %#" PRIx64, roff);
	sig = try_read32(m->addr + roff - m->off, &val);
	judge_fault(ts, m, sig, false, "BAR read");
	if (!sig && ident && val != EDU_IDENT)
		fail(ts, "BAR0 ident read %#x, not %#x", val, EDU_IDENT);
}

/* A buffer: write a pattern and read it back, or just read. */
static void access_buf(struct tstate *ts, struct maprec *m)
{
	uint64_t off = rn(&ts->rng, m->len / 8) * 8, pat = rnd(&ts->rng), got = 0;
	int sig;

	if (m->prot & PROT_WRITE && m->prot & PROT_READ) {
		note(ts, "buffer write+read %#" PRIx64, m->off + off);
		sig = try_write_read64(m->addr + off, pat, &got);
		judge_fault(ts, m, sig, false, "buffer write/read");
		if (!sig && got != pat && gen_now() == m->gen)
			fail(ts, "buffer read back %#" PRIx64 " after writing %#" PRIx64, got, pat);
	} else if (m->prot & PROT_READ) {
		note(ts, "buffer read %#" PRIx64, m->off + off);
		sig = try_read8(m->addr + off);
		judge_fault(ts, m, sig, false, "buffer read");
	}
}

/* An access the mapping's protection forbids: must raise SIGSEGV. */
static void access_forbidden(struct tstate *ts, struct maprec *m)
{
	uint8_t *q = m->addr + rn(&ts->rng, m->len);
	int sig;

	if (m->prot == PROT_NONE) {
		note(ts, "read of a PROT_NONE mapping");
		sig = try_read8(q);
	} else {
		/* A BAR write would reach edu: aim at the liveness register. */
		if (m->type == MAP_BAR)
			q = m->off <= EDU_LIVENESS && EDU_LIVENESS + 4 <= m->off + m->len ?
			    m->addr + EDU_LIVENESS - m->off : NULL;
		if (!q)
			return;
		note(ts, "write to a read-only mapping");
		sig = try_write32((void *)((uintptr_t)q & ~(uintptr_t)3), 1);
	}
	judge_fault(ts, m, sig, true, "forbidden access");
}

/* Access a mapping as its protection allows, or now and then against it. */
static void op_access(struct tstate *ts)
{
	int i = pick_map(ts, MAP_NONE);
	struct maprec *m;

	if (i < 0)
		return;
	m = &ts->map[i];
	EVENT(EV_ACCESSES);
	if (m->prot_exact && m->prot != (PROT_READ | PROT_WRITE) &&
	    (!(m->prot & PROT_READ) || chance(&ts->rng, 30)))
		access_forbidden(ts, m);
	else if (!(m->prot & PROT_READ))
		return;		/* not exactly known: nothing safe to do */
	else if (m->type == MAP_BAR)
		access_bar(ts, m);
	else
		access_buf(ts, m);
}

/* ---- the interrupt through /dev/uioN ----------------------------------- */

/*
 * A BAR mapping that reaches the register at @reg for writing, or NULL;
 * with @current only one made since the last rebind.
 */
static struct maprec *bar_reg(struct tstate *ts, uint32_t reg, bool current)
{
	int i;

	for (i = 0; i < MAX_MAP; i++) {
		struct maprec *m = &ts->map[i];

		if (m->type == MAP_BAR && m->prot_exact && m->prot == (PROT_READ | PROT_WRITE) &&
		    m->off <= reg && reg + 8 <= m->off + m->len &&
		    (!current || m->gen == gen_now()))
			return m;
	}
	return NULL;
}

/*
 * Enable, raise through edu, poll with a timeout, read only if poll said
 * so (never blocks), ack.  Sometimes wrong sizes, a disable, or read/write
 * on the other nodes.
 */
static void op_irq(struct tstate *ts)
{
	int u = pick_fd(ts, ts->uio, MAX_UIO), sig, fd;
	int32_t one = 1, zero = 0, n = 0;
	struct maprec *m = bar_reg(ts, EDU_IRQ_ACK, false);
	struct pollfd pfd;
	char junk[8];
	ssize_t r;

	if (u < 0 && (u = open_uio(ts)) < 0)
		return;
	fd = ts->uio[u].fd;
	switch (rn(&ts->rng, 8)) {
	case 0:
		note(ts, "uio read/write of wrong sizes");
		x_read(fd, junk, 1 + rn(&ts->rng, 3));
		x_write(fd, junk, 5 + rn(&ts->rng, 3));
		return;
	case 1:
		note(ts, "uio disable (write 0)");
		x_write(fd, &zero, 4);
		return;
	case 2: {
		int c = ctl_fd(ts), b = pick_buf(ts);

		note(ts, "read/write/lseek on the control device and a buffer");
		if (c >= 0) {
			x_read(c, junk, 4);
			x_write(c, &one, 4);
			counted(SC_LSEEK, lseek(c, 0, SEEK_SET) < 0 ? -errno : 0);
		}
		if (b >= 0) {
			x_read(ts->buf[b].fd, junk, 4);
			x_write(ts->buf[b].fd, &one, 4);
		}
		return;
	}
	default:
		break;
	}
	note(ts, "irq: enable, raise, poll, read, ack");
	x_write(fd, &one, 4);
	if (m) {
		sig = try_write32(m->addr + EDU_IRQ_RAISE - m->off, 1u << rn(&ts->rng, 32));
		judge_fault(ts, m, sig, false, "raise interrupt");
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	r = poll(&pfd, 1, (int)rn(&ts->rng, 40));
	counted(SC_POLL, r < 0 ? -errno : 0);
	if (r == 1 && (pfd.revents & POLLIN)) {
		if (x_read(fd, &n, 4) == 4)
			EVENT(EV_IRQ_EVENTS);
	} else {
		EVENT(EV_IRQ_NONE);
	}
	if (m) {
		uint32_t status = 0;

		sig = try_read32(m->addr + EDU_IRQ_STATUS - m->off, &status);
		if (!sig)
			sig = try_write32(m->addr + EDU_IRQ_ACK - m->off, status);
		judge_fault(ts, m, sig, false, "ack interrupt");
	}
	x_write(fd, &one, 4);
}

/* ---- edu DMA into live buffers ------------------------------------------ */

static int buf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return x_ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

/* Wait for edu's DMA engine to be idle, at most 3 s. */
static bool edu_idle(volatile uint8_t *bar)
{
	int i;

	for (i = 0; i < 3000; i++) {
		if (!(*(volatile uint32_t *)(bar + EDU_DMA_CMD) & EDU_CMD_START))
			return true;
		sleep_ms(1);
	}
	return false;
}

static bool edu_dma(volatile uint8_t *bar, uint64_t src, uint64_t dst, uint32_t n, uint32_t cmd)
{
	if (!edu_idle(bar))
		return false;
	*(volatile uint64_t *)(bar + EDU_DMA_SRC) = src;
	*(volatile uint64_t *)(bar + EDU_DMA_DST) = dst;
	*(volatile uint64_t *)(bar + EDU_DMA_CNT) = n;
	*(volatile uint32_t *)(bar + EDU_DMA_CMD) = cmd | EDU_CMD_START;
	return edu_idle(bar);
}

/* A writable mapping of a buffer edu can reach, with its fd open; or -1. */
static int dma_target(struct tstate *ts)
{
	int i;

	for (i = 0; i < MAX_MAP; i++) {
		struct maprec *m = &ts->map[i];
		struct bufrec *b = m->type == MAP_BUF ? buf_by_id(ts, m->buf_id) : NULL;

		if (b && b->reach && m->prot_exact && m->prot == (PROT_READ | PROT_WRITE) &&
		    m->gen == gen_now())
			return i;
	}
	return -1;
}

/*
 * The slot of an fd opened since the last rebind, opened now if need be
 * (closing a stale one for room); -1 if the device cannot be opened.
 */
static int fresh_fd(struct tstate *ts, struct fdrec *r, int n,
		    int (*open_fn)(struct tstate *))
{
	int i;

	for (i = 0; i < n; i++)
		if (r[i].fd >= 0 && r[i].gen == gen_now())
			return i;
	if (slot_fd(r, n) < 0) {
		x_close(r[0].fd);
		r[0].fd = -1;
	}
	return open_fn(ts);
}

static int fresh_uio(struct tstate *ts)
{
	return fresh_fd(ts, ts->uio, MAX_UIO, open_uio);
}

/* Make a reachable buffer and a BAR mapping exist (valid calls). */
static void dma_prepare(struct tstate *ts)
{
	if (!bar_reg(ts, EDU_DMA_CMD, true)) {
		int u = fresh_uio(ts), s;
		uint8_t *p;

		if (u < 0)
			return;
		p = x_mmap(cfg.page, PROT_READ | PROT_WRITE, MAP_SHARED, ts->uio[u].fd, 0);
		if (!p)
			return;
		s = free_map_slot(ts);
		ts->map[s] = (struct maprec){ .type = MAP_BAR, .addr = p, .len = cfg.page,
			.prot = PROT_READ | PROT_WRITE, .prot_exact = true,
			.gen = ts->uio[u].gen };
	}
	if (dma_target(ts) < 0) {
		int c = fresh_fd(ts, ts->ctl, MAX_CTL, open_ctl), cfd = c < 0 ? -1 : ts->ctl[c].fd;
		int s, i;
		uint64_t gen = gen_now();
		struct udrv_stub_alloc a = { .argsz = sizeof(a), .size = pages(1 + rn(&ts->rng, 8)) };
		enum kind k = chance(&ts->rng, 50) ? COHERENT : STREAMING;
		uint8_t *p;

		if (cfd < 0 || x_ioctl(cfd, k == COHERENT ? UDRV_STUB_ALLOC_COHERENT :
				       UDRV_STUB_ALLOC_STREAMING, &a))
			return;
		ADD(sh->cell[k == COHERENT ? IOC_ALLOC_COH : IOC_ALLOC_STR][CLS_VALID][0], 1);
		adopt_buf(ts, &a, k, a.size, gen);
		for (i = 0; i < MAX_BUF; i++)
			if (ts->buf[i].fd == a.fd)
				break;
		if (i == MAX_BUF || !ts->buf[i].reach)
			return;
		p = x_mmap(a.size, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
		if (!p)
			return;
		s = free_map_slot(ts);
		ts->map[s] = (struct maprec){ .type = MAP_BUF, .addr = p, .len = a.size,
			.prot = PROT_READ | PROT_WRITE, .prot_exact = true, .gen = gen,
			.buf_id = ts->buf[i].id };
		check_fresh(ts, &ts->map[s], &ts->buf[i]);
	}
}

/* Nothing that may legitimately spoil a DMA happened since @g/@q. */
static bool undisturbed(uint64_t g, uint64_t q)
{
	return !(g & 1) && g == GET(sh->bind_gen) && q == GET(sh->quiesce_gen) &&
	       GET(sh->quiesce_active) == 0;
}

/*
 * RAM -> edu -> RAM through a live buffer, every byte compared.  Under
 * edu_lock: edu has one DMA engine (busy: skipped).  Judged only if no
 * unbind and no QUIESCE happened meanwhile (either stops bus mastering,
 * so the DMA may not happen at all).  Half of the DMAs are protected: the
 * other threads hold back QUIESCE while they run (else few would ever be
 * judged); the others race with whatever comes.
 */
static void op_dma(struct tstate *ts)
{
	struct maprec *bm, *m;
	struct bufrec *b;
	uint8_t want[EDU_DMA_MAX];
	volatile bool same = true, ok = true;
	volatile uint8_t *bar;
	uint64_t g, q, moff, addr;
	uint32_t len;
	int i, sig;
	bool protect;

	dma_prepare(ts);
	bm = bar_reg(ts, EDU_DMA_CMD, true);
	i = dma_target(ts);
	if (!bm || i < 0 || bm->gen != gen_now()) {
		EVENT(EV_DMA_SKIPPED);
		return;
	}
	m = &ts->map[i];
	b = buf_by_id(ts, m->buf_id);
	len = 1 + (uint32_t)rn(&ts->rng, m->len < EDU_DMA_MAX ? m->len : EDU_DMA_MAX);
	moff = rn(&ts->rng, m->len - len + 1);
	addr = b->dma + m->off + moff;
	bar = (volatile uint8_t *)(bm->addr - bm->off);
	fill_random(&ts->rng, want, len);
	note(ts, "edu DMA round trip: %u bytes at buffer %" PRIu64 " offset %#" PRIx64
	     " (bus %#" PRIx64 ")", len, b->id, m->off + moff, addr);

	/* Another thread's DMA takes 200 ms of edu's timers: do not queue. */
	if (pthread_mutex_trylock(&edu_lock)) {
		EVENT(EV_DMA_BUSY);
		return;
	}
	protect = chance(&ts->rng, 50);
	if (protect) {
		SET(sh->dma_protect, 1);
		for (i = 0; i < 200 && GET(sh->quiesce_active); i++)
			sleep_ms(10);
	}
	g = GET(sh->bind_gen);
	q = GET(sh->quiesce_gen);
	if (!undisturbed(g, q)) {
		SET(sh->dma_protect, 0);
		pthread_mutex_unlock(&edu_lock);
		EVENT(EV_DMA_DISTURBED);
		return;
	}
	GUARDED(sig, {
		buf_sync(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		memcpy(m->addr + moff, want, len);
		buf_sync(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		ok = edu_dma(bar, addr, EDU_BUF, len, 0);
		buf_sync(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		memset(m->addr + moff, 0, len);
		buf_sync(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		ok = ok && edu_dma(bar, EDU_BUF, addr, len, EDU_CMD_TO_RAM);
		buf_sync(b->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		same = !memcmp(m->addr + moff, want, len);
		buf_sync(b->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	});
	SET(sh->dma_protect, 0);
	pthread_mutex_unlock(&edu_lock);

	if (!undisturbed(g, q)) {
		EVENT(EV_DMA_DISTURBED);
		if (sig == SIGBUS)
			EVENT(EV_SIGBUS);
		return;
	}
	judge_fault(ts, m, sig, false, "edu DMA round trip");
	if (!ok) {
		EVENT(EV_DMA_TIMEOUT);
		return;
	}
	if (!sig && !same)
		fail(ts, "edu DMA round trip of %u bytes through %s buffer %" PRIu64
		     " at bus %#" PRIx64 " returned different bytes", len,
		     b->kind == COHERENT ? "coherent" : "streaming", b->id, addr);
	EVENT(EV_DMA_OK);
}

/* ---- open/close -------------------------------------------------------- */

static void op_open(struct tstate *ts)
{
	if (chance(&ts->rng, 50))
		open_uio(ts);
	else
		open_ctl(ts);
}

/* Close an fd: uio, control or buffer (its mappings stay valid). */
static void op_close(struct tstate *ts)
{
	int i;

	switch (rn(&ts->rng, 3)) {
	case 0:
		if ((i = pick_fd(ts, ts->uio, MAX_UIO)) >= 0) {
			note(ts, "close uio fd %d", ts->uio[i].fd);
			x_close(ts->uio[i].fd);
			ts->uio[i].fd = -1;
		}
		break;
	case 1:
		if ((i = pick_fd(ts, ts->ctl, MAX_CTL)) >= 0) {
			note(ts, "close control fd %d", ts->ctl[i].fd);
			x_close(ts->ctl[i].fd);
			ts->ctl[i].fd = -1;
		}
		break;
	default:
		if ((i = pick_buf(ts)) >= 0) {
			note(ts, "close buffer %" PRIu64, ts->buf[i].id);
			close_buf(ts, &ts->buf[i]);
		}
		break;
	}
}

/* ---- fork -------------------------------------------------------------- */

/*
 * What a child does with its copy: reads (never writes: the parent's
 * buffers must keep their contents), valid ioctls, its own buffers, closes
 * and munmaps, then exits with whatever is still open, or is killed.
 */
static void child_run(struct tstate *ts, bool will_be_killed)
{
	int n = 4 + (int)rn(&ts->rng, 16), k, i;

	ts->child = true;
	/* Buffer mappings are VM_DONTCOPY: the child has only the records. */
	for (i = 0; i < MAX_MAP; i++)
		if (ts->map[i].type != MAP_NONE && ts->map[i].type != MAP_BAR)
			ts->map[i].ghost = true;
	for (k = 0; k < n; k++) {
		ts->nops++;
		switch (rn(&ts->rng, 6)) {
		case 0:
			if ((i = pick_map(ts, MAP_NONE)) >= 0 && (ts->map[i].prot & PROT_READ) &&
			    ts->map[i].prot_exact) {
				if (ts->map[i].type == MAP_BAR) {
					access_bar(ts, &ts->map[i]);
				} else {
					int sig;

					/*
					 * Not inherited (VM_DONTCOPY): SIGSEGV, or a
					 * mapping of the child's own now at that address.
					 */
					note(ts, "read inherited buffer mapping");
					sig = try_read8(ts->map[i].addr + rn(&ts->rng, ts->map[i].len));
					if (sig == SIGSEGV)
						EVENT(EV_SIGSEGV);
					else if (sig)
						judge_fault(ts, &ts->map[i], sig, false, "child read");
				}
			}
			break;
		case 1: {
			int cfd = ctl_fd(ts);
			struct udrv_stub_dma_mask m = { .argsz = sizeof(m) };

			note(ts, "child GET_DMA_MASK");
			if (cfd >= 0) {
				int r = x_ioctl(cfd, UDRV_STUB_GET_DMA_MASK, &m);

				ADD(sh->cell[IOC_GET_MASK][CLS_VALID][eslot(-r)], 1);
				if (r && !errno_allowed(IOC_GET_MASK, -r))
					fail(ts, "GET_DMA_MASK in a child: %s", strerror(-r));
			}
			break;
		}
		case 2: {
			int cfd = ctl_fd(ts), r;
			struct udrv_stub_alloc a = { .argsz = sizeof(a), .size = pages(1) };
			uint8_t *p;

			note(ts, "child allocates, maps and writes a buffer of its own");
			if (cfd < 0)
				break;
			r = x_ioctl(cfd, UDRV_STUB_ALLOC_STREAMING, &a);
			ADD(sh->cell[IOC_ALLOC_STR][CLS_VALID][eslot(-r)], 1);
			if (r) {
				if (!errno_allowed(IOC_ALLOC_STR, -r))
					fail(ts, "ALLOC in a child: %s", strerror(-r));
				break;
			}
			p = x_mmap(a.size, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
			if (p)	/* an unbind may have come: a signal is fine */
				(void)try_memset(p, 0xa5, a.size);
			if (chance(&ts->rng, 50))
				x_close(a.fd);	/* else: left for exit to release */
			break;
		}
		case 3:
			op_close(ts);
			break;
		case 4:
			if ((i = pick_map(ts, MAP_NONE)) >= 0) {
				note(ts, "child munmap");
				drop_map(&ts->map[i]);
			}
			break;
		default:
			if (!will_be_killed && chance(&ts->rng, 20))
				op_mmap_bar(ts);
			else
				op_open(ts);
			break;
		}
	}
	if (chance(&ts->rng, 50))
		release_all(ts);
}

/*
 * Fork; the child runs child_run() on its copy.  A quarter of the children
 * are SIGKILLed after 0-3 ms.  The child is waited for at most 20 s: a
 * child stuck in the kernel is a failure.
 */
static void op_fork(struct tstate *ts)
{
	bool kill_it = chance(&ts->rng, 25);
	uint64_t child_seed = rnd(&ts->rng);
	int status = 0, i;
	pid_t pid, w = 0;

	note(ts, "fork%s", kill_it ? " (and kill)" : "");
	fflush(stdout);
	pid = fork();
	counted(SC_FORK, pid < 0 ? -errno : 0);
	if (pid < 0)
		return;
	if (pid == 0) {
		ts->rng = child_seed;
		child_run(ts, kill_it);
		_exit(0);
	}
	EVENT(EV_FORKS);
	if (kill_it) {
		sleep_ms((double)rn(&ts->rng, 4));
		counted(SC_KILL, kill(pid, SIGKILL) ? -errno : 0);
	}
	for (i = 0; i < 20000; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (w != 0)
			break;
		sleep_ms(1);
	}
	counted(SC_WAIT, w < 0 ? -errno : 0);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail(ts, "a forked child did not finish in 20 s");
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && kill_it) {
		EVENT(EV_CHILD_KILLED);
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fail(ts, "a forked child %s %d", WIFEXITED(status) ? "exited with" : "died of signal",
		     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
}

/* ---- the controller: unbind/bind, rmmod/insmod -------------------------- */

static void ctl_log(const char *fmt, ...)
{
	va_list ap;

	if (!cfg.verbose)
		return;
	va_start(ap, fmt);
	printf("controller: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void unbind_bind(uint64_t *rng)
{
	ADD(sh->bind_gen, 1);
	ctl_log("unbind");
	if (!sysfs_put(DRV_DIR "/unbind", cfg.edu))
		EVENT(EV_UNBIND);
	/* Let the workers meet the unbound device for a moment. */
	sleep_ms((double)rn(rng, 300));
	ctl_log("bind");
	if (!sysfs_put(DRV_DIR "/bind", cfg.edu))
		EVENT(EV_BIND);
	if (!ensure_bound())
		fail(NULL, "edu did not bind to udrv_stub again");
	ADD(sh->bind_gen, 1);
}

/* rmmod; if it worked, insmod (which binds edu again). */
static void reload(void)
{
	int r;

	ADD(sh->bind_gen, 1);
	r = rmmod();
	ctl_log("rmmod: %s", r ? strerror(-r) : "ok");
	if (r == -EWOULDBLOCK || r == -EBUSY) {
		EVENT(EV_RMMOD_BUSY);
	} else if (!r) {
		EVENT(EV_RMMOD_OK);
		r = insmod();
		ctl_log("insmod: %s", r ? strerror(-r) : "ok");
		if (!r)
			EVENT(EV_INSMOD);
		else
			fail(NULL, "insmod of %s failed: %s", MODULE_PATH, strerror(-r));
	} else {
		fail(NULL, "rmmod udrv_stub failed: %s", strerror(-r));
	}
	if (!ensure_bound())
		fail(NULL, "edu is not bound to udrv_stub after reload");
	ADD(sh->bind_gen, 1);
}

/*
 * Ask every worker to let go of everything (worker_hold()), so that the
 * module can really be unloaded; give up after 5 s.
 */
static void hold_and_reload(void)
{
	int i;

	SET(sh->hold, 1);
	for (i = 0; i < 500 && GET(sh->held) < GET(sh->active) && !GET(sh->stop); i++)
		sleep_ms(10);
	if (GET(sh->held) >= GET(sh->active)) {
		EVENT(EV_HOLDS);
		reload();
	} else {
		EVENT(EV_HOLD_TIMEOUT);
	}
	SET(sh->hold, 0);
}

static void controller_action(uint64_t *rng)
{
	unsigned int a = (unsigned int)rn(rng, 100);

	if (a < 55)
		unbind_bind(rng);
	else if (a < 80)
		reload();
	else
		hold_and_reload();
}

/* The second process: an action every 0.3-2.5 s until the end. */
static void controller_main(void)
{
	uint64_t rng = stream_seed(cfg.seed, MAX_THREADS);

	while (!time_up()) {
		double until = now() + (300 + rn(&rng, 2200)) / 1000.0;

		while (now() < until && !time_up())
			sleep_ms(20);
		if (time_up())
			break;
		controller_action(&rng);
	}
	if (!ensure_bound())
		fail(NULL, "edu is not bound to udrv_stub at the end");
	fflush(stdout);
	_exit(0);	/* failures are in sh->failed */
}

/* ---- workers ------------------------------------------------------------ */

enum op {
	OP_OPEN, OP_CLOSE, OP_IOCTL, OP_MMAP_BAR, OP_MMAP_BUF, OP_MUNMAP, OP_MREMAP,
	OP_MPROTECT, OP_ACCESS, OP_IRQ, OP_DMA, OP_FORK, OP_N
};
static const unsigned int op_weight[OP_N] = { 5, 4, 34, 4, 8, 4, 3, 3, 18, 5, 3, 1 };

static void run_op(struct tstate *ts, enum op op)
{
	switch (op) {
	case OP_OPEN: op_open(ts); break;
	case OP_CLOSE: op_close(ts); break;
	case OP_IOCTL: op_ioctl(ts); break;
	case OP_MMAP_BAR: op_mmap_bar(ts); break;
	case OP_MMAP_BUF: op_mmap_buf(ts); break;
	case OP_MUNMAP: op_munmap(ts); break;
	case OP_MREMAP: op_mremap(ts); break;
	case OP_MPROTECT: op_mprotect(ts); break;
	case OP_ACCESS: op_access(ts); break;
	case OP_IRQ: op_irq(ts); break;
	case OP_DMA: op_dma(ts); break;
	default: op_fork(ts); break;
	}
}

static enum op pick_op(struct tstate *ts)
{
	unsigned int total = 0, i, r;

	for (i = 0; i < OP_N; i++)
		total += op_weight[i];
	r = (unsigned int)rn(&ts->rng, total);
	for (i = 0; r >= op_weight[i]; i++)
		r -= op_weight[i];
	return (enum op)i;
}

/*
 * --replay runs the threads in lockstep: thread t only runs an operation
 * when it holds the turn, and hands it to the next active thread after.
 * The controller's actions then happen at operation counts (drawn from
 * its own stream) by a forked helper while every worker is parked.
 */
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cond = PTHREAD_COND_INITIALIZER;
static int turn;
static bool thread_active[MAX_THREADS];
static uint64_t replay_rng, replay_next_event;

static void turn_wait(int t)
{
	pthread_mutex_lock(&turn_lock);
	while (turn != t)
		pthread_cond_wait(&turn_cond, &turn_lock);
	pthread_mutex_unlock(&turn_lock);
}

static void turn_pass(int t, bool leaving)
{
	int i;

	pthread_mutex_lock(&turn_lock);
	thread_active[t] = !leaving;
	for (i = 1; i <= cfg.threads; i++)
		if (thread_active[(t + i) % cfg.threads])
			break;
	turn = (t + i) % cfg.threads;
	pthread_cond_broadcast(&turn_cond);
	pthread_mutex_unlock(&turn_lock);
}

/* In --replay: the controller's next action, if due, in a helper process. */
static void replay_controller(void)
{
	unsigned int a;
	pid_t pid;
	int i, status;

	if (!cfg.rebind || GET(sh->ops) < replay_next_event)
		return;
	replay_next_event = GET(sh->ops) + 50 + rn(&replay_rng, 400);
	a = (unsigned int)rn(&replay_rng, 100);
	/* Hold: everybody is parked, so their resources can go from here. */
	if (a >= 80)
		for (i = 0; i < cfg.threads; i++)
			release_all(&tstates[i]);
	fflush(stdout);
	pid = fork();
	counted(SC_FORK, pid < 0 ? -errno : 0);
	if (pid == 0) {
		if (a < 55)
			unbind_bind(&replay_rng);
		else
			reload();
		fflush(stdout);
		_exit(0);
	}
	if (pid > 0)
		counted(SC_WAIT, waitpid(pid, &status, 0) < 0 ? -errno : 0);
	/* The child's draws happened on its copy: keep the stream in step. */
	if (a < 55)
		rnd(&replay_rng);
	if (a >= 80)
		EVENT(EV_HOLDS);
}

/* A hold window: let go of everything and wait until the controller is done. */
static void worker_hold(struct tstate *ts)
{
	if (!GET(sh->hold))
		return;
	note(ts, "hold: releasing everything");
	release_all(ts);
	ADD(sh->held, 1);
	while (GET(sh->hold) && !GET(sh->stop))
		sleep_ms(5);
	ADD(sh->held, -1);
}

static bool thread_done(struct tstate *ts)
{
	return time_up() || (cfg.ops && ts->nops >= cfg.ops);
}

static void *worker(void *arg)
{
	struct tstate *ts = arg;

	EVENT(EV_THREADS);
	for (;;) {
		if (cfg.replay)
			turn_wait(ts->idx);
		if (thread_done(ts))
			break;
		if (cfg.replay)
			replay_controller();
		else
			worker_hold(ts);
		close_stale(ts);
		ts->nops++;
		ADD(sh->ops, 1);
		EVENT(EV_OPS);
		run_op(ts, pick_op(ts));
		if (cfg.replay)
			turn_pass(ts->idx, false);
	}
	release_all(ts);
	ADD(sh->active, -1);
	if (cfg.replay)
		turn_pass(ts->idx, true);
	return NULL;
}

static void *map_or_die(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static void tstate_init(struct tstate *ts, int idx)
{
	int i;

	memset(ts, 0, sizeof(*ts));
	ts->idx = idx;
	ts->rng = stream_seed(cfg.seed, (unsigned int)idx);
	for (i = 0; i < MAX_UIO; i++)
		ts->uio[i].fd = -1;
	for (i = 0; i < MAX_CTL; i++)
		ts->ctl[i].fd = -1;
	for (i = 0; i < MAX_BUF; i++)
		ts->buf[i].fd = -1;
	ts->arena = map_or_die(pages(2), PROT_READ | PROT_WRITE);
	mprotect(ts->arena + pages(1), pages(1), PROT_NONE);
	ts->segs = map_or_die(pages(2), PROT_READ | PROT_WRITE);
	mprotect(ts->segs + pages(1), pages(1), PROT_NONE);
	ts->ro = map_or_die(pages(1), PROT_READ);
	ts->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
}

/* ---- set-up, final checks, report --------------------------------------- */

static char saved_params[NPARAMS][32];

static void set_params(void)
{
	char path[128];
	unsigned int i;

	for (i = 0; i < NPARAMS; i++) {
		snprintf(path, sizeof(path), PARAM_DIR "/%s", run_params[i][0]);
		sysfs_get(path, saved_params[i], sizeof(saved_params[i]));
		sysfs_put(path, run_params[i][1]);
	}
}

static void restore_params(void)
{
	char path[128];
	unsigned int i;

	for (i = 0; i < NPARAMS; i++)
		if (saved_params[i][0]) {
			snprintf(path, sizeof(path), PARAM_DIR "/%s", run_params[i][0]);
			sysfs_put(path, saved_params[i]);
		}
}

/* The device was probed with the old dma_bits: make it 28 (no buffer yet). */
static void set_mask_28(void)
{
	struct udrv_stub_dma_mask m = { .argsz = sizeof(m), .bits = 28 };
	int fd = x_open(cfg.ctl_path, O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return;
	r = x_ioctl(fd, UDRV_STUB_SET_DMA_MASK, &m);
	ADD(sh->cell[IOC_SET_MASK][CLS_VALID][eslot(-r)], 1);
	x_close(fd);
}

/*
 * With every fd and mapping of the run gone and the device quiesced,
 * nothing may be left: no buffer, no quarantine, no pinned memory, no
 * BAR mapping.
 */
static void final_checks(void)
{
	struct udrv_stub_quiesce q = { .argsz = sizeof(q) };
	static const char *const attrs[] = {
		"dma_buffers", "dma_quarantined", "dma_pinned_kb", "mappings",
	};
	unsigned int i;
	int fd, r;

	if (!ensure_bound()) {
		fail(NULL, "edu is not bound to udrv_stub at the end");
		return;
	}
	fd = x_open(cfg.ctl_path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fail(NULL, "cannot open %s at the end: %s", cfg.ctl_path, strerror(-fd));
		return;
	}
	r = x_ioctl(fd, UDRV_STUB_QUIESCE, &q);
	ADD(sh->cell[IOC_QUIESCE][CLS_VALID][eslot(-r)], 1);
	x_close(fd);
	if (r)
		fail(NULL, "QUIESCE at the end: %s", strerror(-r));
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		long v = dev_attr(attrs[i]);

		if (v != 0)
			fail(NULL, "after the run, with everything closed and quiesced: %s = %ld",
			     attrs[i], v);
	}
}

static void print_hist(const uint64_t *h)
{
	int e;

	for (e = 0; e <= ERRNO_MAX; e++)
		if (h[e])
			printf(" %s:%" PRIu64, e ? (strerrorname_np(e) ? strerrorname_np(e) : "?") : "ok",
			       h[e]);
}

static uint64_t sum(const uint64_t *h)
{
	uint64_t s = 0;
	int e;

	for (e = 0; e <= ERRNO_MAX; e++)
		s += h[e];
	return s;
}

static void report(double secs)
{
	uint64_t total = 0, n;
	unsigned int s, i, c, cells = 0, covered = 0;

	for (s = 0; s < SC_N; s++)
		total += sum(sh->sc[s]);
	printf("\n== stub_syscalls report: seed %" PRIu64 ", %d thread(s)%s%s, %.1f s, kernel side judged by udrv-vm\n",
	       cfg.seed, cfg.threads, cfg.rebind ? "" : ", --no-rebind",
	       cfg.replay ? ", --replay" : "", secs);
	printf("syscalls: %" PRIu64 " (%.0f/s)\n", total, total / secs);
	for (s = 0; s < SC_N; s++)
		if ((n = sum(sh->sc[s]))) {
			printf("  %-14s %9" PRIu64 " ", sc_name[s], n);
			print_hist(sh->sc[s]);
			printf("\n");
		}

	printf("ioctl x argument class: calls\n  %-16s", "");
	for (c = 0; c < CLS_N; c++)
		printf(" %9s", cls_name[c]);
	printf("\n");
	for (i = 0; i < IOC_N; i++) {
		printf("  %-16s", ioc_name[i]);
		for (c = 0; c < CLS_N; c++) {
			if (!cls_applies(i, c)) {
				printf(" %9s", "-");
				continue;
			}
			n = sum(sh->cell[i][c]);
			cells++;
			covered += n > 0;
			printf(" %9" PRIu64, n);
		}
		printf("\n");
	}
	printf("cells covered: %u of %u\n", covered, cells);
	printf("ioctl x argument class: errno histograms\n");
	for (i = 0; i < IOC_N; i++)
		for (c = 0; c < CLS_N; c++)
			if (cls_applies(i, c) && sum(sh->cell[i][c])) {
				printf("  %-16s %-9s", ioc_name[i], cls_name[c]);
				print_hist(sh->cell[i][c]);
				printf("\n");
			}
	printf("events:\n");
	for (i = 0; i < EV_N; i++)
		printf("  %-40s %" PRIu64 "\n", ev_name[i], sh->ev[i]);
	printf("result: %s\n", GET(sh->failed) ? "FAIL" : "ok");
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: stub_syscalls [--seed N] [--duration SECONDS] [--ops N] [--threads N]\n"
"                     [--no-rebind] [--verbose] [--replay]\n"
"\n"
"Fuzz udrv_stub's system call interface on $UDRV_EDU (run me in the udrv-vm\n"
"guest, profile stub): open/close, every ioctl with valid, boundary, garbage,\n"
"wrong-argsz, bad-pointer and wrong-fd arguments, mmap/munmap/mremap/mprotect\n"
"of BAR0 and DMA buffers, accesses, the interrupt, edu DMA, fork, threads,\n"
"and in a second process unbind/bind and rmmod/insmod.  Prints a coverage\n"
"report; exits 0 if every invariant held, 1 on a failure (with the seed and\n"
"the last operations), 2 on bad usage, 77 outside the guest.\n"
"\n"
"  --seed N         seed (default: from the clock); always printed first\n"
"  --duration S     run for S seconds (default 30)\n"
"  --ops N          stop each thread after N operations (default: no limit)\n"
"  --threads N      worker threads, 1-%d (default 4)\n"
"  --no-rebind      no controller: no unbind/bind, no rmmod/insmod\n"
"  --verbose        print every operation\n"
"  --replay         run the threads in lockstep and the controller at\n"
"                   operation counts instead of times, for replaying a seed\n"
"\n"
"Reproducibility: each thread draws from its own stream derived from the\n"
"seed, so with --threads 1 --no-rebind the operations and their arguments are\n"
"the same on every run with that seed.  With several threads, or with the\n"
"controller, each thread's draws still come from the same stream, but what\n"
"they draw depends on the state they find (an fd stale after an unbind, a\n"
"buffer refused), and that depends on timing; --replay removes the timing\n"
"(lockstep threads, controller at fixed operation counts), so a seed replays\n"
"the same sequence as far as the kernel's own asynchronous work (drains,\n"
"edu's DMA timer), allocation failures and how far a SIGKILLed child got\n"
"allow.  A failure found without --replay is replayed with the same --seed\n"
"and --threads, best with --replay --verbose to see the operations.\n", MAX_THREADS);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ops", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, 't' },
		{ "no-rebind", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "replay", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool seeded = false;
	int o;

	while ((o = getopt_long(argc, argv, "s:d:o:t:nvrh", opts, NULL)) != -1) {
		switch (o) {
		case 's': cfg.seed = strtoull(optarg, NULL, 0); seeded = true; break;
		case 'd': cfg.duration = atof(optarg); break;
		case 'o': cfg.ops = strtoull(optarg, NULL, 0); break;
		case 't': cfg.threads = atoi(optarg); break;
		case 'n': cfg.rebind = false; break;
		case 'v': cfg.verbose = true; break;
		case 'r': cfg.replay = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc || cfg.threads < 1 || cfg.threads > MAX_THREADS ||
	    cfg.duration <= 0) {
		usage(stderr);
		exit(2);
	}
	if (!seeded) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		cfg.seed = (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
	}
}

static void install_fault_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
}

/* Wait for the controller at most 60 s (an unbind may take its time). */
static void reap_controller(pid_t pid)
{
	int status = 0, i;
	pid_t w = 0;

	for (i = 0; i < 6000 && !(w = waitpid(pid, &status, WNOHANG)); i++)
		sleep_ms(10);
	counted(SC_WAIT, w < 0 ? -errno : 0);
	if (w == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail(NULL, "the controller process did not finish in 60 s");
	} else if (w > 0 && (!WIFEXITED(status) || WEXITSTATUS(status))) {
		fail(NULL, "the controller process failed (status %#x)", status);
	}
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	pid_t controller = -1;
	char val[32];
	int i;

	parse_args(argc, argv);
	printf("seed %" PRIu64 "\n", cfg.seed);
	fflush(stdout);

	cfg.edu = getenv("UDRV_EDU");
	if (!cfg.edu || !getenv("UDRV_VM_PROFILE") || strcmp(getenv("UDRV_VM_PROFILE"), "stub")) {
		fprintf(stderr, "stub_syscalls: run me under udrv-vm --profile stub\n");
		return 77;
	}
	cfg.page = sysconf(_SC_PAGESIZE);
	snprintf(cfg.ctl_path, sizeof(cfg.ctl_path), "/dev/udrv/%s", cfg.edu);
	snprintf(cfg.dev_dir, sizeof(cfg.dev_dir), "/sys/bus/pci/devices/%s", cfg.edu);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	tstates = mmap(NULL, sizeof(*tstates) * MAX_THREADS, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || tstates == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	if (!bound()) {
		fprintf(stderr, "stub_syscalls: %s is not bound to udrv_stub\n", cfg.edu);
		return 2;
	}
	install_fault_handlers();
	set_params();
	set_mask_28();
	cfg.max_buffer = 64ull << 20;
	if (!sysfs_get(PARAM_DIR "/max_buffer_mb", val, sizeof(val)) && atoll(val) > 0)
		cfg.max_buffer = (uint64_t)atoll(val) << 20;
	printf("stub_syscalls: edu %s, %d thread(s), %.0f s%s%s\n", cfg.edu, cfg.threads,
	       cfg.duration, cfg.rebind ? ", unbind/bind and rmmod/insmod" : "",
	       cfg.replay ? ", lockstep (--replay)" : "");
	fflush(stdout);

	cfg.t0 = now();
	SET(sh->active, cfg.threads);
	if (cfg.rebind && !cfg.replay) {
		controller = fork();
		counted(SC_FORK, controller < 0 ? -errno : 0);
		if (controller == 0)
			controller_main();
	}
	replay_rng = stream_seed(cfg.seed, MAX_THREADS);
	replay_next_event = 50 + rn(&replay_rng, 400);
	for (i = 0; i < cfg.threads; i++) {
		tstate_init(&tstates[i], i);
		thread_active[i] = true;
	}
	for (i = 0; i < cfg.threads; i++)
		if (pthread_create(&th[i], NULL, worker, &tstates[i])) {
			perror("pthread_create");
			return 2;
		}
	for (i = 0; i < cfg.threads; i++)
		pthread_join(th[i], NULL);
	if (controller > 0) {
		SET(sh->stop, 1);
		reap_controller(controller);
	}
	final_checks();
	restore_params();
	report(now() - cfg.t0);
	return GET(sh->failed) ? 1 : 0;
}
