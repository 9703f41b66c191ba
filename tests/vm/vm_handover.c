// SPDX-License-Identifier: MIT
/*
 * Issues #19 and #22 on edu in every profile (uio, stub, vfio):
 *
 *  - udrv_close() leaves the Command register as udrv_open() found it (read
 *    from sysfs, outside libudrv, before and after);
 *  - "the best kind, up to 4 vectors" grants 1 (INTx on uio, MSI
 *    elsewhere), and udrv_irq_count() says so beforehand;
 *  - forgetting udrv_set_bus_master() behaves the same on every path: a
 *    transfer completes (edu's busy bit clears) but moves nothing to or
 *    from memory, and an MSI is not delivered (INTx is);
 *  - udrv_poll32() on edu's factorial busy bit, and its timeout;
 *  - fork after udrv_open(): the child's copies are inert, it opens a
 *    second edu of its own, maps, round-trips and frees DMA and exits; the
 *    parent then allocates 100 more buffers and its earlier ones still
 *    round-trip;
 *  - a process killed in the middle of an edu DMA: the next owner opens
 *    the device, registers edu's quiesce (wait for the DMA busy bit),
 *    turns bus mastering on at once and allocates buffers; no byte of the
 *    old transfer appears in them;
 *  - the bind commands udrv_open() prints for a device on another driver
 *    work when run as printed (stub profile: udrv_stub <-> uio_pci_generic).
 *
 * Needs a second edu (udrv-vm --qemu-arg=-device --qemu-arg=edu,addr=06.0
 * --bind 1234:11e8): the child of the fork test uses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#include "edu_dma.h"

#define LEN            4095	/* QEMU 7.2 aborts on a full 4096-byte transfer */

static const char *edu, *edu2, *profile;

static uint16_t sysfs_command(const char *addr)
{
	char path[256];
	uint16_t cmd = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", addr);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &cmd, 2, 4), 2);
	close(fd);
	return cmd;
}

static void edu_dma(struct udrv_device *dev, void *bar0, uint64_t src, uint64_t dst,
		    uint32_t count, uint32_t cmd)
{
	if (edu_dma_run(dev, bar0, src, dst, count, cmd))
		fail_msg("%s", udrv_last_error());
}

/* edu's half of a safe hand-over: a started transfer runs out (into nothing, mastering is off). */
static int edu_quiesce(struct udrv_device *dev, void *arg)
{
	void *bar0;
	int ret = udrv_bar_map(dev, 0, &bar0, NULL);

	(void)arg;
	return ret ? ret : udrv_poll32(dev, bar0, EDU_REG_DMA_CMD, EDU_DMA_RUN, 0, 1000, 2000000, NULL);
}

static struct udrv_device *open_edu(const char *addr, void **bar0)
{
	struct udrv_device *dev;

	if (udrv_open(addr, NULL, &dev) || udrv_bar_map(dev, 0, bar0, NULL) ||
	    udrv_dma_set_mask(dev, EDU_DMA_BITS))
		fail_msg("%s", udrv_last_error());
	return dev;
}

/* Out to the device and back into @b at another offset: 0 if every byte came back. */
static int try_round_trip(struct udrv_device *dev, void *bar0, struct udrv_dma *b,
			  unsigned int seed)
{
	size_t k, n = b->size / 2 < LEN ? b->size / 2 : LEN, back = b->size - n;
	unsigned char *p = b->vaddr;

	for (k = 0; k < n; k++)
		p[k] = (unsigned char)(k * 7 + seed);
	memset(p + back, 0, n);
	if (edu_dma_run(dev, bar0, b->iova, EDU_BUF_ADDR, n, 0) ||
	    edu_dma_run(dev, bar0, EDU_BUF_ADDR, b->iova + back, n, EDU_DMA_TO_RAM)) {
		fprintf(stderr, "%s\n", udrv_last_error());
		return 1;
	}
	for (k = 0; k < n; k++) {
		if (p[back + k] != (unsigned char)(k * 7 + seed)) {
			fprintf(stderr, "%s: round trip at iova 0x%llx: byte %zu is 0x%02x\n",
				profile, (unsigned long long)b->iova, k, p[back + k]);
			return 1;
		}
	}
	return 0;
}

static void round_trip(struct udrv_device *dev, void *bar0, struct udrv_dma *b, unsigned int seed)
{
	assert_int_equal(try_round_trip(dev, bar0, b, seed), 0);
}

static void test_command_restored(void **state)
{
	enum udrv_irq_type kind;
	struct udrv_device *dev;
	uint16_t before, during, after;
	uint64_t events;
	unsigned int nvec;
	int n, counts[4];
	void *bar0;

	(void)state;
	before = sysfs_command(edu);
	dev = open_edu(edu, &bar0);
	for (n = UDRV_IRQ_INTX; n <= UDRV_IRQ_MSIX; n++)
		counts[n] = udrv_irq_count(dev, (enum udrv_irq_type)n);
	printf("# %s: vectors offered: intx %d, msi %d, msix %d; best %d\n", profile,
	       counts[UDRV_IRQ_INTX], counts[UDRV_IRQ_MSI], counts[UDRV_IRQ_MSIX],
	       udrv_irq_count(dev, UDRV_IRQ_BEST));
	assert_int_equal(counts[UDRV_IRQ_INTX], 1);
	assert_int_equal(counts[UDRV_IRQ_MSI], strcmp(profile, "uio") ? 1 : 0);
	assert_int_equal(counts[UDRV_IRQ_MSIX], 0);
	/* The old call keeps its meaning: exactly 2, which INTx-only uio cannot give. */
	if (!strcmp(profile, "uio"))
		assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_BEST, 2), -EINVAL);

	n = udrv_irq_enable_range(dev, UDRV_IRQ_BEST, 1, 4);
	if (n < 0)
		fail_msg("%s", udrv_last_error());
	kind = udrv_irq_enabled(dev, &nvec);
	printf("# %s: best, up to 4 vectors: %d granted, %s\n", profile, n,
	       udrv_irq_type_name(kind));
	assert_int_equal(n, 1);
	assert_int_equal(nvec, 1);
	assert_int_equal(kind, strcmp(profile, "uio") ? UDRV_IRQ_MSI : UDRV_IRQ_INTX);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	udrv_write32(bar0, EDU_REG_IRQ_RAISE, 1);
	if (udrv_irq_wait(dev, 0, 5000, &events))
		fail_msg("%s", udrv_last_error());
	udrv_write32(bar0, EDU_REG_IRQ_ACK, 1);
	assert_int_equal(udrv_irq_rearm(dev, 0), 0);
	during = sysfs_command(edu);
	udrv_close(dev);
	after = sysfs_command(edu);
	printf("# %s: Command before udrv_open 0x%04x, while in use 0x%04x, after udrv_close 0x%04x\n",
	       profile, before, during, after);
	assert_int_equal(after, before);
}

/* Without udrv_set_bus_master(): the same result on every path. */
static void test_forgotten_master(void **state)
{
	struct udrv_dma *b;
	struct udrv_device *dev;
	unsigned char *p;
	uint64_t events;
	size_t k, moved = 0;
	void *bar0;
	int ret;

	(void)state;
	dev = open_edu(edu, &bar0);
	if (udrv_dma_alloc(dev, 8192, &b))
		fail_msg("%s", udrv_last_error());
	p = b->vaddr;
	/* Mastering on: fill edu's buffer with 0x11 and check it. */
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	memset(p, 0x11, LEN);
	edu_dma(dev, bar0, b->iova, EDU_BUF_ADDR, LEN, 0);
	assert_int_equal(udrv_set_bus_master(dev, 0), 0);

	/* Off (as a driver that forgot it): device -> RAM writes nothing ... */
	memset(p + 4096, 0, LEN);
	edu_dma(dev, bar0, EDU_BUF_ADDR, b->iova + 4096, LEN, EDU_DMA_TO_RAM);
	for (k = 0; k < LEN; k++)
		moved += p[4096 + k] != 0;
	/* ... and RAM -> device reads nothing: edu's buffer is not 0x22 afterwards. */
	memset(p, 0x22, LEN);
	edu_dma(dev, bar0, b->iova, EDU_BUF_ADDR, LEN, 0);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	memset(p + 4096, 0, LEN);
	edu_dma(dev, bar0, EDU_BUF_ADDR, b->iova + 4096, LEN, EDU_DMA_TO_RAM);
	for (k = 0; k < LEN; k++)
		moved += p[4096 + k] == 0x22;
	printf("# %s: without bus mastering both transfers completed and moved %zu bytes\n",
	       profile, moved);
	assert_int_equal(moved, 0);

	/* An MSI is a memory write: not delivered without mastering; INTx is. */
	assert_int_equal(udrv_set_bus_master(dev, 0), 0);
	assert_true(udrv_irq_enable(dev, UDRV_IRQ_BEST, 1) > 0);
	udrv_write32(bar0, EDU_REG_IRQ_RAISE, 2);
	ret = udrv_irq_wait(dev, 0, 300, &events);
	printf("# %s: %s interrupt without bus mastering: %s\n", profile,
	       udrv_irq_type_name(udrv_irq_enabled(dev, NULL)), ret ? udrv_last_error() : "delivered");
	assert_int_equal(ret, udrv_irq_enabled(dev, NULL) == UDRV_IRQ_INTX ? 0 : -ETIMEDOUT);
	if (ret)
		assert_non_null(strstr(udrv_last_error(), edu));
	udrv_write32(bar0, EDU_REG_IRQ_ACK, 2);
	udrv_close(dev);
}

static void test_poll_factorial(void **state)
{
	struct udrv_device *dev;
	uint32_t v;
	void *bar0;

	(void)state;
	dev = open_edu(edu, &bar0);
	udrv_write32(bar0, EDU_REG_FACTORIAL, 10);
	if (udrv_poll32(dev, bar0, EDU_REG_STATUS, 1, 0, 10, 1000000, &v))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_read32(bar0, EDU_REG_FACTORIAL), 3628800);
	/* The busy bit never comes back by itself: a timeout, named. */
	assert_int_equal(udrv_poll32(dev, bar0, EDU_REG_STATUS, 1, 1, 100, 20000, &v), -ETIMEDOUT);
	printf("# %s: %s\n", profile, udrv_last_error());
	assert_non_null(strstr(udrv_last_error(), edu));
	assert_non_null(strstr(udrv_last_error(), "register 0x20"));
	assert_int_equal(v & 1, 0);
	udrv_close(dev);
}

/* The child of test_fork: its exit status is the number of failed checks. */
static int fork_child(struct udrv_device *parent_dev)
{
	struct udrv_device *mine;
	struct udrv_dma *b;
	uint64_t v;
	void *bar0;
	int bad = 0;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "child: %s: %s\n", #c, udrv_last_error()); bad++; } } while (0)
	CHECK(udrv_bar_read(parent_dev, 0, 0, 4, &v) == -EBADF);
	CHECK(udrv_dma_alloc(parent_dev, 4096, &b) == -EBADF);
	CHECK(udrv_set_bus_master(parent_dev, 0) == -EBADF);
	CHECK(udrv_open(edu, NULL, &mine) == -EBUSY);
	udrv_close(parent_dev);
	/* A device of its own, in a container of its own. */
	CHECK(udrv_open(edu2, NULL, &mine) == 0);
	if (bad)
		return bad;
	CHECK(udrv_bar_map(mine, 0, &bar0, NULL) == 0);
	CHECK(udrv_dma_set_mask(mine, EDU_DMA_BITS) == 0);
	CHECK(udrv_dma_alloc(mine, 4096, &b) == 0);
	CHECK(udrv_set_bus_master(mine, 1) == 0);
	if (bad)
		return bad;
	printf("# %s: child: own buffer on %s at iova 0x%llx\n", profile, edu2,
	       (unsigned long long)b->iova);
	CHECK(try_round_trip(mine, bar0, b, 99) == 0);
	udrv_dma_free(mine, b);
	udrv_close(mine);
#undef CHECK
	return bad;
}

static void test_fork(void **state)
{
	struct udrv_dma *early[3], *more[100];
	struct udrv_device *dev;
	unsigned int i;
	int status;
	pid_t pid;
	void *bar0;

	(void)state;
	if (!edu2) {
		printf("# skipped: no second edu (--qemu-arg=-device --qemu-arg=edu,addr=06.0 --bind 1234:11e8)\n");
		skip();
	}
	dev = open_edu(edu, &bar0);
	for (i = 0; i < 3; i++)
		if (udrv_dma_alloc(dev, 8192, &early[i]))
			fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	for (i = 0; i < 3; i++)
		round_trip(dev, bar0, early[i], i);
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(fork_child(dev));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent's mappings are untouched: 100 more buffers, and the old ones work. */
	for (i = 0; i < 100; i++)
		if (udrv_dma_alloc(dev, 4096, &more[i]))
			fail_msg("buffer %u of 100 after the fork: %s", i, udrv_last_error());
	for (i = 0; i < 3; i++)
		round_trip(dev, bar0, early[i], 10 + i);
	round_trip(dev, bar0, more[99], 77);
	printf("# %s: fork: child opened %s, 1 buffer round-tripped, freed, exited 0; parent: 100 more buffers, 3 earlier ones + 1 new round-tripped\n",
	       profile, edu2);
	udrv_close(dev);
}

/*
 * A process dies in the middle of a device -> RAM transfer of 0xa5 bytes;
 * then the next owner.  Returns how many 0xa5 bytes reached its buffers.
 */
static size_t killed_then_next(bool with_quiesce)
{
	struct udrv_dma *bufs[8], *b;
	struct udrv_device *dev;
	uint64_t iova = 0;
	size_t k, leaked = 0;
	unsigned int i;
	int p[2], status;
	void *bar0;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* No cmocka in the child: a failure is its exit status. */
		if (udrv_open(edu, NULL, &dev) || udrv_bar_map(dev, 0, &bar0, NULL) ||
		    udrv_dma_set_mask(dev, EDU_DMA_BITS) || udrv_dma_alloc(dev, 4096, &b) ||
		    udrv_set_bus_master(dev, 1)) {
			fprintf(stderr, "killed child: %s\n", udrv_last_error());
			_exit(1);
		}
		memset(b->vaddr, 0xa5, LEN);
		if (edu_dma_run(dev, bar0, b->iova, EDU_BUF_ADDR, LEN, 0))	/* edu's buffer: 0xa5 */
			_exit(1);
		memset(b->vaddr, 0, LEN);
		if (write(p[1], &b->iova, sizeof(b->iova)) != sizeof(b->iova))
			_exit(1);
		/* Start device -> RAM (it runs 100 ms later in QEMU) and die. */
		udrv_write64(bar0, EDU_REG_DMA_SRC, EDU_BUF_ADDR);
		udrv_write64(bar0, EDU_REG_DMA_DST, b->iova);
		udrv_write64(bar0, EDU_REG_DMA_COUNT, LEN);
		udrv_write32(bar0, EDU_REG_DMA_CMD, EDU_DMA_TO_RAM | EDU_DMA_RUN);
		raise(SIGKILL);
		_exit(1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &iova, sizeof(iova)), sizeof(iova));
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* The next owner, in the tutorial's order but bus mastering at once. */
	dev = open_edu(edu, &bar0);
	if (with_quiesce)
		assert_int_equal(udrv_set_quiesce(dev, edu_quiesce, NULL), 0);
	if (udrv_set_bus_master(dev, 1))
		fail_msg("%s", udrv_last_error());
	for (i = 0; i < 8; i++)
		if (udrv_dma_alloc(dev, 4096, &bufs[i]))
			fail_msg("%s", udrv_last_error());
	usleep(500000);	/* well past edu's 100 ms */
	for (i = 0; i < 8; i++)
		for (k = 0; k < bufs[i]->size; k++)
			leaked += ((unsigned char *)bufs[i]->vaddr)[k] == 0xa5;
	printf("# %s: killed mid-DMA to iova 0x%llx; next owner %s quiesce: buffers at iova 0x%llx.., %zu bytes of the old transfer in them\n",
	       profile, (unsigned long long)iova, with_quiesce ? "with" : "without",
	       (unsigned long long)bufs[0]->iova, leaked);
	udrv_close(dev);
	return leaked;
}

static void test_killed_mid_dma(void **state)
{
	(void)state;
	/* What the library alone does (informational: edu has no reset, no TP bit). */
	killed_then_next(false);
	/* With the driver's stop: nothing of the old transfer, on every path. */
	assert_int_equal(killed_then_next(true), 0);
}

/* Open @addr forcing @b; when refused, run the commands the message prints, then open. */
static void follow_remedy(const char *addr, enum udrv_backend b, const char *held_by)
{
	struct udrv_open_opts o = { .backend = b };
	struct udrv_device *dev;
	char cmds[512], want[64];
	const char *p;

	assert_int_equal(udrv_open(addr, &o, &dev), b == UDRV_BACKEND_VFIO ? -ENOENT : -ENODEV);
	printf("# %s: %s\n", profile, udrv_last_error());
	snprintf(want, sizeof(want), "(bound to %s)", held_by);
	assert_non_null(strstr(udrv_last_error(), want));
	p = strstr(udrv_last_error(), "bind it first: ");
	assert_non_null(p);
	snprintf(cmds, sizeof(cmds), "%s", p + strlen("bind it first: "));
	assert_int_equal(system(cmds), 0);
	if (udrv_open(addr, &o, &dev))
		fail_msg("after running the printed commands: %s", udrv_last_error());
	assert_int_equal(udrv_backend(dev), b);
	udrv_close(dev);
}

/* The printed bind commands work as printed, also away from another driver. */
static void test_printed_remedy(void **state)
{
	(void)state;
	if (!strcmp(profile, "vfio") && edu2) {
		/* Off vfio-pci, then VFIO forced: the printed commands put it back. */
		char path[128];
		FILE *fp;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", edu2);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fprintf(fp, "%s", edu2);
		assert_int_equal(fclose(fp), 0);
		follow_remedy(edu2, UDRV_BACKEND_VFIO, "no driver");
		return;
	}
	if (strcmp(profile, "stub") || !edu2) {
		printf("# skipped: udrv_stub <-> uio_pci_generic on the second edu (profile %s)\n",
		       profile);
		skip();
	}
	follow_remedy(edu2, UDRV_BACKEND_UIO, "udrv_stub");
	follow_remedy(edu2, UDRV_BACKEND_STUB, "uio_pci_generic");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_restored),
		cmocka_unit_test(test_forgotten_master),
		cmocka_unit_test(test_poll_factorial),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_killed_mid_dma),
		cmocka_unit_test(test_printed_remedy),
	};
	static char other[32];
	const char *devs;
	char *tok, *save, list[512];

	edu = getenv("UDRV_EDU");
	profile = getenv("UDRV_VM_PROFILE");
	devs = getenv("UDRV_DEVS");
	if (!edu || !profile) {
		fprintf(stderr, "vm_handover: run me under udrv-vm\n");
		return 77;
	}
	if (devs) {
		snprintf(list, sizeof(list), "%s", devs);
		for (tok = strtok_r(list, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
			char path[256], id[16] = "";
			FILE *fp;

			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", tok);
			fp = fopen(path, "r");
			if (fp) {
				if (!fgets(id, sizeof(id), fp))
					id[0] = '\0';
				fclose(fp);
			}
			if (strcmp(tok, edu) && !strncmp(id, "0x11e8", 6)) {
				snprintf(other, sizeof(other), "%s", tok);
				edu2 = other;
			}
		}
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
