// SPDX-License-Identifier: MIT
/*
 * The PCI event monitor on the host: it opens without privileges, gives a
 * pollable fd, times out as asked, and closes everything it opened.  Real
 * events (bind, unbind, remove, add) are tested in the VM (vm_bind).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fake_sysfs.h"

#include <udrv/error.h>
#include <udrv/monitor.h>

#define NOWHERE "0000:ff:1f.7" /* a function no machine has */

/* Under valgrind (tests/unit/meson.build sets this) only the lower time bounds hold. */
static bool slow;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void test_open_close_no_leak(void **state)
{
	struct udrv_monitor *all, *one;
	int fds = count_fds();

	(void)state;
	assert_int_equal(udrv_monitor_open(NULL, &all), 0);
	assert_int_equal(udrv_monitor_open("ff:1f.7", &one), 0);
	assert_true(udrv_monitor_fd(all) >= 0);
	assert_true(udrv_monitor_fd(one) >= 0);
	assert_int_not_equal(udrv_monitor_fd(all), udrv_monitor_fd(one));
	assert_int_equal(count_fds(), fds + 2);
	udrv_monitor_close(all);
	udrv_monitor_close(one);
	udrv_monitor_close(NULL);
	assert_int_equal(count_fds(), fds);
	assert_int_equal(udrv_monitor_fd(NULL), -EINVAL);
}

static void test_read_timeouts(void **state)
{
	struct udrv_monitor *mon;
	struct udrv_pci_event ev;
	struct pollfd pfd;
	long long t0;

	(void)state;
	assert_int_equal(udrv_monitor_open(NOWHERE, &mon), 0);
	t0 = now_ms();
	assert_int_equal(udrv_monitor_read(mon, &ev, 0), -EAGAIN);
	assert_non_null(strstr(udrv_last_error(), "no event for " NOWHERE " within 0 ms"));
	if (!slow) /* timing bounds mean nothing under valgrind */
		assert_true(now_ms() - t0 < 100);

	t0 = now_ms();
	assert_int_equal(udrv_monitor_read(mon, &ev, 150), -EAGAIN);
	assert_true(now_ms() - t0 >= 140);
	if (!slow)
		assert_true(now_ms() - t0 < 2000);

	pfd.fd = udrv_monitor_fd(mon);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 0), 0);
	udrv_monitor_close(mon);
}

static void test_action_names(void **state)
{
	(void)state;
	assert_string_equal(udrv_pci_action_name(UDRV_PCI_ADD), "add");
	assert_string_equal(udrv_pci_action_name(UDRV_PCI_REMOVE), "remove");
	assert_string_equal(udrv_pci_action_name(UDRV_PCI_BIND), "bind");
	assert_string_equal(udrv_pci_action_name(UDRV_PCI_UNBIND), "unbind");
	assert_string_equal(udrv_pci_action_name(UDRV_PCI_CHANGE), "change");
	assert_string_equal(udrv_pci_action_name((enum udrv_pci_action)99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_close_no_leak),
		cmocka_unit_test(test_read_timeouts),
		cmocka_unit_test(test_action_names),
	};

	slow = getenv("UDRV_TEST_UNDER_VALGRIND") != NULL;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
