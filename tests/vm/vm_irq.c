// SPDX-License-Identifier: MIT
/*
 * libudrv's interrupt API on edu in every profile: the best kind each path
 * offers (uio: INTx, stub: MSI, vfio: MSI; INTx forced under VFIO too),
 * 1000 raises counted exactly through udrv_irq_wait(), a timeout that
 * returns on time, epoll on udrv_irq_fd(), VFIO's software trigger, and the
 * errors of misuse.  edu: 0x60 raises, 0x24 is the status, 0x64 acks.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#include "fds.h"

#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE  0x60
#define EDU_IRQ_ACK    0x64
#define RAISES         1000

static const char *edu, *profile;

static struct udrv_device *open_edu(void **bar0)
{
	struct udrv_device *dev;

	if (udrv_open(edu, NULL, &dev) || udrv_bar_map(dev, 0, bar0, NULL))
		fail_msg("%s", udrv_last_error());
	/* MSI is a memory write: nothing turns bus mastering on implicitly. */
	if (udrv_set_bus_master(dev, 1))
		fail_msg("%s", udrv_last_error());
	return dev;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Raise, wait, check, ack, rearm RAISES times: exactly one event each. */
static void count_raises(struct udrv_device *dev, void *bar0, const char *what)
{
	uint64_t events, total = 0;
	unsigned int i;

	for (i = 0; i < RAISES; i++) {
		udrv_write32(bar0, EDU_IRQ_RAISE, 1u << (i % 32));
		if (udrv_irq_wait(dev, 0, 5000, &events))
			fail_msg("raise %u: %s", i, udrv_last_error());
		assert_int_equal(events, 1);
		total += events;
		assert_int_equal(udrv_read32(bar0, EDU_IRQ_STATUS), 1u << (i % 32));
		udrv_write32(bar0, EDU_IRQ_ACK, 1u << (i % 32));
		assert_int_equal(udrv_irq_rearm(dev, 0), 0);
	}
	assert_int_equal(udrv_irq_wait(dev, 0, 0, &events), -ETIMEDOUT);
	printf("# %s %s: %d raises, %llu events\n", profile, what, RAISES,
	       (unsigned long long)total);
}

static void test_best(void **state)
{
	static const struct {
		const char *profile;
		enum udrv_irq_type type;
	} want[] = { { "uio", UDRV_IRQ_INTX }, { "stub", UDRV_IRQ_MSI }, { "vfio", UDRV_IRQ_MSI } };
	int fds = count_fds(), type;
	struct udrv_device *dev;
	unsigned int i;
	void *bar0;

	(void)state;
	dev = open_edu(&bar0);
	type = udrv_irq_enable(dev, UDRV_IRQ_BEST, 1);
	if (type < 0)
		fail_msg("%s", udrv_last_error());
	for (i = 0; i < 3; i++)
		if (!strcmp(profile, want[i].profile))
			assert_int_equal(type, want[i].type);
	count_raises(dev, bar0, type == UDRV_IRQ_INTX ? "intx" : "msi");
	udrv_close(dev);
	assert_int_equal(count_fds(), fds);
}

static void test_timeout_and_epoll(void **state)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct udrv_device *dev;
	long long t0, took;
	uint64_t events;
	int ep, fd;
	void *bar0;

	(void)state;
	dev = open_edu(&bar0);
	assert_true(udrv_irq_enable(dev, UDRV_IRQ_BEST, 1) > 0);
	t0 = now_ms();
	assert_int_equal(udrv_irq_wait(dev, 0, 200, &events), -ETIMEDOUT);
	took = now_ms() - t0;
	printf("# timeout of 200 ms took %lld ms\n", took);
	assert_true(took >= 200 && took < 600);

	fd = udrv_irq_fd(dev, 0);
	assert_true(fd >= 0);
	ep = epoll_create1(0);
	ev.data.fd = fd;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	assert_int_equal(epoll_wait(ep, &out, 1, 50), 0);
	udrv_write32(bar0, EDU_IRQ_RAISE, 4);
	assert_int_equal(epoll_wait(ep, &out, 1, 5000), 1);
	assert_int_equal(out.data.fd, fd);
	assert_int_equal(udrv_irq_wait(dev, 0, 0, &events), 0);
	assert_int_equal(events, 1);
	udrv_write32(bar0, EDU_IRQ_ACK, 4);
	assert_int_equal(udrv_irq_rearm(dev, 0), 0);
	close(ep);
	udrv_close(dev);
}

static void test_vfio_intx_and_trigger(void **state)
{
	struct udrv_device *dev;
	uint64_t events;
	void *bar0;

	(void)state;
	if (strcmp(profile, "vfio")) {
		printf("# skipped: forced INTx and software triggers are VFIO's (profile %s)\n",
		       profile);
		skip();
	}
	dev = open_edu(&bar0);
	assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_INTX, 1), UDRV_IRQ_INTX);
	count_raises(dev, bar0, "intx");
	assert_int_equal(udrv_irq_trigger(dev, 0), 0);
	assert_int_equal(udrv_irq_wait(dev, 0, 1000, &events), 0);
	assert_int_equal(events, 1);
	udrv_irq_disable(dev);
	/* edu has one MSI vector and no MSI-X. */
	assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_MSIX, 1), -ENOTSUP);
	assert_non_null(strstr(udrv_last_error(), "MSI-X 0, MSI 1, INTx 1"));
	assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_MSI, 2), -ENOTSUP);
	udrv_close(dev);
}

static void test_misuse(void **state)
{
	struct udrv_device *dev;
	uint64_t events;
	void *bar0;

	(void)state;
	dev = open_edu(&bar0);
	assert_int_equal(udrv_irq_wait(dev, 0, 0, &events), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "interrupts are not enabled"));
	if (!strcmp(profile, "none")) {
		assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_BEST, 1), -ENOTSUP);
		assert_non_null(strstr(udrv_last_error(), "delivers no interrupts"));
		udrv_close(dev);
		return;
	}
	assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_INTX, 2), -EINVAL);
	assert_true(udrv_irq_enable(dev, UDRV_IRQ_BEST, 1) > 0);
	assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_BEST, 1), -EBUSY);
	assert_int_equal(udrv_irq_fd(dev, 1), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "vector 1 out of range (1 enabled)"));
	if (strcmp(profile, "vfio")) {
		assert_int_equal(udrv_irq_trigger(dev, 0), -ENOTSUP);
		udrv_irq_disable(dev);
		assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_MSIX, 1), -ENOTSUP);
	}
	if (!strcmp(profile, "uio")) {
		assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_MSI, 1), -ENOTSUP);
		assert_non_null(strstr(udrv_last_error(), "uio_pci_generic delivers INTx only"));
	}
	udrv_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_best),
		cmocka_unit_test(test_timeout_and_epoll),
		cmocka_unit_test(test_vfio_intx_and_trigger),
		cmocka_unit_test(test_misuse),
	};
	const struct CMUnitTest none_tests[] = {
		cmocka_unit_test(test_misuse),
	};

	edu = getenv("UDRV_EDU");
	profile = getenv("UDRV_VM_PROFILE");
	if (!edu || !profile) {
		fprintf(stderr, "vm_irq: run me under udrv-vm\n");
		return 77;
	}
	if (!strcmp(profile, "none"))
		return cmocka_run_group_tests(none_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
