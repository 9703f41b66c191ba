// SPDX-License-Identifier: MIT
/*
 * udrv_stub DMA buffers, in the udrv-vm guest with profile stub, without
 * (meson test "stub-dma") and with an IOMMU ("stub-dma-iommu").  Raw
 * ioctls on /dev/udrv/<edu address> through the UAPI header
 * kmod/uapi/udrv_stub.h; the device is QEMU's edu, whose DMA engine
 * reaches 28 bits and copies up to 4 KiB (4095 bytes, see EDU_DMA_MAX)
 * between RAM and its own buffer at 0x40000:
 *   0x80 source, 0x88 destination, 0x90 count (64-bit registers),
 *   0x98 command: bit 0 start (reads 1 while running), bit 1 edu->RAM.
 * Bus mastering is on while /dev/uioN is open, so every DMA here happens
 * with it open and BAR0 mapped through it.
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
#include <udrv_stub.h>

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

static long memfree_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
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

			/* dma-direct needs 4 MiB of physically contiguous RAM below 256 MiB. */
			if (k == COHERENT && !iommu && sizes[i] > 1 * MIB) {
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
	unsigned int k;

	(void)state;
	for (k = COHERENT; k <= STREAMING; k++) {
		struct buf *b = buf_alloc(k, 256 * KIB, 1);
		struct udrv_stub_segment segs[128];
		uint32_t n = 128;

		assert_int_equal(get_segments(b->fd, UDRV_STUB_SEGMENTS_IMPORTER, segs, &n), 0);
		assert_true(n >= 1 && n <= 128);
		check_segments(segs, n, b->size);
		printf("  %-9s: own mapping %u segment(s) at %#010" PRIx64
		       ", importer mapping %u segment(s) at %#010" PRIx64 "\n",
		       kind_name[k], b->nsegs, (uint64_t)b->segs[0].dma_addr, n,
		       (uint64_t)segs[0].dma_addr);
		if (iommu) {
			assert_int_equal(n, 1);
			assert_true(segs[0].dma_addr != b->segs[0].dma_addr);
		} else {
			uint32_t i;

			assert_int_equal(n, b->nsegs);
			for (i = 0; i < n; i++) {
				assert_true(segs[i].dma_addr == b->segs[i].dma_addr);
				assert_true(segs[i].len == b->segs[i].len);
			}
		}
		/* The importer mapping is gone again: the buffer still works. */
		roundtrip(b, 0, EDU_DMA_MAX);
		buf_free(b);
	}
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

/*
 * A process dies with a DMA in flight into its buffers.  It is the only
 * user of /dev/uioN here, so its exit turns bus mastering off; its buffers
 * are released by the exit itself.
 */
static void test_process_dies_mid_dma(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	close_uio();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct buf *c, *s;

		open_uio();
		c = buf_alloc(COHERENT, 64 * KIB, 1);
		s = buf_alloc(STREAMING, 64 * KIB, 1);
		buf_close_fd(c);	/* one held by its mapping only */
		fill_random(c->map, c->size);
		edu_dma(c->dma_addr, EDU_BUF, EDU_DMA_MAX, 0);
		/* Start edu -> RAM into the streaming buffer and die. */
		reg64(EDU_DMA_SRC, EDU_BUF);
		reg64(EDU_DMA_DST, s->segs[0].dma_addr);
		reg64(EDU_DMA_CNT, EDU_DMA_MAX);
		*(volatile uint32_t *)(bar0 + EDU_DMA_CMD) = EDU_CMD_TO_RAM | EDU_CMD_START;
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(dev_attr("dma_buffers"), 0);
	assert_int_equal(dev_attr("mappings"), 0);

	/*
	 * The DMA the child started is still pending in edu (it runs 100 ms
	 * after the command), aimed at memory that was freed with the child.
	 * Bus mastering is off, so it goes nowhere, unless someone turns it
	 * back on first: opening /dev/uioN now would let it write into freed
	 * pages (behind an IOMMU: a DMAR fault on the unmapped IOVA).  The
	 * BAR cannot be read without /dev/uioN (the sysfs resource file is
	 * refused while the stub owns the BAR), so give edu ten times its
	 * delay, then check it is done the moment bus mastering is back.
	 */
	usleep(1000 * 1000);
	open_uio();
	assert_false(*(volatile uint32_t *)(bar0 + EDU_DMA_CMD) & EDU_CMD_START);
	printf("  child killed mid-DMA: its DMA ended while bus mastering was off\n");

	/* The device and the driver carry on. */
	{
		struct buf *b = buf_alloc(STREAMING, 64 * KIB, 1);

		roundtrip(b, 0, EDU_DMA_MAX);
		buf_free(b);
	}
	printf("  child killed mid-DMA: buffers released, device still works\n");
}

static void test_alloc_free_cycles(void **state)
{
	static const uint64_t sizes[] = { 4 * KIB, 64 * KIB, 256 * KIB };
	long before, after;
	int i;

	(void)state;
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
}

/*
 * Unbind the device with buffers alive in every state: mapped with the fd
 * closed, mapped with the fd open, fd only.  The memory stays valid for the
 * process; the control fd turns to ENODEV; bind again and carry on.
 */
static void test_unbind_while_mapped(void **state)
{
	struct udrv_stub_dma_mask m = { .argsz = sizeof(m) };
	struct udrv_stub_alloc a;
	struct udrv_stub_segment seg;
	struct buf *mc, *ms, *fc, *fs;
	uint8_t pat_c[256], pat_s[256];
	struct stat st;
	uint32_t n = 1;
	int i;

	(void)state;
	mc = buf_alloc(COHERENT, 64 * KIB, 1);
	ms = buf_alloc(STREAMING, 64 * KIB, 1);
	fc = buf_alloc(COHERENT, 64 * KIB, 0);
	fs = buf_alloc(STREAMING, 64 * KIB, 0);
	buf_close_fd(mc);
	roundtrip(ms, 0, EDU_DMA_MAX);
	fill_random(pat_c, sizeof(pat_c));
	fill_random(pat_s, sizeof(pat_s));
	memcpy(mc->map + 4 * KIB, pat_c, sizeof(pat_c));
	memcpy(ms->map + 8 * KIB, pat_s, sizeof(pat_s));
	assert_int_equal(dev_attr("dma_buffers"), 4);

	assert_int_equal(sysfs_write("/sys/bus/pci/drivers/udrv_stub/unbind", edu), 0);

	/* The control device is gone; its open fd fails cleanly. */
	assert_int_equal(stat(ctl_path, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(xioctl(ctl, UDRV_STUB_GET_DMA_MASK, &m), -ENODEV);
	assert_int_equal(alloc_raw(COHERENT, PAGE, &a), -ENODEV);
	assert_int_equal(get_segments(ms->fd, 0, &seg, &n), -ENODEV);

	/* The memory is still ours: contents kept, writable, syncable. */
	assert_memory_equal(mc->map + 4 * KIB, pat_c, sizeof(pat_c));
	assert_memory_equal(ms->map + 8 * KIB, pat_s, sizeof(pat_s));
	buf_sync(ms, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	for (i = 0; i < 64 * 1024; i++) {
		mc->map[i] = (uint8_t)(i * 7);
		ms->map[i] = (uint8_t)(i * 11);
	}
	for (i = 0; i < 64 * 1024; i++) {
		assert_int_equal(mc->map[i], (uint8_t)(i * 7));
		assert_int_equal(ms->map[i], (uint8_t)(i * 11));
	}
	buf_sync(ms, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);

	/* Buffers that were never mapped can still be mapped, zeroed. */
	fc->map = mmap(NULL, fc->size, PROT_READ | PROT_WRITE, MAP_SHARED, fc->fd, 0);
	fs->map = mmap(NULL, fs->size, PROT_READ | PROT_WRITE, MAP_SHARED, fs->fd, 0);
	assert_true(fc->map != MAP_FAILED && fs->map != MAP_FAILED);
	assert_true(all_zero(fc->map, fc->size) && all_zero(fs->map, fs->size));
	buf_unmap(fc);
	buf_unmap(fs);

	/* Released after the unbind: fd-only ones on close, then the mapped. */
	buf_free(fc);
	buf_free(fs);
	buf_close_fd(ms);
	assert_int_equal(mc->map[100], 100 * 7 % 256);
	buf_free(mc);
	buf_free(ms);
	close(ctl);
	ctl = -1;
	close_uio();
	printf("  unbound with 4 live buffers: memory kept until munmap/close, ioctls ENODEV\n");

	/* Bind again: a new control device, and everything works. */
	assert_int_equal(sysfs_write("/sys/bus/pci/drivers_probe", edu), 0);
	for (i = 0; i < 500 && stat(ctl_path, &st); i++)
		usleep(10000);
	assert_int_equal(stat(ctl_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(S_ISCHR(st.st_mode));
	open_ctl();
	open_uio();
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
 * opposed to unbinding it.  Behind an IOMMU that tears down the device's
 * DMA state: the driver must not free (or map) coherent memory through it
 * any more, so that buffer is leaked with a message; existing mappings of
 * every buffer stay valid.  Then rescan, bind again and carry on.
 */
static void test_hot_remove_while_mapped(void **state)
{
	struct buf *c, *s, *cu;
	char path[300];
	void *p;
	long before, after;
	int i;

	(void)state;
	before = memfree_kib();
	c = buf_alloc(COHERENT, 64 * KIB, 1);
	s = buf_alloc(STREAMING, 64 * KIB, 1);
	cu = buf_alloc(COHERENT, 64 * KIB, 0);
	roundtrip(c, 0, EDU_DMA_MAX);
	roundtrip(s, 0, EDU_DMA_MAX);
	memset(c->map, 0x5c, c->size);
	memset(s->map, 0x5d, s->size);
	close_uio();

	snprintf(path, sizeof(path), "%s/remove", dev_dir);
	assert_int_equal(sysfs_write(path, "1"), 0);
	assert_int_equal(wait_path(dev_dir, 0), 0);
	assert_int_equal(wait_path(ctl_path, 0), 0);

	for (i = 0; i < 64 * 1024; i++) {
		assert_int_equal(c->map[i], 0x5c);
		assert_int_equal(s->map[i], 0x5d);
	}
	memset(c->map, 0x6c, c->size);
	buf_sync(s, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
	memset(s->map, 0x6d, s->size);
	buf_sync(s, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
	assert_int_equal(c->map[c->size - 1], 0x6c);

	/* A new mapping of coherent memory needs the device's DMA state. */
	p = mmap(NULL, cu->size, PROT_READ | PROT_WRITE, MAP_SHARED, cu->fd, 0);
	if (iommu) {
		assert_true(p == MAP_FAILED);
		assert_int_equal(errno, ENODEV);
	} else {
		assert_true(p != MAP_FAILED);
		assert_true(all_zero(p, cu->size));
		munmap(p, cu->size);
	}
	buf_free(cu);
	buf_free(c);
	buf_free(s);
	close(ctl);
	ctl = -1;
	after = memfree_kib();
	printf("  device deleted with 3 live buffers: mappings kept, MemFree %+ld kB; %s\n",
	       after - before, iommu ? "2 x 64 KiB coherent leaked by design (see dmesg)" :
	       "all freed");

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
		cmocka_unit_test(test_process_dies_mid_dma),
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
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vm_stub_dma: edu %s, %s IOMMU, 28-bit DMA mask\n", edu, iommu ? "behind an" : "no");
	return cmocka_run_group_tests(tests, setup, teardown);
}
