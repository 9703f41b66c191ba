// SPDX-License-Identifier: MIT
/*
 * Issues #19 and #22 on the host: udrv_poll32()/udrv_poll64() (a register
 * that changes, a timeout, misuse), fork semantics (a child's copy of the
 * parent's handle is inert and says whose it is, the child cannot open the
 * parent's device while it holds the copy, udrv_close() frees only the
 * child's copy, the parent is untouched), the Command register put back by
 * udrv_close(), the hand-over quiesce hook, udrv_irq_count() and
 * udrv_irq_enable_range() on a path without interrupts, and direct port
 * I/O's stated fallback.  The device is an unbound function on a fake
 * sysfs (sysfs backend): BAR0 memory, BAR4 I/O.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/pci_regs.h>

#include "fake_sysfs.h"
#include "udrv_internal.h"

#define DEV "0000:00:04.0"

static struct udrv_device *dev;
static uint32_t regs[64] __attribute__((aligned(8)));

static bool under_valgrind(void)
{
	return getenv("UDRV_TEST_UNDER_VALGRIND") != NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void *clear_busy_later(void *arg)
{
	(void)arg;
	usleep(30000);
	__atomic_store_n(&regs[8], 0x80, __ATOMIC_SEQ_CST); /* "status": busy bit 0 clear */
	return NULL;
}

static void test_poll(void **state)
{
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	pthread_t t;
	long long t0, took;

	(void)state;
	/* Busy (bit 0) for 30 ms, then idle: the poll sees it clear. */
	regs[8] = 0x81;
	assert_int_equal(pthread_create(&t, NULL, clear_busy_later, NULL), 0);
	assert_int_equal(udrv_poll32(dev, regs, 0x20, 1, 0, 100, 2000000, &v32), 0);
	assert_int_equal(v32, 0x80);
	pthread_join(t, NULL);

	/* Already there: one read, even with no timeout (0: for ever). */
	assert_int_equal(udrv_poll32(dev, regs, 0x20, 0x80, 0x80, 0, 0, &v32), 0);

	/* Never: -ETIMEDOUT on time, the last value, and a message naming device and register. */
	regs[8] = 1;
	t0 = now_ms();
	assert_int_equal(udrv_poll32(dev, regs, 0x20, 1, 0, 1000, 50000, &v32), -ETIMEDOUT);
	took = now_ms() - t0;
	assert_int_equal(v32, 1);
	printf("# timeout of 50 ms took %lld ms: %s\n", took, udrv_last_error());
	assert_non_null(strstr(udrv_last_error(), DEV ": register 0x20 is 0x00000001 after 50000 us"));
	if (!under_valgrind())
		assert_true(took >= 50 && took < 1000);
	regs[8] = 0xffffffff;
	assert_int_equal(udrv_poll32(dev, regs, 0x20, 1, 0, 0, 1000, &v32), -ETIMEDOUT);
	assert_non_null(strstr(udrv_last_error(), "all ones"));

	/* 64 bits. */
	regs[10] = 0;
	regs[11] = 0x80000000;
	assert_int_equal(udrv_poll64(dev, regs, 0x28, 1ULL << 63, 1ULL << 63, 0, 1000, &v64), 0);
	assert_true(v64 == 0x8000000000000000ULL);
	assert_int_equal(udrv_poll64(dev, regs, 0x28, 1, 1, 10, 1000, &v64), -ETIMEDOUT);
	assert_non_null(strstr(udrv_last_error(), "0x8000000000000000"));

	/* Misuse. */
	assert_int_equal(udrv_poll32(dev, regs, 0x22, 1, 0, 0, 1000, &v32), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), DEV ": register offset 0x22 is not aligned"));
	assert_int_equal(udrv_poll32(dev, regs, 0x20, 1, 2, 0, 1000, &v32), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "can never match"));
	assert_int_equal(udrv_poll64(dev, NULL, 0x20, 1, 0, 0, 1000, &v64), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), DEV ": polling register 0x20 of an unmapped BAR"));
}

/* The child's checks; its exit status is the number of failures. */
static int child_checks(void)
{
	struct udrv_device *again;
	uint64_t v;
	uint16_t cmd;
	int bad = 0;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "child: %s failed: %s\n", #c, udrv_last_error()); bad++; } } while (0)
	CHECK(udrv_bar_read(dev, 0, 0, 4, &v) == -EBADF);
	CHECK(strstr(udrv_last_error(), DEV ": this handle belongs to process") != NULL);
	CHECK(udrv_config_read16(dev, PCI_COMMAND, &cmd) == -EBADF);
	CHECK(udrv_set_bus_master(dev, 1) == -EBADF);
	CHECK(udrv_irq_count(dev, UDRV_IRQ_BEST) == -EBADF);
	CHECK(udrv_dma_alloc(dev, 4096, &(struct udrv_dma *){ NULL }) == -EBADF);
	CHECK(udrv_backend(dev) == UDRV_BACKEND_SYSFS);
	CHECK(udrv_open(DEV, NULL, &again) == -EBUSY);
	CHECK(strstr(udrv_last_error(), DEV ": process") != NULL);
	CHECK(strstr(udrv_last_error(), "udrv_close() that handle first") != NULL);
	udrv_close(dev);
	/* Its own handle now: a working one. */
	CHECK(udrv_open(DEV, NULL, &again) == 0);
	CHECK(udrv_config_read16(again, PCI_COMMAND, &cmd) == 0);
	udrv_close(again);
#undef CHECK
	return bad;
}

static void test_fork(void **state)
{
	int status, p[2], bad = -1;
	uint16_t cmd;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		bad = child_checks();
		_exit(write(p[1], &bad, sizeof(bad)) == sizeof(bad) ? 0 : 1);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &bad, sizeof(bad)), sizeof(bad));
	close(p[0]);
	assert_int_equal(bad, 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	/* Under valgrind the child's exit status is valgrind's (cmocka's state is still reachable). */
	if (!under_valgrind())
		assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent's handle is untouched. */
	assert_int_equal(udrv_config_read16(dev, PCI_COMMAND, &cmd), 0);
	assert_int_equal(cmd, 0x0103);
}

static int quiesce_calls;

static int quiesce_ok(struct udrv_device *d, void *arg)
{
	assert_ptr_equal(d, dev);
	assert_ptr_equal(arg, &quiesce_calls);
	quiesce_calls++;
	return 0;
}

static int quiesce_fails(struct udrv_device *d, void *arg)
{
	(void)d;
	(void)arg;
	return -EIO;
}

/* Command register: bus mastering quiesced on, and udrv_close() puts it back. */
static void test_command_and_quiesce(void **state)
{
	struct udrv_device *d;
	unsigned char cfg[256];
	uint16_t cmd;

	(void)state;
	assert_int_equal(udrv_set_quiesce(dev, quiesce_ok, &quiesce_calls), 0);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	assert_int_equal(quiesce_calls, 1);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	assert_int_equal(quiesce_calls, 1); /* already on: nothing to hand over */
	assert_int_equal(udrv_set_bus_master(dev, 0), 0);
	assert_int_equal(udrv_set_quiesce(dev, quiesce_fails, NULL), 0);
	assert_int_equal(udrv_set_bus_master(dev, 1), -EIO);
	assert_non_null(strstr(udrv_last_error(), DEV ": bus mastering not turned on: the driver's quiesce function"));
	assert_int_equal(udrv_config_read16(dev, PCI_COMMAND, &cmd), 0);
	assert_int_equal(cmd & PCI_COMMAND_MASTER, 0);
	assert_int_equal(udrv_set_quiesce(dev, NULL, NULL), 0);

	/* Another handle changes mastering, INTx disable and I/O decode; close restores all. */
	assert_int_equal(udrv_open(DEV, NULL, &d), 0);
	assert_int_equal(udrv_set_bus_master(d, 1), 0);
	assert_int_equal(udrv_config_write16(d, PCI_COMMAND, 0x0506), 0);
	udrv_close(d);
	assert_int_equal(udrv_config_read(dev, cfg, 256, 0), 256);
	assert_int_equal(cfg[PCI_COMMAND] | cfg[PCI_COMMAND + 1] << 8, 0x0103);
}

static void test_irq_and_pio(void **state)
{
	(void)state;
	/* The sysfs path has no interrupts: nothing offered, nothing enabled. */
	assert_int_equal(udrv_irq_count(dev, UDRV_IRQ_MSI), 0);
	assert_int_equal(udrv_irq_count(dev, UDRV_IRQ_BEST), 0);
	assert_int_equal(udrv_irq_count(dev, (enum udrv_irq_type)7), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), DEV ": unknown interrupt type 7"));
	assert_int_equal(udrv_irq_enable_range(dev, UDRV_IRQ_BEST, 1, 4), -ENOTSUP);
	assert_non_null(strstr(udrv_last_error(), DEV ": the sysfs backend delivers no interrupts"));
	assert_int_equal(udrv_irq_enabled(dev, NULL), 0);
	/* A fake tree's ports are not this machine's: the fallback says so. */
	assert_int_equal(udrv_bar_pio_direct(dev, 4), -EPERM);
	assert_non_null(strstr(udrv_last_error(), DEV ": BAR 4: no direct port I/O: the sysfs root is a test tree"));
	assert_int_equal(udrv_bar_pio_direct(dev, 0), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), DEV ": BAR 0 is a memory BAR"));
}

static int setup(void **state)
{
	static const char resource[] =
		"0x00000000fea00000 0x00000000feafffff 0x0000000000040200\n"
		"0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n"
		"0x000000000000c000 0x000000000000c01f 0x0000000000040101\n"
		"0x0 0x0 0x0\n";
	unsigned char cfg[256] = { 0x34, 0x12, 0xe8, 0x11, 0x03, 0x01 };

	(void)state;
	fake_sysfs_create();
	fake_sysfs_add_device(DEV, cfg, sizeof(cfg), resource);
	return udrv_open(DEV, NULL, &dev);
}

static int teardown(void **state)
{
	(void)state;
	udrv_close(dev);
	fake_sysfs_destroy();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_poll),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_command_and_quiesce),
		cmocka_unit_test(test_irq_and_pio),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
