// SPDX-License-Identifier: MIT
/*
 * udrv_stub DMA buffers, in the udrv-vm guest with profile stub, without
 * (meson test "stub-dma") and with an IOMMU ("stub-dma-iommu").  Raw
 * ioctls on /dev/udrv/<edu address> through the UAPI header
 * include/uapi/linux/udrv_stub.h; the device is QEMU's edu, whose DMA engine
 * reaches 28 bits and copies up to 4 KiB (4095 bytes, see EDU_DMA_MAX)
 * between RAM and its own buffer at 0x40000:
 *   0x80 source, 0x88 destination, 0x90 count (64-bit registers),
 *   0x98 command: bit 0 start (reads 1 while running), bit 1 edu->RAM.
 * Nothing turns bus mastering on implicitly: open_uio() opens /dev/uioN,
 * maps BAR0 through it and turns mastering on with SET_MASTER, so every
 * DMA here happens with /dev/uioN open.  Buffers released while the
 * device may still master DMA are quarantined until the stub quiesces it
 * (last close of /dev/uioN, QUIESCE, unbind): test_kill_mid_dma kills a
 * process in the middle of an edu DMA, 100 times without and 100 times
 * with a second opener of /dev/uioN, and checks that no fresh buffer ever
 * receives a byte of it.
 *
 * Figures (addresses, segments, MemFree) go to stdout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/dma-buf.h>

#include <cmocka.h>
#include <linux/udrv_stub.h>

#define KIB		1024ULL
#define MIB		(1024ULL * 1024)
#define PAGE		4096ULL
#define EDU_BAR0_SIZE	(1 << 20)
#define EDU_DMA_SRC	0x80
#define EDU_DMA_DST	0x88
#define EDU_DMA_CNT	0x90
#define EDU_DMA_CMD	0x98
#define EDU_CMD_START	0x1
#define EDU_CMD_TO_RAM	0x2
#define EDU_BUF		0x40000
/*
 * edu's buffer is 4096 bytes, but QEMU's range check (edu_check_range())
 * wants the end of a transfer strictly below the end of the buffer and
 * stops the whole VM with a hardware error otherwise: 4095 at most.
 */
#define EDU_DMA_MAX	4095

enum kind { COHERENT, STREAMING };
static const char *const kind_name[] = { "coherent", "streaming" };

struct buf {
	enum kind kind;
	int fd;
	uint64_t size;
	uint64_t dma_addr;
	uint32_t nsegs;
	struct udrv_stub_segment *segs;
	uint8_t *map;
};

static const char *edu;
static int iommu;		/* edu sits behind an IOMMU */
static int bounce;		/* swiotlb=force: streaming mappings bounce */
static char ctl_path[64];
static char dev_dir[128];	/* /sys/bus/pci/devices/<edu> */
static int ctl = -1;
static int uio = -1;
static volatile uint8_t *bar0;
static uint64_t dma_limit;	/* 2^bits of the mask in force */

/* ---- small helpers -------------------------------------------------- */

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static long sysfs_long(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtol(buf, NULL, 0);
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static long dev_attr(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/udrv_stub/%s", dev_dir, name);
	return sysfs_long(path);
}

/*
 * Free memory in KiB: MemFree plus the pages parked on the per-CPU free
 * lists (/proc/zoneinfo's pagesets "count:"), which MemFree leaves out.
 * Since 6.7 those lists grow with the workload (up to megabytes on 6.12),
 * so MemFree alone would report freed buffers as leaked.
 */
static long memfree_kib(void)
{
	char line[256];
	long kib = -1, pages = 0, n;
	FILE *f = fopen("/proc/meminfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kib) == 1)
			break;
	fclose(f);
	f = fopen("/proc/zoneinfo", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &n) == 1)
			pages += n;
	fclose(f);
	return kib + pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static uint32_t rnd_state = 0x12345678;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void fill_random(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)rnd();
}

static int all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

/* ---- device: uio (BAR0, bus mastering) and control device ----------- */

/* SET_MASTER through the control device (opened for it if need be). */
static void set_master(uint32_t on)
{
	struct udrv_stub_master m = { .argsz = sizeof(m), .on = on };
	int fd = ctl >= 0 ? ctl : open(ctl_path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail_msg("open %s: %s", ctl_path, strerror(errno));
	assert_int_equal(xioctl(fd, UDRV_STUB_SET_MASTER, &m), 0);
	if (fd != ctl)
		close(fd);
}

static void open_uio(void)
{
	char path[300];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/uio", dev_dir);
	d = opendir(path);
	if (!d)
		fail_msg("%s: %s", path, strerror(errno));
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "uio", 3))
			break;
	assert_non_null(de);
	snprintf(path, sizeof(path), "/dev/%s", de->d_name);
	closedir(d);

	uio = open(path, O_RDWR | O_CLOEXEC);
	if (uio < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	bar0 = mmap(NULL, EDU_BAR0_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, uio, 0);
	assert_true(bar0 != MAP_FAILED);
	assert_int_equal(*(volatile uint32_t *)bar0, 0x010000ed);
	set_master(1);
}

static void close_uio(void)
{
	if (bar0)
		munmap((void *)bar0, EDU_BAR0_SIZE);
	bar0 = NULL;
	if (uio >= 0)
		close(uio);
	uio = -1;
}

static void set_mask(int fd, uint32_t bits)
{
	struct udrv_stub_dma_mask m = { .argsz = sizeof(m), .bits = bits };

	assert_int_equal(xioctl(fd, UDRV_STUB_SET_DMA_MASK, &m), 0);
	dma_limit = bits < 64 ? 1ULL << bits : 0;
}

static void open_ctl(void)
{
	ctl = open(ctl_path, O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		fail_msg("open %s: %s", ctl_path, strerror(errno));
	set_mask(ctl, 28);
}

/* ---- buffers -------------------------------------------------------- */

static int alloc_raw(enum kind kind, uint64_t size, struct udrv_stub_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->argsz = sizeof(*a);
	a->size = size;
	a->fd = -1;
	return xioctl(ctl, kind == COHERENT ? UDRV_STUB_ALLOC_COHERENT :
		      UDRV_STUB_ALLOC_STREAMING, a);
}

static int get_segments(int fd, uint32_t flags, struct udrv_stub_segment *segs,
			uint32_t *n)
{
	struct udrv_stub_get_segments g = {
		.argsz = sizeof(g),
		.flags = flags,
		.fd = fd,
		.nr_segments = *n,
		.segments = (uintptr_t)segs,
	};
	int ret = xioctl(ctl, UDRV_STUB_GET_SEGMENTS, &g);

	*n = g.nr_segments;
	return ret;
}

/* Check a segment list: page-granular, within the mask (edu's reach: 28 bits). */
static void check_segments(const struct udrv_stub_segment *segs, uint32_t n,
			   uint64_t size)
{
	uint64_t total = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		assert_true(segs[i].len > 0);
		assert_int_equal(segs[i].dma_addr % PAGE, 0);
		assert_int_equal(segs[i].len % PAGE, 0);
		if (dma_limit && segs[i].dma_addr + segs[i].len > dma_limit)
			fail_msg("segment %u at %#" PRIx64 "+%#" PRIx64 " beyond %#" PRIx64,
				 i, (uint64_t)segs[i].dma_addr, (uint64_t)segs[i].len,
				 dma_limit);
		total += segs[i].len;
	}
	assert_int_equal(total, size);
}

static struct buf *buf_alloc(enum kind kind, uint64_t size, int map)
{
	struct buf *b = calloc(1, sizeof(*b));
	struct udrv_stub_alloc a;
	uint32_t n;
	int ret;

	assert_non_null(b);
	ret = alloc_raw(kind, size, &a);
	if (ret)
		fail_msg("%s alloc of %" PRIu64 " bytes: %s", kind_name[kind], size,
			 strerror(-ret));
	b->kind = kind;
	b->fd = a.fd;
	b->size = a.size;
	b->dma_addr = a.dma_addr;
	b->nsegs = a.nr_segments;
	assert_true(b->fd >= 0);
	assert_int_equal(b->size, (size + PAGE - 1) / PAGE * PAGE);
	assert_true(b->nsegs >= 1);
	assert_int_equal(fcntl(b->fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	if (kind == COHERENT)
		assert_int_equal(b->nsegs, 1);
	if (b->nsegs == 1)
		assert_true(b->dma_addr != UDRV_STUB_DMA_ADDR_NONE);
	else
		assert_true(b->dma_addr == UDRV_STUB_DMA_ADDR_NONE);

	b->segs = calloc(b->nsegs, sizeof(*b->segs));
	assert_non_null(b->segs);
	n = b->nsegs;
	assert_int_equal(get_segments(b->fd, 0, b->segs, &n), 0);
	assert_int_equal(n, b->nsegs);
	check_segments(b->segs, n, b->size);
	if (b->nsegs == 1)
		assert_true(b->segs[0].dma_addr == b->dma_addr);

	if (map) {
		b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
		if (b->map == MAP_FAILED)
			fail_msg("mmap %s buffer: %s", kind_name[kind], strerror(errno));
	}
	return b;
}

static void buf_close_fd(struct buf *b)
{
	if (b->fd >= 0)
		assert_int_equal(close(b->fd), 0);
	b->fd = -1;
}

static void buf_unmap(struct buf *b)
{
	if (b->map)
		assert_int_equal(munmap(b->map, b->size), 0);
	b->map = NULL;
}

static void buf_free(struct buf *b)
{
	buf_unmap(b);
	buf_close_fd(b);
	free(b->segs);
	free(b);
}

/* Bus address of byte @off; [off, off + len) must lie in one segment. */
static uint64_t dma_at(const struct buf *b, uint64_t off, uint64_t len)
{
	uint64_t start = 0;
	uint32_t i;

	for (i = 0; i < b->nsegs; i++) {
		if (off >= start && off + len <= start + b->segs[i].len)
			return b->segs[i].dma_addr + (off - start);
		start += b->segs[i].len;
	}
	fail_msg("range %#" PRIx64 "+%#" PRIx64 " not inside one segment", off, len);
	return 0;
}

static void buf_sync(const struct buf *b, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	assert_true(b->fd >= 0);
	assert_int_equal(xioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s), 0);
}

/* ---- edu DMA -------------------------------------------------------- */

static void reg64(unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(bar0 + off) = v;
}

static void edu_wait(void)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000; i++) {
		if (!(*(volatile uint32_t *)(bar0 + EDU_DMA_CMD) & EDU_CMD_START))
			return;
		nanosleep(&ms, NULL);
	}
	fail_msg("edu DMA did not finish");
}

static void edu_dma(uint64_t src, uint64_t dst, uint32_t count, uint32_t cmd)
{
	edu_wait();
	reg64(EDU_DMA_SRC, src);
	reg64(EDU_DMA_DST, dst);
	reg64(EDU_DMA_CNT, count);
	*(volatile uint32_t *)(bar0 + EDU_DMA_CMD) = cmd | EDU_CMD_START;
	edu_wait();
}

/*
 * RAM -> edu -> RAM through [off, off + len) of @b: random pattern, DMA it
 * to edu, clear, DMA it back, compare every byte.  DMA_BUF_IOCTL_SYNC
 * brackets each CPU access (while the fd is open), as portable code does
 * for either kind.
 */
static void roundtrip(const struct buf *b, uint64_t off, uint32_t len)
{
	uint64_t addr = dma_at(b, off, len);
	uint8_t *want = malloc(len);
	int sync = b->fd >= 0;

	assert_non_null(want);
	assert_true(len <= EDU_DMA_MAX);
	fill_random(want, len);

	if (sync)
		buf_sync(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memcpy(b->map + off, want, len);
	if (sync)
		buf_sync(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	edu_dma(addr, EDU_BUF, len, 0);			/* RAM -> edu */

	if (sync)
		buf_sync(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
	memset(b->map + off, 0, len);
	if (sync)
		buf_sync(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
	edu_dma(EDU_BUF, addr, len, EDU_CMD_TO_RAM);	/* edu -> RAM */

	if (sync)
		buf_sync(b, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
	if (memcmp(b->map + off, want, len))
		fail_msg("%s buffer: DMA round trip at offset %#" PRIx64
			 " (bus %#" PRIx64 ") returned different bytes",
			 kind_name[b->kind], off, addr);
	if (sync)
		buf_sync(b, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ);
	free(want);
}

/* ---- tests ---------------------------------------------------------- */

static void test_dma_mask(void **state)
{
	struct udrv_stub_dma_mask m = { .argsz = sizeof(m) };
	struct buf *b;

	(void)state;
	assert_int_equal(xioctl(ctl, UDRV_STUB_GET_DMA_MASK, &m), 0);
	assert_int_equal(m.bits, 28);	/* set by the group setup */
	assert_int_equal(dev_attr("dma_bits"), 28);

	m.bits = UDRV_STUB_DMA_BITS_MIN - 1;
	assert_int_equal(xioctl(ctl, UDRV_STUB_SET_DMA_MASK, &m), -EINVAL);
	m.bits = UDRV_STUB_DMA_BITS_MAX + 1;
	assert_int_equal(xioctl(ctl, UDRV_STUB_SET_DMA_MASK, &m), -EINVAL);
	set_mask(ctl, 32);
	assert_int_equal(dev_attr("dma_bits"), 32);
	set_mask(ctl, 28);

	/* Not while a buffer exists, again once it is gone. */
	b = buf_alloc(COHERENT, PAGE, 0);
	m.bits = 32;
	assert_int_equal(xioctl(ctl, UDRV_STUB_SET_DMA_MASK, &m), -EBUSY);
	buf_free(b);
	set_mask(ctl, 28);
}

static void test_alloc_sizes(void **state)
{
	static const uint64_t sizes[] = { 1, 4 * KIB, 12 * KIB + 1, 64 * KIB, 1 * MIB, 4 * MIB };
	unsigned int k, i;

	(void)state;
	for (k = COHERENT; k <= STREAMING; k++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct udrv_stub_alloc a;
			struct buf *b;
			int ret;

			/*
			 * Without an IOMMU both kinds need physically
			 * contiguous RAM below 256 MiB: 4 MiB may not be there.
			 */
			if (!iommu && sizes[i] > 1 * MIB) {
				ret = alloc_raw(k, sizes[i], &a);
				printf("  %-9s %8" PRIu64 " B: %s\n", kind_name[k], sizes[i],
				       ret ? strerror(-ret) : "allocated");
				assert_true(ret == 0 || ret == -ENOMEM);
				if (!ret)
					close(a.fd);
				continue;
			}
			b = buf_alloc(k, sizes[i], 1);
			assert_int_equal(dev_attr("dma_buffers"), 1);
			printf("  %-9s %8" PRIu64 " B: %4u segment(s), first at %#010" PRIx64
			       ", last ends at %#010" PRIx64 "\n", kind_name[k], b->size,
			       b->nsegs, (uint64_t)b->segs[0].dma_addr,
			       (uint64_t)(b->segs[b->nsegs - 1].dma_addr +
					  b->segs[b->nsegs - 1].len));
			/* Behind an IOMMU a streaming buffer is one IOVA range. */
			if (iommu)
				assert_int_equal(b->nsegs, 1);
			if (!all_zero(b->map, b->size))
				fail_msg("%s buffer of %" PRIu64 " bytes not zeroed",
					 kind_name[k], b->size);
			fill_random(b->map, b->size);
			buf_free(b);
			assert_int_equal(dev_attr("dma_buffers"), 0);
		}
	}
}

static void test_edu_roundtrip(void **state)
{
	static const uint64_t sizes[] = { 4 * KIB, 64 * KIB, 1 * MIB };
	unsigned int k, i;

	(void)state;
	for (k = COHERENT; k <= STREAMING; k++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			struct buf *b = buf_alloc(k, sizes[i], 1);

			roundtrip(b, 0, EDU_DMA_MAX);
			roundtrip(b, b->size - EDU_DMA_MAX, EDU_DMA_MAX);
			if (b->size > 2 * EDU_DMA_MAX)
				roundtrip(b, b->size / 2 + PAGE, 1000);
			printf("  %-9s %8" PRIu64 " B: round trips via %#010" PRIx64
			       " and %#010" PRIx64 " ok\n", kind_name[k], b->size,
			       dma_at(b, 0, EDU_DMA_MAX),
			       dma_at(b, b->size - EDU_DMA_MAX, EDU_DMA_MAX));
			buf_free(b);
		}
	}
}

/*
 * GET_SEGMENTS with UDRV_STUB_SEGMENTS_IMPORTER attaches the device to the
 * dma-buf the way an importing driver does: map_dma_buf builds and maps a
 * second view.  Without an IOMMU it is the same physical ranges; with one,
 * a second IOVA range, necessarily different while the first is mapped.
 */
static void test_importer_view(void **state)
{
	struct buf *c = buf_alloc(COHERENT, 64 * KIB, 1);
	struct buf *b = buf_alloc(STREAMING, 256 * KIB, 1);
	struct udrv_stub_segment segs[128];
	uint32_t n = 128, i;
	int ret;

	(void)state;
	/* Coherent memory cannot be described as pages: not importable. */
	assert_int_equal(get_segments(c->fd, UDRV_STUB_SEGMENTS_IMPORTER, segs, &n),
			 -EOPNOTSUPP);
	buf_free(c);

	n = 128;
	ret = get_segments(b->fd, UDRV_STUB_SEGMENTS_IMPORTER, segs, &n);
	if (ret == -ENOBUFS && bounce) {
		/* A 28-bit device in a guest with more RAM: the pool may lie beyond it. */
		printf("  streaming: importer mapping refused with ENOBUFS: it would bounce "
		       "through swiotlb, which edu may not reach\n");
		roundtrip(b, 0, EDU_DMA_MAX);
		buf_free(b);
		return;
	}
	if (ret)
		fail_msg("importer view: %s", strerror(-ret));
	assert_true(n >= 1 && n <= 128);
	check_segments(segs, n, b->size);
	printf("  streaming: own mapping %u segment(s) at %#010" PRIx64
	       ", importer mapping %u segment(s) at %#010" PRIx64 "%s\n",
	       b->nsegs, (uint64_t)b->segs[0].dma_addr, n, (uint64_t)segs[0].dma_addr,
	       bounce ? " (bounced)" : "");
	if (iommu) {
		assert_int_equal(n, 1);
		assert_true(segs[0].dma_addr != b->segs[0].dma_addr);
	} else if (!bounce) {
		/* The same pages, cut at most into the importer's limits. */
		uint64_t at = b->segs[0].dma_addr;

		for (i = 0; i < n; i++) {
			assert_true(segs[i].dma_addr == at);
			at += segs[i].len;
		}
	} else {
		/* swiotlb=force: every piece is a bounce slot, not the buffer. */
		for (i = 0; i < n; i++)
			assert_true(segs[i].dma_addr < b->segs[0].dma_addr ||
				    segs[i].dma_addr >= b->segs[0].dma_addr + b->size);
	}
	/* The importer mapping is gone again: the buffer still works. */
	roundtrip(b, 0, EDU_DMA_MAX);
	buf_free(b);
}

static void test_bad_ioctls(void **state)
{
	struct {
		struct udrv_stub_alloc a;
		uint64_t extra;
	} big;
	struct udrv_stub_alloc a;
	struct udrv_stub_dma_mask m;
	struct udrv_stub_segment seg;
	struct buf *b;
	uint32_t n;
	char path[256];
	int x = 0;

	(void)state;
	/* Unknown ioctls. */
	assert_int_equal(xioctl(ctl, _IO(UDRV_STUB_IOCTL_TYPE, 0x7f), &x), -ENOTTY);
	assert_int_equal(xioctl(ctl, _IOR('x', 1, int), &x), -ENOTTY);
	assert_int_equal(xioctl(ctl, UDRV_STUB_ALLOC_COHERENT, NULL), -EFAULT);

	/* argsz too short. */
	for (x = 0; x < 3; x++) {
		static const uint32_t shorts[] = { 0, 4, sizeof(a) - 1 };

		memset(&a, 0, sizeof(a));
		a.argsz = shorts[x];
		a.size = PAGE;
		assert_int_equal(xioctl(ctl, UDRV_STUB_ALLOC_STREAMING, &a), -EINVAL);
		m.argsz = shorts[x] < sizeof(m) ? shorts[x] : 4;
		assert_int_equal(xioctl(ctl, UDRV_STUB_GET_DMA_MASK, &m), -EINVAL);
	}

	/* argsz larger than the kernel knows: zero tail fine, else E2BIG. */
	memset(&big, 0, sizeof(big));
	big.a.argsz = sizeof(big);
	big.a.size = PAGE;
	assert_int_equal(xioctl(ctl, UDRV_STUB_ALLOC_COHERENT, &big), 0);
	assert_true(big.a.fd >= 0);
	close(big.a.fd);
	big.extra = 1;
	big.a.fd = -1;
	assert_int_equal(xioctl(ctl, UDRV_STUB_ALLOC_COHERENT, &big), -E2BIG);
	big.a.argsz = 4097;
	assert_int_equal(xioctl(ctl, UDRV_STUB_ALLOC_COHERENT, &big), -E2BIG);
	big.a.argsz = UINT32_MAX;
	assert_int_equal(xioctl(ctl, UDRV_STUB_ALLOC_COHERENT, &big), -E2BIG);

	/* Flags, sizes. */
	for (x = COHERENT; x <= STREAMING; x++) {
		memset(&a, 0, sizeof(a));
		a.argsz = sizeof(a);
		a.size = PAGE;
		a.flags = 1;
		assert_int_equal(xioctl(ctl, x == COHERENT ? UDRV_STUB_ALLOC_COHERENT :
					UDRV_STUB_ALLOC_STREAMING, &a), -EINVAL);
		assert_int_equal(alloc_raw(x, 0, &a), -EINVAL);
		assert_int_equal(alloc_raw(x, 64 * MIB + 1, &a), -E2BIG);
		assert_int_equal(alloc_raw(x, UINT64_MAX, &a), -E2BIG);
		assert_int_equal(a.fd, -1);
	}

	/* Beyond what a 28-bit device can address: ENOMEM, without trying. */
	snprintf(path, sizeof(path), "/sys/module/udrv_stub/parameters/max_buffer_mb");
	assert_int_equal(sysfs_write(path, "0"), -EINVAL);
	assert_int_equal(sysfs_write(path, "65537"), -EINVAL);
	assert_int_equal(sysfs_write(path, "512"), 0);
	assert_int_equal(alloc_raw(COHERENT, 300 * MIB, &a), -ENOMEM);
	assert_int_equal(alloc_raw(STREAMING, 300 * MIB, &a), -ENOMEM);
	assert_int_equal(sysfs_write(path, "64"), 0);
	assert_int_equal(sysfs_long(path), 64);
	assert_int_equal(dev_attr("dma_buffers"), 0);

	/* GET_SEGMENTS on things that are not our buffers, bad flags. */
	n = 1;
	assert_int_equal(get_segments(-1, 0, &seg, &n), -EBADF);
	assert_int_equal(get_segments(ctl, 0, &seg, &n), -EINVAL);
	b = buf_alloc(STREAMING, 64 * KIB, 0);
	assert_int_equal(get_segments(b->fd, 2, &seg, &n), -EINVAL);
	/* Room for none: only the count comes back. */
	n = 0;
	memset(&seg, 0xa5, sizeof(seg));
	assert_int_equal(get_segments(b->fd, 0, &seg, &n), 0);
	assert_int_equal(n, b->nsegs);
	assert_true(seg.len == 0xa5a5a5a5a5a5a5a5ULL);
	/* Room for one: the first, and the full count. */
	n = 1;
	assert_int_equal(get_segments(b->fd, 0, &seg, &n), 0);
	assert_int_equal(n, b->nsegs);
	assert_true(seg.dma_addr == b->segs[0].dma_addr && seg.len == b->segs[0].len);
	/* DMA_BUF_IOCTL_SYNC with bad flags is the dma-buf core's EINVAL. */
	{
		struct dma_buf_sync s = { .flags = ~0ULL };

		assert_int_equal(xioctl(b->fd, DMA_BUF_IOCTL_SYNC, &s), -EINVAL);
	}
	buf_free(b);
}

static void test_bad_mmap(void **state)
{
	unsigned int k;

	(void)state;
	for (k = COHERENT; k <= STREAMING; k++) {
		struct buf *b = buf_alloc(k, 2 * PAGE, 1);
		uint8_t *p;

		/* Past the end, offset at or beyond the end, unaligned offset. */
		assert_true(mmap(NULL, 3 * PAGE, PROT_READ, MAP_SHARED, b->fd, 0) == MAP_FAILED);
		assert_int_equal(errno, EINVAL);
		assert_true(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, b->fd, 2 * PAGE) == MAP_FAILED);
		assert_int_equal(errno, EINVAL);
		assert_true(mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, b->fd, PAGE) == MAP_FAILED);
		assert_int_equal(errno, EINVAL);
		assert_true(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, b->fd, 100) == MAP_FAILED);
		assert_int_equal(errno, EINVAL);
		assert_true(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, b->fd, 1ULL << 40) == MAP_FAILED);
		assert_int_equal(errno, EINVAL);
		/* A private copy of a DMA buffer is refused. */
		assert_true(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, b->fd, 0) == MAP_FAILED);
		assert_int_equal(errno, EINVAL);

		/* A valid nonzero offset maps the second page. */
		memset(b->map, 0x11, PAGE);
		memset(b->map + PAGE, 0x22, PAGE);
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, PAGE);
		assert_true(p != MAP_FAILED);
		assert_int_equal(p[0], 0x22);
		assert_int_equal(p[PAGE - 1], 0x22);
		p[7] = 0x33;
		assert_int_equal(b->map[PAGE + 7], 0x33);
		/* It cannot grow past what was checked. */
		assert_true(mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED);
		munmap(p, PAGE);
		buf_free(b);
	}
}

/* The mapping keeps the buffer: close the fd, keep using memory and DMA. */
static void test_close_while_mapped(void **state)
{
	unsigned int k;

	(void)state;
	for (k = COHERENT; k <= STREAMING; k++) {
		struct buf *b = buf_alloc(k, 64 * KIB, 1);

		buf_close_fd(b);
		assert_int_equal(dev_attr("dma_buffers"), 1);
		fill_random(b->map, b->size);
		roundtrip(b, 0, EDU_DMA_MAX);
		roundtrip(b, b->size - EDU_DMA_MAX, EDU_DMA_MAX);
		buf_unmap(b);
		assert_int_equal(dev_attr("dma_buffers"), 0);
		buf_free(b);
	}
}

static int quiesce(uint32_t *how, uint32_t *freed)
{
	struct udrv_stub_quiesce q = { .argsz = sizeof(q) };
	int ret = xioctl(ctl, UDRV_STUB_QUIESCE, &q);

	if (how)
		*how = q.how;
	if (freed)
		*freed = q.freed;
	return ret;
}

static void wait_quarantine_empty(void)
{
	int i;

	for (i = 0; i < 500 && dev_attr("dma_quarantined"); i++)
		usleep(10000);
	assert_int_equal(dev_attr("dma_quarantined"), 0);
}

#define PATTERN(i)	((uint8_t)(0x80 | ((i) * 37 + 11)))	/* never 0 */

/*
 * The child: two buffers, edu's buffer filled with a pattern of non-zero
 * bytes by a first DMA, then edu -> RAM into one of the buffers started
 * (it runs about 100 ms later) and the child killed at once.  It tells the
 * parent the target's bus address first.
 */
static void kill_child(int wfd, unsigned int iter)
{
	struct buf *c, *s, *t;
	uint64_t target;
	size_t i;

	if (uio < 0)
		open_uio();
	c = buf_alloc(COHERENT, 4 * KIB, 1);
	s = buf_alloc(STREAMING, 4 * KIB, 1);
	for (i = 0; i < EDU_DMA_MAX; i++)
		c->map[i] = PATTERN(i);
	edu_dma(c->dma_addr, EDU_BUF, EDU_DMA_MAX, 0);		/* RAM -> edu */
	t = iter % 2 ? s : c;
	target = t->dma_addr;
	if (iter % 4 >= 2) {
		buf_close_fd(t);	/* released before the kill... */
		buf_unmap(t);		/* ... while the device runs */
	}
	if (write(wfd, &target, sizeof(target)) != sizeof(target))
		_exit(2);
	reg64(EDU_DMA_SRC, EDU_BUF);
	reg64(EDU_DMA_DST, target);
	reg64(EDU_DMA_CNT, EDU_DMA_MAX);
	*(volatile uint32_t *)(bar0 + EDU_DMA_CMD) = EDU_CMD_TO_RAM | EDU_CMD_START;
	kill(getpid(), SIGKILL);
	_exit(1);
}

/* Fresh buffers: none may overlap the pending DMA's target. */
static int fresh_alloc(struct buf **bufs, int n, uint64_t target)
{
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		bufs[i] = buf_alloc(i % 2, i < 2 ? 64 * KIB : 4 * KIB, 1);
		if (target >= bufs[i]->dma_addr && target < bufs[i]->dma_addr + bufs[i]->size) {
			printf("  fresh %s buffer at %#" PRIx64 " overlaps the pending DMA's target %#"
			       PRIx64 "\n", kind_name[i % 2], bufs[i]->dma_addr, target);
			bad++;
		}
	}
	return bad;
}

/* Count the non-zero bytes of fresh (zeroed) buffers, and free them. */
static long fresh_check(struct buf **bufs, int n)
{
	long dirty = 0;
	uint64_t j;
	int i;

	for (i = 0; i < n; i++) {
		if (bufs[i]->kind == STREAMING)
			buf_sync(bufs[i], DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ);
		for (j = 0; j < bufs[i]->size; j++)
			dirty += bufs[i]->map[j] != 0;
		buf_free(bufs[i]);
	}
	return dirty;
}

#define FRESH	6

/*
 * One configuration of the kill test.  @holder: this process keeps
 * /dev/uioN open throughout (a second opener: bus mastering never goes
 * off).  Without it, this process opens /dev/uioN right after the kill,
 * so bus mastering is back on before edu performs the DMA.  Every tenth
 * iteration lets the quarantine go first (a drain, or QUIESCE) and then
 * allocates fresh buffers that may reuse its memory and bus addresses.
 */
static void kill_test(int holder, unsigned int iterations)
{
	long dirty = 0, helper_dirty = 0;
	unsigned int iter, drained = 0, max_q = 0;
	int overlaps = 0;

	if (holder && uio < 0)
		open_uio();
	if (!holder) {
		close_uio();
		/*
		 * Each SET_MASTER on completes the drain the previous last
		 * close started: keep it short.
		 */
		assert_int_equal(sysfs_write("/sys/module/udrv_stub/parameters/quiesce_ms",
					     "200"), 0);
	}
	for (iter = 0; iter < iterations; iter++) {
		struct buf *fresh[FRESH];
		uint64_t target;
		int fds[2], status;
		pid_t pid, helper;
		int drain = iter % 10 == 9;

		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			kill_child(fds[1], iter);
		}
		close(fds[1]);
		assert_int_equal(read(fds[0], &target, sizeof(target)), sizeof(target));
		close(fds[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		if ((unsigned int)dev_attr("dma_quarantined") > max_q)
			max_q = dev_attr("dma_quarantined");
		assert_true(dev_attr("dma_quarantined") >= 2);

		if (drain) {
			uint32_t how, freed;

			if (holder) {
				/* Stops the device: the pending DMA is dropped. */
				assert_int_equal(quiesce(&how, &freed), 0);
				assert_int_equal(how, UDRV_STUB_QUIESCED_DRAINED);
				assert_true(freed >= 2);
			} else {
				wait_quarantine_empty();
			}
			assert_int_equal(dev_attr("dma_quarantined"), 0);
			drained++;
		}

		/* A second process allocates too, and checks after the DMA. */
		helper = fork();
		assert_true(helper >= 0);
		if (helper == 0) {
			struct buf *mine[FRESH];
			int bad = fresh_alloc(mine, FRESH, drain ? ~0ULL : target);

			/* Drained meanwhile (quiesce_ms is short here): no overlap to judge. */
			if (bad && dev_attr("dma_quarantined") < 2)
				bad = 0;

			usleep(300 * 1000);
			_exit(bad ? 255 : (int)(fresh_check(mine, FRESH) > 0));
		}
		{
			int bad = fresh_alloc(fresh, FRESH, drain ? ~0ULL : target);

			/*
			 * An overlap is a fault only if the target was still
			 * quarantined when the fresh buffers were allocated: the
			 * quarantine is freed all at once, by a drain that may
			 * complete first on a slow kernel (quiesce_ms 200).
			 */
			if (dev_attr("dma_quarantined") >= 2)
				overlaps += bad;
		}
		if (!holder)
			open_uio();		/* bus mastering on again */
		usleep(250 * 1000);		/* edu's DMA runs 100 ms after start */
		edu_wait();
		dirty += fresh_check(fresh, FRESH);
		assert_int_equal(waitpid(helper, &status, 0), helper);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) == 255)
			overlaps++;
		else
			helper_dirty += WEXITSTATUS(status);
		if (!holder)
			close_uio();	/* last close: quiesce */
	}
	/* Let the rest go: everything is freed. */
	if (!holder) {
		assert_int_equal(sysfs_write("/sys/module/udrv_stub/parameters/quiesce_ms",
					     "1000"), 0);
		open_uio();
	}
	assert_int_equal(quiesce(NULL, NULL), 0);
	assert_int_equal(dev_attr("dma_quarantined"), 0);
	assert_int_equal(dev_attr("dma_buffers"), 0);
	printf("  %u kills mid-DMA, %s: %ld non-zero bytes in fresh buffers here, %ld helper "
	       "processes saw any, %d fresh buffers at a pending target; up to %u buffers "
	       "quarantined, %u times freed before fresh allocations\n", iterations,
	       holder ? "a second process holding /dev/uioN" : "no other opener", dirty,
	       helper_dirty, overlaps, max_q, drained);
	assert_int_equal(dirty, 0);
	assert_int_equal(helper_dirty, 0);
	assert_int_equal(overlaps, 0);
}

static void test_kill_mid_dma(void **state)
{
	const char *env = getenv("UDRV_TEST_KILLS");
	unsigned int n = env ? (unsigned int)atoi(env) : 100;

	(void)state;
	kill_test(0, n);
	kill_test(1, n);
}

/*
 * Buffers freed while the device runs are quarantined (with their bus
 * address), count against max_pinned_mb, and come back with QUIESCE,
 * which turns bus mastering back on as SET_MASTER had it.
 */
static void test_quarantine_quiesce(void **state)
{
	char path[300];
	struct buf *b;
	uint32_t how, freed;
	struct udrv_stub_alloc a;
	uint8_t cmd[2];
	int fd;

	(void)state;
	assert_int_equal(quiesce(NULL, NULL), 0);
	assert_int_equal(dev_attr("dma_pinned_kb"), 0);
	b = buf_alloc(COHERENT, 64 * KIB, 1);
	assert_int_equal(dev_attr("dma_pinned_kb"), 64);
	buf_free(b);
	assert_int_equal(dev_attr("dma_buffers"), 0);
	assert_int_equal(dev_attr("dma_quarantined"), 1);
	assert_int_equal(dev_attr("dma_pinned_kb"), 64);

	/* The quarantine counts: max_pinned_mb=1 leaves 960 KiB. */
	assert_int_equal(sysfs_write("/sys/module/udrv_stub/parameters/max_pinned_mb", "1"), 0);
	assert_int_equal(alloc_raw(STREAMING, 1 * MIB, &a), -ENOSPC);
	b = buf_alloc(STREAMING, 960 * KIB, 0);
	buf_free(b);
	assert_int_equal(alloc_raw(COHERENT, PAGE, &a), -ENOSPC);
	assert_int_equal(sysfs_write("/sys/module/udrv_stub/parameters/max_pinned_mb", "256"), 0);

	assert_int_equal(quiesce(&how, &freed), 0);
	assert_int_equal(how, UDRV_STUB_QUIESCED_DRAINED);	/* edu has no reset */
	assert_int_equal(freed, 2);
	assert_int_equal(dev_attr("dma_quarantined"), 0);
	assert_int_equal(dev_attr("dma_pinned_kb"), 0);

	/* SET_MASTER had it on: bus mastering is back on, DMA works. */
	snprintf(path, sizeof(path), "%s/config", dev_dir);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, cmd, 2, 4), 2);
	close(fd);
	assert_true(cmd[0] & 0x4);
	b = buf_alloc(STREAMING, 64 * KIB, 1);
	roundtrip(b, 0, EDU_DMA_MAX);
	buf_free(b);

	/* With /dev/uioN closed the device is quiet: freed at once. */
	close_uio();
	wait_quarantine_empty();
	b = buf_alloc(COHERENT, 64 * KIB, 1);
	buf_free(b);
	assert_int_equal(dev_attr("dma_quarantined"), 0);
	assert_int_equal(dev_attr("dma_pinned_kb"), 0);
	open_uio();
	printf("  freed while running: quarantined; QUIESCE: drained, %u freed\n", freed);
}

static void test_alloc_free_cycles(void **state)
{
	static const uint64_t sizes[] = { 4 * KIB, 64 * KIB, 256 * KIB };
	long before, after;
	int i;

	(void)state;
	/*
	 * With /dev/uioN closed and the device drained, a released buffer is
	 * freed at once; with it open it would be quarantined.
	 */
	close_uio();
	wait_quarantine_empty();
	/* Warm up caches (slab, IOVA magazines) before the baseline. */
	for (i = 0; i < 20; i++)
		buf_free(buf_alloc(i % 2, sizes[i % 3], 1));
	before = memfree_kib();

	for (i = 0; i < 1000; i++) {
		struct buf *b = buf_alloc(i % 2, sizes[i % 3], 1);
		uint64_t off;

		for (off = 0; off < b->size; off += PAGE)
			b->map[off] = (uint8_t)i;	/* fault every page in */
		if (i % 3 == 0) {
			buf_close_fd(b);		/* mapping outlives the fd */
			buf_unmap(b);
		}
		buf_free(b);
	}
	after = memfree_kib();
	printf("  1000 alloc/mmap/free cycles: MemFree %ld kB before, %ld kB after (%+ld kB)\n",
	       before, after, after - before);
	assert_int_equal(dev_attr("dma_buffers"), 0);
	assert_true(labs(after - before) < 4096);

	/*
	 * The figure does see buffer memory: hold 16 MiB, then let go.  With
	 * a 32-bit mask, as below 256 MiB only the 16 MiB DMA zone is left
	 * to a 28-bit device without an IOMMU (no DMA is done here).
	 */
	set_mask(ctl, 32);
	{
		struct buf *held[16];
		long during, end;

		for (i = 0; i < 16; i++) {
			uint64_t off;

			held[i] = buf_alloc(i % 2, 1 * MIB, 1);
			for (off = 0; off < held[i]->size; off += PAGE)
				held[i]->map[off] = 1;
		}
		during = memfree_kib();
		for (i = 0; i < 16; i++)
			buf_free(held[i]);
		end = memfree_kib();
		printf("  holding 16 x 1 MiB: MemFree %ld kB (%+ld kB), after freeing %ld kB (%+ld kB)\n",
		       during, during - after, end, end - after);
		assert_true(after - during > 12 * 1024);
		assert_true(labs(end - after) < 4096);
	}
	set_mask(ctl, 28);
	assert_int_equal(dev_attr("dma_quarantined"), 0);
	open_uio();
}

/* Does touching @p kill a process with SIGBUS? */
static sigjmp_buf touch_env;

static void touch_handler(int sig)
{
	siglongjmp(touch_env, sig);
}

/*
 * Read the first byte of a mapping; true if that raised SIGBUS.  In this
 * process: a stub DMA buffer's mapping is not inherited by fork() children.
 */
static int touch_sigbus(volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = touch_handler }, old;
	volatile int sig;

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGBUS, &sa, &old), 0);	/* not cmocka's handler */
	sig = sigsetjmp(touch_env, 1);
	if (!sig)
		(void)p[0];
	assert_int_equal(sigaction(SIGBUS, &old, NULL), 0);
	return sig == SIGBUS;
}

/*
 * Unbind the device with buffers alive in every state: mapped with the fd
 * closed, mapped with the fd open, fd only, and quarantined.  remove()
 * takes all of them away before it returns (no DMA API call after it):
 * mappings raise SIGBUS, mmap and sync fail with ENODEV, the control fd
 * turns to ENODEV; bind again and carry on.
 */
static void test_unbind_while_mapped(void **state)
{
	struct udrv_stub_dma_mask m = { .argsz = sizeof(m) };
	struct udrv_stub_alloc a;
	struct udrv_stub_segment seg;
	struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW };
	struct buf *mc, *ms, *fc, *fs, *q;
	struct stat st;
	uint32_t n = 1;
	int i;

	(void)state;
	mc = buf_alloc(COHERENT, 64 * KIB, 1);
	ms = buf_alloc(STREAMING, 64 * KIB, 1);
	fc = buf_alloc(COHERENT, 64 * KIB, 0);
	fs = buf_alloc(STREAMING, 64 * KIB, 0);
	q = buf_alloc(STREAMING, 64 * KIB, 1);
	buf_free(q);			/* quarantined: /dev/uioN is open */
	buf_close_fd(mc);
	roundtrip(ms, 0, EDU_DMA_MAX);
	memset(mc->map, 0x5c, mc->size);
	assert_int_equal(dev_attr("dma_buffers"), 4);
	assert_true(dev_attr("dma_quarantined") >= 1);
	assert_false(touch_sigbus(mc->map));

	assert_int_equal(sysfs_write("/sys/bus/pci/drivers/udrv_stub/unbind", edu), 0);

	/* The control device is gone; its open fd fails cleanly. */
	assert_int_equal(stat(ctl_path, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(xioctl(ctl, UDRV_STUB_GET_DMA_MASK, &m), -ENODEV);
	assert_int_equal(alloc_raw(COHERENT, PAGE, &a), -ENODEV);
	assert_int_equal(get_segments(ms->fd, 0, &seg, &n), -ENODEV);
	assert_int_equal(quiesce(NULL, NULL), -ENODEV);

	/* The memory is gone: mappings revoked, no new ones, no syncs. */
	assert_true(touch_sigbus(mc->map));
	assert_true(touch_sigbus(ms->map));
	assert_int_equal(xioctl(ms->fd, DMA_BUF_IOCTL_SYNC, &sync), -ENODEV);
	assert_true(mmap(NULL, fc->size, PROT_READ, MAP_SHARED, fc->fd, 0) == MAP_FAILED);
	assert_int_equal(errno, ENODEV);
	assert_true(mmap(NULL, fs->size, PROT_READ, MAP_SHARED, fs->fd, 0) == MAP_FAILED);
	assert_int_equal(errno, ENODEV);

	/* The fds and VMAs are empty shells, closed in any order. */
	buf_free(fc);
	buf_free(fs);
	buf_close_fd(ms);
	buf_free(mc);
	buf_free(ms);
	close(ctl);
	ctl = -1;
	close_uio();
	printf("  unbound with 4 live buffers and a quarantined one: mappings SIGBUS, "
	       "mmap/sync/ioctls ENODEV\n");

	/* Bind again: a new control device, and everything works. */
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers_probe", edu), 0);
	for (i = 0; i < 500 && stat(ctl_path, &st); i++)
		usleep(10000);
	assert_int_equal(stat(ctl_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(S_ISCHR(st.st_mode));
	open_ctl();
	open_uio();
	assert_int_equal(dev_attr("dma_buffers"), 0);
	assert_int_equal(dev_attr("dma_quarantined"), 0);
	{
		struct buf *b = buf_alloc(STREAMING, 64 * KIB, 1);

		roundtrip(b, 0, EDU_DMA_MAX);
		buf_free(b);
	}
	printf("  bound again: /dev/udrv/%s back, DMA works\n", edu);
}

static int wait_path(const char *path, int present)
{
	struct stat st;
	int i;

	for (i = 0; i < 500; i++) {
		if ((stat(path, &st) == 0) == present)
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * Delete the pci_dev under live buffers (what a hot-unplug does), as
 * opposed to unbinding it: the same, remove() frees everything first.
 * Then rescan, bind again and carry on.
 */
static void test_hot_remove_while_mapped(void **state)
{
	struct buf *c, *s, *cu;
	char path[300];
	long before, after;

	(void)state;
	before = memfree_kib();
	c = buf_alloc(COHERENT, 64 * KIB, 1);
	s = buf_alloc(STREAMING, 64 * KIB, 1);
	cu = buf_alloc(COHERENT, 64 * KIB, 0);
	roundtrip(c, 0, EDU_DMA_MAX);
	roundtrip(s, 0, EDU_DMA_MAX);
	close_uio();

	snprintf(path, sizeof(path), "%s/remove", dev_dir);
	assert_int_equal(sysfs_write(path, "1"), 0);
	assert_int_equal(wait_path(dev_dir, 0), 0);
	assert_int_equal(wait_path(ctl_path, 0), 0);

	assert_true(touch_sigbus(c->map));
	assert_true(touch_sigbus(s->map));
	assert_true(mmap(NULL, cu->size, PROT_READ, MAP_SHARED, cu->fd, 0) == MAP_FAILED);
	assert_int_equal(errno, ENODEV);
	buf_free(cu);
	buf_free(c);
	buf_free(s);
	close(ctl);
	ctl = -1;
	after = memfree_kib();
	printf("  device deleted with 3 live buffers: mappings SIGBUS, mmap ENODEV, MemFree %+ld kB\n",
	       after - before);

	/* Back: rescan, bind to udrv_stub again, DMA works. */
	assert_int_equal(sysfs_write("/sys/bus/pci/rescan", "1"), 0);
	assert_int_equal(wait_path(dev_dir, 1), 0);
	snprintf(path, sizeof(path), "%s/driver_override", dev_dir);
	assert_int_equal(sysfs_write(path, "udrv_stub"), 0);
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers_probe", edu), 0);
	assert_int_equal(wait_path(ctl_path, 1), 0);
	open_ctl();
	open_uio();
	{
		struct buf *b = buf_alloc(COHERENT, 64 * KIB, 1);

		roundtrip(b, 0, EDU_DMA_MAX);
		buf_free(b);
	}
	printf("  rescanned and bound again: DMA works\n");
}

static int setup(void **state)
{
	struct stat st;

	(void)state;
	if (stat(ctl_path, &st)) {
		fprintf(stderr, "vm_stub_dma: %s: %s\n", ctl_path, strerror(errno));
		return -1;
	}
	if (!S_ISCHR(st.st_mode) || (st.st_mode & 0777) != 0600) {
		fprintf(stderr, "vm_stub_dma: %s is not a mode 0600 char device\n", ctl_path);
		return -1;
	}
	open_ctl();
	open_uio();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close_uio();
	if (ctl >= 0)
		close(ctl);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dma_mask),
		cmocka_unit_test(test_alloc_sizes),
		cmocka_unit_test(test_edu_roundtrip),
		cmocka_unit_test(test_importer_view),
		cmocka_unit_test(test_bad_ioctls),
		cmocka_unit_test(test_bad_mmap),
		cmocka_unit_test(test_close_while_mapped),
		cmocka_unit_test(test_quarantine_quiesce),
		cmocka_unit_test(test_kill_mid_dma),
		cmocka_unit_test(test_alloc_free_cycles),
		cmocka_unit_test(test_unbind_while_mapped),
		cmocka_unit_test(test_hot_remove_while_mapped),
	};
	const char *profile = getenv("UDRV_VM_PROFILE");
	char path[256];
	struct stat st;

	edu = getenv("UDRV_EDU");
	if (!edu || !profile) {
		fprintf(stderr, "vm_stub_dma: UDRV_EDU and UDRV_VM_PROFILE unset: run me under udrv-vm\n");
		return 77;
	}
	if (strcmp(profile, "stub")) {
		fprintf(stderr, "vm_stub_dma: needs profile stub, not %s\n", profile);
		return 77;
	}
	snprintf(ctl_path, sizeof(ctl_path), "/dev/udrv/%s", edu);
	snprintf(dev_dir, sizeof(dev_dir), "/sys/bus/pci/devices/%s", edu);
	snprintf(path, sizeof(path), "%s/iommu_group", dev_dir);
	iommu = stat(path, &st) == 0;
	{
		char cmdline[1024] = "";
		FILE *f = fopen("/proc/cmdline", "r");

		if (f) {
			if (!fgets(cmdline, sizeof(cmdline), f))
				cmdline[0] = '\0';
			fclose(f);
		}
		bounce = !iommu && strstr(cmdline, "swiotlb=") && strstr(cmdline, "force");
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vm_stub_dma: edu %s, %s IOMMU%s, 28-bit DMA mask\n", edu, iommu ? "behind an" : "no",
	       bounce ? ", swiotlb=force" : "");
	return cmocka_run_group_tests(tests, setup, teardown);
}
