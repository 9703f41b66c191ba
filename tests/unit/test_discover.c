// SPDX-License-Identifier: MIT
/*
 * Discovery on a fake sysfs tree: what udrv_pci_scan() reports (ids, class,
 * revision, subsystem, BARs, driver, IOMMU group, backend), lspci order,
 * lspci's -s/-d filters, and the error paths - including libpci's own fatal
 * error, which must come back as an errno instead of exiting - with no fd
 * leaked on any of them.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "udrv_internal.h"

#include <udrv/discover.h>

#define EDU "0000:00:04.0"
#define E1000 "0000:00:03.0"
#define AHCI "0000:00:1f.2"
#define HOST "0000:00:00.0"
#define NVME "0001:02:00.0"

static const char *root;

#define ZERO_LINE "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
static const char zero_line[] = ZERO_LINE;

static void put_attr(const char *addr, const char *attr, const char *val)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", addr, attr);
	fake_sysfs_put(rel, val, strlen(val));
}

static void link_group(const char *addr, int group)
{
	char path[512], target[64], rel[128];

	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/.keep", group);
	fake_sysfs_put(rel, "", 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", root, addr);
	snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%d", group);
	assert_int_equal(symlink(target, path), 0);
}

/* A function with sysfs ids; @bars are "resource" lines for BAR0.., zero-filled to 7 lines. */
static void add_fn(const char *addr, const char *ven, const char *dev, const char *cls,
		   const char *rev, const char *bars)
{
	unsigned char cfg[64] = { 0 };
	char resource[1024];
	int lines = 0;
	const char *p;

	for (p = bars; *p; p++)
		lines += *p == '\n';
	snprintf(resource, sizeof(resource), "%s", bars);
	for (; lines < 7; lines++)
		strcat(resource, zero_line);
	fake_sysfs_add_device(addr, cfg, sizeof(cfg), resource);
	put_attr(addr, "vendor", ven);
	put_attr(addr, "device", dev);
	put_attr(addr, "class", cls);
	if (rev)
		put_attr(addr, "revision", rev);
}

static int setup(void **state)
{
	/* Config space of a function without sysfs revision/subsystem files. */
	unsigned char host_cfg[64] = { 0x86, 0x80, 0x37, 0x12, [8] = 0x02, [0x0b] = 0x06,
				       [0x2c] = 0xf4, 0x1a, 0x00, 0x11 };

	(void)state;
	root = fake_sysfs_create();
	add_fn(EDU, "0x1234", "0x11e8", "0x00ff00", "0x10",
	       "0x00000000fea00000 0x00000000feafffff 0x0000000000040200\n");
	put_attr(EDU, "subsystem_vendor", "0x1af4");
	put_attr(EDU, "subsystem_device", "0x1100");
	fake_sysfs_bind(EDU, "uio_pci_generic");

	add_fn(E1000, "0x8086", "0x100e", "0x020000", "0x03",
	       "0x00000000febc0000 0x00000000febdffff 0x0000000000040200\n"
	       "0x000000000000c000 0x000000000000c03f 0x0000000000040101\n");
	put_attr(E1000, "subsystem_vendor", "0x1af4");
	put_attr(E1000, "subsystem_device", "0x1100");
	fake_sysfs_bind(E1000, "e1000");
	link_group(E1000, 3);

	add_fn(AHCI, "0x8086", "0x2922", "0x010601", "0x02",
	       "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	       "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	       "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	       "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
	       "0x000000000000c040 0x000000000000c05f 0x0000000000040101\n"
	       "0x00000000febd1000 0x00000000febd1fff 0x0000000000040200\n");
	link_group(AHCI, 5);

	add_fn(NVME, "0x1b36", "0x0010", "0x010802", "0x02",
	       "0x0000000800000000 0x0000000800003fff 0x0000000000140204\n"
	       ZERO_LINE
	       "0x0000000800100000 0x00000008001fffff 0x000000000014220c\n");
	fake_sysfs_bind(NVME, "vfio-pci");
	link_group(NVME, 12);

	add_fn(HOST, "0x8086", "0x1237", "0x060000", NULL, "");
	fake_sysfs_put("bus/pci/devices/" HOST "/config", host_cfg, sizeof(host_cfg));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_sysfs_destroy();
	return 0;
}

static struct udrv_pci_info *scan(const char *slot, const char *id, size_t *n)
{
	struct udrv_pci_filter f;
	struct udrv_pci_info *list = (void *)1;

	if (udrv_pci_filter_parse(&f, slot, id))
		fail_msg("filter -s '%s' -d '%s': %s", slot, id, udrv_last_error());
	if (udrv_pci_scan(&f, &list, n))
		fail_msg("scan: %s", udrv_last_error());
	return list;
}

static void test_scan_all_in_lspci_order(void **state)
{
	static const char *const order[] = { HOST, E1000, EDU, AHCI, NVME };
	struct udrv_pci_info *l;
	size_t n, i;
	int fds = count_fds();

	(void)state;
	assert_int_equal(udrv_pci_scan(NULL, &l, &n), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++)
		assert_string_equal(l[i].name, order[i]);
	udrv_pci_free(l);
	assert_int_equal(count_fds(), fds);
}

static void test_scan_fields(void **state)
{
	struct udrv_pci_info *l;
	size_t n;

	(void)state;
	l = scan(NULL, NULL, &n);

	/* host bridge: revision and subsystem from config space (no sysfs files) */
	assert_int_equal(l[0].vendor, 0x8086);
	assert_int_equal(l[0].device, 0x1237);
	assert_int_equal(l[0].class_code, 0x060000);
	assert_int_equal(l[0].revision, 0x02);
	assert_string_equal(l[0].driver, "");
	assert_int_equal(l[0].iommu_group, -1);
	assert_int_equal(l[0].backend, UDRV_BACKEND_SYSFS);
	assert_int_equal(l[0].bars[0].size, 0);
	assert_int_equal(l[0].bars[0].flags, 0);

	/* e1000: 32-bit memory BAR0, I/O BAR1, host driver, group 3 */
	assert_int_equal(l[1].addr.slot, 3);
	assert_int_equal(l[1].class_code, 0x020000);
	assert_int_equal(l[1].revision, 3);
	assert_int_equal(l[1].subsys_vendor, 0x1af4);
	assert_int_equal(l[1].subsys_device, 0x1100);
	assert_int_equal(l[1].bars[0].start, 0xfebc0000);
	assert_int_equal(l[1].bars[0].size, 128 * 1024);
	assert_int_equal(l[1].bars[0].flags, UDRV_BAR_MEM);
	assert_int_equal(l[1].bars[1].start, 0xc000);
	assert_int_equal(l[1].bars[1].size, 64);
	assert_int_equal(l[1].bars[1].flags, UDRV_BAR_IO);
	assert_string_equal(l[1].driver, "e1000");
	assert_int_equal(l[1].iommu_group, 3);
	assert_int_equal(l[1].backend, UDRV_BACKEND_SYSFS);

	/* edu */
	assert_int_equal(l[2].vendor, 0x1234);
	assert_int_equal(l[2].device, 0x11e8);
	assert_int_equal(l[2].class_code, 0x00ff00);
	assert_int_equal(l[2].revision, 0x10);
	assert_int_equal(l[2].bars[0].size, 1 << 20);
	assert_int_equal(l[2].backend, UDRV_BACKEND_UIO);

	/* ahci: prog-if in the 24-bit class, BAR4 I/O, BAR5 memory */
	assert_int_equal(l[3].class_code, 0x010601);
	assert_int_equal(l[3].bars[4].flags, UDRV_BAR_IO);
	assert_int_equal(l[3].bars[5].size, 4096);
	assert_int_equal(l[3].iommu_group, 5);

	/* nvme in domain 1: 64-bit BAR0, 64-bit prefetchable BAR2, vfio-pci */
	assert_int_equal(l[4].addr.domain, 1);
	assert_int_equal(l[4].addr.bus, 2);
	assert_int_equal(l[4].bars[0].start, 0x800000000ULL);
	assert_int_equal(l[4].bars[0].flags, UDRV_BAR_MEM | UDRV_BAR_MEM64);
	assert_int_equal(l[4].bars[1].flags, 0);
	assert_int_equal(l[4].bars[2].size, 1 << 20);
	assert_int_equal(l[4].bars[2].flags, UDRV_BAR_MEM | UDRV_BAR_MEM64 | UDRV_BAR_PREFETCH);
	assert_string_equal(l[4].driver, "vfio-pci");
	assert_int_equal(l[4].iommu_group, 12);
	assert_int_equal(l[4].backend, UDRV_BACKEND_VFIO);
	udrv_pci_free(l);
}

static void expect_match(const char *slot, const char *id, const char *want)
{
	char got[128] = "";
	struct udrv_pci_info *l;
	size_t n, i;

	l = scan(slot, id, &n);
	for (i = 0; i < n; i++) {
		strcat(got, i ? " " : "");
		strcat(got, l[i].name);
	}
	if (strcmp(got, want))
		fail_msg("-s '%s' -d '%s': got '%s', want '%s'", slot ? slot : "", id ? id : "",
			 got, want);
	if (!n)
		assert_null(l);
	udrv_pci_free(l);
}

static void test_filters_match(void **state)
{
	(void)state;
	expect_match("04", NULL, EDU);
	expect_match("00:04.0", NULL, EDU);
	expect_match(EDU, NULL, EDU);
	expect_match("4.0", NULL, EDU);
	expect_match("4.1", NULL, "");
	expect_match(".2", NULL, AHCI);
	expect_match("1:", NULL, "");         /* bus 1 */
	expect_match("1::", NULL, NVME);      /* domain 1 */
	expect_match("*:*.*", NULL, HOST " " E1000 " " EDU " " AHCI " " NVME);
	expect_match("0:*:*.*", NULL, HOST " " E1000 " " EDU " " AHCI);
	expect_match("0000:00:", NULL, HOST " " E1000 " " EDU " " AHCI);
	expect_match("02:", NULL, NVME);
	expect_match(NULL, "8086:", HOST " " E1000 " " AHCI);
	expect_match(NULL, ":100e", E1000);
	expect_match(NULL, "1234:11e8", EDU);
	expect_match(NULL, "*:*:0200", E1000);
	expect_match(NULL, "::01xx", AHCI " " NVME);
	expect_match(NULL, "::0108:02", NVME);
	expect_match(NULL, "::0106:02", "");
	expect_match(NULL, "::x6xx", HOST);
	expect_match(NULL, "::0xxx", HOST " " E1000 " " EDU " " AHCI " " NVME);
	expect_match("00:", "8086:", HOST " " E1000 " " AHCI);
	expect_match("1f", "8086:", AHCI);
	expect_match("1f", "1234:", "");
	expect_match("", "", HOST " " E1000 " " EDU " " AHCI " " NVME);
}

static void test_filter_parse_fields(void **state)
{
	struct udrv_pci_filter f;

	(void)state;
	assert_int_equal(udrv_pci_filter_parse(&f, "1:2:3.4", "8086:100e:02x0:01"), 0);
	assert_int_equal(f.domain, 1);
	assert_int_equal(f.bus, 2);
	assert_int_equal(f.slot, 3);
	assert_int_equal(f.func, 4);
	assert_int_equal(f.vendor, 0x8086);
	assert_int_equal(f.device, 0x100e);
	assert_int_equal(f.class_id, 0x0200);
	assert_int_equal(f.class_mask & 0xffff, 0xff0f);
	assert_int_equal(f.prog_if, 1);

	udrv_pci_filter_init(&f);
	assert_int_equal(f.domain, -1);
	assert_int_equal(f.vendor, -1);
	assert_int_equal(f.class_id, -1);
	assert_int_equal(f.prog_if, -1);

	/* A failed parse leaves the filter as it was. */
	f.bus = 7;
	assert_int_equal(udrv_pci_filter_parse(&f, "00:04.0", "nothex:"), -EINVAL);
	assert_int_equal(f.bus, 7);
	assert_non_null(strstr(udrv_last_error(), "invalid vendor ID"));
	udrv_pci_filter_init(NULL);
}

/* A tree that breaks a rule is reported, with the file, and leaks nothing. */
static void expect_scan_error(int err, const char *msg)
{
	struct udrv_pci_info *l = (void *)1;
	size_t n = 42;
	int fds = count_fds();

	assert_int_equal(udrv_pci_scan(NULL, &l, &n), err);
	assert_null(l);
	assert_int_equal(n, 0);
	if (!strstr(udrv_last_error(), msg))
		fail_msg("got '%s', want '%s'", udrv_last_error(), msg);
	assert_int_equal(count_fds(), fds);
}

static void test_scan_errors(void **state)
{
	char path[PATH_MAX], saved[PATH_MAX + 8];
	struct udrv_pci_info *l;
	size_t n;

	(void)state;
	assert_int_equal(udrv_pci_scan(NULL, NULL, &n), -EINVAL);
	assert_int_equal(udrv_pci_scan(NULL, &l, NULL), -EINVAL);

	/* Not a PCI name in devices/: libpci would exit (and leak a DIR). */
	fake_sysfs_put("bus/pci/devices/junk/vendor", "", 0);
	expect_scan_error(-EIO, "devices/junk is not a PCI function");
	snprintf(path, sizeof(path), "rm -r '%s/bus/pci/devices/junk'", root);
	assert_int_equal(system(path), 0);

	/* A malformed resource line: libpci would exit (and leak a FILE). */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/" EDU "/resource", root);
	snprintf(saved, sizeof(saved), "%s.saved", path);
	assert_int_equal(rename(path, saved), 0);
	fake_sysfs_put("bus/pci/devices/" EDU "/resource", "0x1 0x2\n", 8);
	expect_scan_error(-EIO, "malformed line 1 in");
	unlink(path);
	expect_scan_error(-EIO, EDU "/resource: No such file");
	assert_int_equal(rename(saved, path), 0);

	/* A missing mandatory attribute. */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/" AHCI "/class", root);
	snprintf(saved, sizeof(saved), "%s.saved", path);
	assert_int_equal(rename(path, saved), 0);
	expect_scan_error(-EIO, AHCI "/class: No such file");
	assert_int_equal(rename(saved, path), 0);

	/* No tree at all. */
	snprintf(path, sizeof(path), "%s/nowhere", root);
	fake_sysfs_set_roots(path, NULL);
	expect_scan_error(-ENOENT, "nowhere/bus/pci/devices: No such file or directory (is sysfs mounted?)");
	fake_sysfs_set_roots(root, NULL);
}

/*
 * A root whose paths fit udrv's buffers but not libpci's 1024-byte ones:
 * libpci calls its fatal error handler in the middle of the scan, with
 * devices allocated.  It must come back as -EIO with libpci's reason, and
 * valgrind must find nothing leaked.
 */
static void test_libpci_fatal_error_returns(void **state)
{
	static const char *const attrs[][2] = {
		{ "vendor", "0x1234" }, { "device", "0x11e8" }, { "class", "0x00ff00" },
		{ "resource", zero_line },
	};
	char deep[PATH_MAX], path[PATH_MAX + 64], cmd[PATH_MAX + 80];
	int fds = count_fds();
	struct udrv_pci_info *l;
	size_t n, i, len;
	FILE *fp;

	(void)state;
	/* root/ddd.../ddd... : 1000 characters, in components of at most 200 */
	len = snprintf(deep, sizeof(deep), "%s", root);
	while (len < 1000) {
		size_t chunk = 1000 - len - 1 > 200 ? 200 : 1000 - len - 1;

		deep[len++] = '/';
		memset(deep + len, 'd', chunk);
		len += chunk;
		deep[len] = '\0';
	}
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/bus/pci/devices/" EDU "'", deep);
	assert_int_equal(system(cmd), 0);
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/" EDU "/%s", deep, attrs[i][0]);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(attrs[i][1], fp);
		fclose(fp);
	}
	fake_sysfs_set_roots(deep, NULL);

	assert_int_equal(udrv_pci_scan(NULL, &l, &n), -EIO);
	assert_non_null(strstr(udrv_last_error(), "libpci failed: File name too long"));
	assert_int_equal(count_fds(), fds);
	/* and again: the handler is reusable */
	assert_int_equal(udrv_pci_scan(NULL, &l, &n), -EIO);
	assert_int_equal(count_fds(), fds);

	fake_sysfs_set_roots(root, NULL);
	snprintf(cmd, sizeof(cmd), "rm -r '%.228s'", deep);
	assert_int_equal(system(cmd), 0);
	l = scan(NULL, NULL, &n);
	assert_int_equal(n, 5);
	udrv_pci_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_all_in_lspci_order),
		cmocka_unit_test(test_scan_fields),
		cmocka_unit_test(test_filters_match),
		cmocka_unit_test(test_filter_parse_fields),
		cmocka_unit_test(test_scan_errors),
		cmocka_unit_test(test_libpci_fatal_error_returns),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
