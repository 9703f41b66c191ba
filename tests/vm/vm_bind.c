// SPDX-License-Identifier: MIT
/*
 * Binding and events in the udrv-vm guest, on a machine with an IOMMU where
 * no udrv module is loaded but modprobe works (udrv-vm --profile none
 * --iommu --modprobe --load e1000) and with these functions:
 *
 *   $UDRV_EDU        edu, unbound
 *   NIC              an e1000 on the e1000 driver, alone in its IOMMU group
 *   06.0 + 06.1      a second edu and an e1000 in one multi-function slot,
 *                    hence one IOMMU group; 06.1 on e1000
 *
 * edu goes to uio_pci_generic, then to vfio-pci (each module loaded by
 * udrv_bind() through modprobe) and is driven through each; the NIC goes
 * from its host driver to uio_pci_generic and back with udrv_restore(); a
 * device in use and a non-viable group are refused; every bind, unbind,
 * remove and add is seen on a monitor's fd within 1 s.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#include "fds.h"

#define EDU_IDENT 0x010000ed

static const char *edu;
static char nic[UDRV_PCI_ADDR_STRLEN], edu2[UDRV_PCI_ADDR_STRLEN], nic2[UDRV_PCI_ADDR_STRLEN];

static void sysfs_str(const char *addr, const char *attr, char *buf, size_t size)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", addr, attr);
	buf[0] = '\0';
	fp = fopen(path, "r");
	if (fp) {
		if (fgets(buf, size, fp))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(fp);
	}
}

static void expect_driver(const char *addr, const char *driver)
{
	char path[256], target[256] = "";
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	n = readlink(path, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	assert_string_equal(n > 0 ? strrchr(target, '/') + 1 : "", driver);
}

static struct udrv_monitor *monitor(const char *addr)
{
	struct udrv_monitor *m;

	if (udrv_monitor_open(addr, &m))
		fail_msg("udrv_monitor_open: %s", udrv_last_error());
	return m;
}

/* The next event must be this one, and the fd must say so within 1 s. */
static void expect_event(struct udrv_monitor *m, enum udrv_pci_action action, const char *addr,
			 const char *driver)
{
	struct pollfd pfd = { .fd = udrv_monitor_fd(m), .events = POLLIN };
	struct udrv_pci_event ev;

	if (poll(&pfd, 1, 1000) != 1)
		fail_msg("no event on the monitor fd within 1 s (waiting for %s %s)",
			 udrv_pci_action_name(action), addr);
	if (udrv_monitor_read(m, &ev, 1000))
		fail_msg("waiting for %s %s: %s", udrv_pci_action_name(action), addr,
			 udrv_last_error());
	if (ev.action != action || strcmp(ev.name, addr) || (driver && strcmp(ev.driver, driver)))
		fail_msg("got %s %s driver '%s', want %s %s driver '%s'",
			 udrv_pci_action_name(ev.action), ev.name, ev.driver,
			 udrv_pci_action_name(action), addr, driver ? driver : "*");
}

static void expect_no_event(struct udrv_monitor *m)
{
	struct udrv_pci_event ev;
	int ret = udrv_monitor_read(m, &ev, 200);

	if (ret != -EAGAIN)
		fail_msg("unexpected event %s %s (%d)", udrv_pci_action_name(ev.action), ev.name,
			 ret);
}

/* Open with the backend the driver implies and check edu answers. */
static struct udrv_device *open_edu(enum udrv_backend want)
{
	struct udrv_device *dev;
	void *bar0;

	if (udrv_open(edu, NULL, &dev))
		fail_msg("udrv_open(%s): %s", edu, udrv_last_error());
	assert_int_equal(udrv_backend(dev), want);
	if (udrv_bar_map(dev, 0, &bar0, NULL))
		fail_msg("udrv_bar_map: %s", udrv_last_error());
	assert_int_equal(udrv_read32(bar0, 0), EDU_IDENT);
	return dev;
}

static void expect_busy_while_open(struct udrv_device *dev, const char *other)
{
	int fds = count_fds();

	assert_int_equal(udrv_bind(edu, other, NULL), -EBUSY);
	assert_non_null(strstr(udrv_last_error(), "in use from user space"));
	assert_non_null(strstr(udrv_last_error(), "this process"));
	assert_int_equal(udrv_unbind(edu), -EBUSY);
	assert_int_equal(count_fds(), fds);
	udrv_close(dev);
}

static void test_edu_to_uio_then_vfio_and_back(void **state)
{
	struct udrv_monitor *m = monitor(edu);
	struct udrv_bind_state prev, prev2;
	struct udrv_device *dev;
	char ov[64];

	(void)state;
	expect_driver(edu, "");

	/* uio_pci_generic: modprobe'd, bound, driven */
	if (udrv_bind(edu, "uio_pci_generic", &prev))
		fail_msg("udrv_bind uio_pci_generic: %s", udrv_last_error());
	assert_string_equal(prev.driver, "");
	assert_string_equal(prev.override, "");
	expect_event(m, UDRV_PCI_BIND, edu, "uio_pci_generic");
	expect_driver(edu, "uio_pci_generic");
	sysfs_str(edu, "driver_override", ov, sizeof(ov));
	assert_string_equal(ov, "uio_pci_generic");
	dev = open_edu(UDRV_BACKEND_UIO);
	expect_busy_while_open(dev, "vfio-pci");
	expect_no_event(m);

	/* vfio-pci: modprobe'd (with vfio_iommu_type1), bound, driven */
	if (udrv_bind(edu, "vfio-pci", &prev2))
		fail_msg("udrv_bind vfio-pci: %s", udrv_last_error());
	assert_string_equal(prev2.driver, "uio_pci_generic");
	assert_string_equal(prev2.override, "uio_pci_generic");
	expect_event(m, UDRV_PCI_UNBIND, edu, "");
	expect_event(m, UDRV_PCI_BIND, edu, "vfio-pci");
	dev = open_edu(UDRV_BACKEND_VFIO);
	expect_busy_while_open(dev, "uio_pci_generic");

	/* back to where it started: unbound, driver_override cleared */
	if (udrv_restore(edu, &prev))
		fail_msg("udrv_restore: %s", udrv_last_error());
	expect_event(m, UDRV_PCI_UNBIND, edu, "");
	expect_no_event(m);
	expect_driver(edu, "");
	sysfs_str(edu, "driver_override", ov, sizeof(ov));
	assert_string_equal(ov, "(null)");
	udrv_monitor_close(m);
}

static void test_host_driver_round_trip(void **state)
{
	struct udrv_monitor *m = monitor(nic);
	struct udrv_bind_state prev;
	char ov[64];

	(void)state;
	expect_driver(nic, "e1000");
	if (udrv_bind(nic, "uio_pci_generic", &prev))
		fail_msg("udrv_bind: %s", udrv_last_error());
	assert_string_equal(prev.driver, "e1000");
	expect_event(m, UDRV_PCI_UNBIND, nic, "");
	expect_event(m, UDRV_PCI_BIND, nic, "uio_pci_generic");

	if (udrv_restore(nic, &prev))
		fail_msg("udrv_restore: %s", udrv_last_error());
	expect_event(m, UDRV_PCI_UNBIND, nic, "");
	expect_event(m, UDRV_PCI_BIND, nic, "e1000");
	expect_driver(nic, "e1000");
	sysfs_str(nic, "driver_override", ov, sizeof(ov));
	assert_string_equal(ov, "(null)");

	/* unbind, then the kernel's own choice again */
	assert_int_equal(udrv_unbind(nic), 0);
	expect_event(m, UDRV_PCI_UNBIND, nic, "");
	expect_driver(nic, "");
	assert_int_equal(udrv_restore(nic, &prev), 0);
	expect_event(m, UDRV_PCI_BIND, nic, "e1000");
	udrv_monitor_close(m);
}

static void test_group_not_viable(void **state)
{
	char ov[64];
	int fds = count_fds();

	(void)state;
	assert_int_equal(udrv_bind(edu2, "vfio-pci", NULL), -EBUSY);
	assert_non_null(strstr(udrv_last_error(), "is not viable for vfio-pci"));
	assert_non_null(strstr(udrv_last_error(), nic2));
	assert_non_null(strstr(udrv_last_error(), "(e1000)"));
	expect_driver(edu2, "");
	sysfs_str(edu2, "driver_override", ov, sizeof(ov));
	assert_string_equal(ov, "(null)");
	assert_int_equal(count_fds(), fds);

	/* With its sibling unbound, the group is usable. */
	assert_int_equal(udrv_unbind(nic2), 0);
	if (udrv_bind(edu2, "vfio-pci", NULL))
		fail_msg("udrv_bind: %s", udrv_last_error());
	expect_driver(edu2, "vfio-pci");
	assert_int_equal(udrv_unbind(edu2), 0);
}

static void write_one(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		fail_msg("cannot open %s", path);
	fputs("1", fp);
	assert_int_equal(fclose(fp), 0);
}

/* Hot-unplug and re-plug the NIC: a driver's "device went away" signal. */
static void test_remove_and_add_events(void **state)
{
	struct udrv_monitor *all = monitor(NULL), *one = monitor(nic);
	struct udrv_pci_filter f;
	struct udrv_pci_info *l;
	char path[256];
	size_t n;

	(void)state;
	expect_driver(nic, "e1000");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", nic);
	write_one(path);
	expect_event(one, UDRV_PCI_UNBIND, nic, "");
	expect_event(one, UDRV_PCI_REMOVE, nic, NULL);
	expect_event(all, UDRV_PCI_UNBIND, nic, "");
	expect_event(all, UDRV_PCI_REMOVE, nic, NULL);
	assert_int_equal(udrv_pci_filter_parse(&f, nic, NULL), 0);
	assert_int_equal(udrv_pci_scan(&f, &l, &n), 0);
	assert_int_equal(n, 0);

	write_one("/sys/bus/pci/rescan");
	expect_event(one, UDRV_PCI_ADD, nic, NULL);
	expect_event(one, UDRV_PCI_BIND, nic, "e1000");
	assert_int_equal(udrv_pci_scan(&f, &l, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].driver, "e1000");
	udrv_pci_free(l);
	udrv_monitor_close(all);
	udrv_monitor_close(one);
}

static void test_errors(void **state)
{
	int fds = count_fds();

	(void)state;
	assert_int_equal(udrv_bind(edu, "nosuchdriver", NULL), -ENOENT);
	assert_non_null(strstr(udrv_last_error(), "modprobe nosuchdriver failed (exit status"));
	assert_int_equal(udrv_bind("00:1e.0", "vfio-pci", NULL), -ENODEV);
	assert_non_null(strstr(udrv_last_error(), "0000:00:1e.0: no such PCI device"));
	assert_int_equal(count_fds(), fds);
}

/* The other functions, by id and slot. */
static void find_functions(void)
{
	struct udrv_pci_info *l;
	struct udrv_pci_filter f;
	size_t n, i;

	if (udrv_pci_filter_parse(&f, NULL, "8086:100e") || udrv_pci_scan(&f, &l, &n))
		fail_msg("scan: %s", udrv_last_error());
	for (i = 0; i < n; i++)
		snprintf(l[i].addr.slot == 6 ? nic2 : nic, sizeof(nic), "%s", l[i].name);
	udrv_pci_free(l);
	if (udrv_pci_filter_parse(&f, "06.0", "1234:11e8") || udrv_pci_scan(&f, &l, &n) || n != 1)
		fail_msg("no second edu at 06.0 (see tests/meson.build for the QEMU arguments)");
	snprintf(edu2, sizeof(edu2), "%s", l[0].name);
	udrv_pci_free(l);
	if (!*nic || !*nic2)
		fail_msg("need an e1000 and an e1000 at 06.1");
}

static int setup(void **state)
{
	(void)state;
	find_functions();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edu_to_uio_then_vfio_and_back),
		cmocka_unit_test(test_host_driver_round_trip),
		cmocka_unit_test(test_group_not_viable),
		cmocka_unit_test(test_remove_and_add_events),
		cmocka_unit_test(test_errors),
	};

	edu = getenv("UDRV_EDU");
	if (!edu) {
		fprintf(stderr, "vm_bind: UDRV_EDU is not set (run me through udrv-vm)\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, setup, NULL);
}
