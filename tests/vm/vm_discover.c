// SPDX-License-Identifier: MIT
/*
 * Discovery in the udrv-vm guest (profile none, plus an e1000): every PCI
 * function of the real sysfs tree is listed, in lspci order, with the ids,
 * class, revision, subsystem, BARs, driver and IOMMU group that sysfs shows;
 * edu and the e1000 have their known identities; lspci filters select what
 * they should.
 *
 * Environment (set by udrv-vm): UDRV_EDU = PCI address of the edu device.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#define SYSFS "/sys/bus/pci/devices"

static const char *edu_addr;

static struct udrv_pci_info *scan(const char *slot, const char *id, size_t *n)
{
	struct udrv_pci_filter f;
	struct udrv_pci_info *list;

	if (udrv_pci_filter_parse(&f, slot, id))
		fail_msg("filter -s '%s' -d '%s': %s", slot ? slot : "", id ? id : "",
			 udrv_last_error());
	if (udrv_pci_scan(&f, &list, n))
		fail_msg("udrv_pci_scan: %s", udrv_last_error());
	return list;
}

static unsigned long attr(const char *dev, const char *name)
{
	char path[PATH_MAX], buf[64];
	FILE *fp;

	snprintf(path, sizeof(path), SYSFS "/%s/%s", dev, name);
	fp = fopen(path, "r");
	if (!fp)
		fail_msg("cannot open %s", path);
	if (!fgets(buf, sizeof(buf), fp))
		fail_msg("cannot read %s", path);
	fclose(fp);
	return strtoul(buf, NULL, 0);
}

static void link_name(const char *dev, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS "/%s/%s", dev, name);
	n = readlink(path, target, sizeof(target) - 1);
	buf[0] = '\0';
	if (n > 0) {
		target[n] = '\0';
		snprintf(buf, size, "%s", strrchr(target, '/') + 1);
	}
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every field of every function against what sysfs says. */
static void test_scan_matches_sysfs(void **state)
{
	char *names[64], drv[64], group[16], path[PATH_MAX], line[128];
	struct udrv_pci_info *l;
	size_t n, ndir = 0, i, b;
	struct dirent *de;
	DIR *d;
	FILE *fp;

	(void)state;
	d = opendir(SYSFS);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && ndir < 64)
			names[ndir++] = strdup(de->d_name);
	closedir(d);
	qsort(names, ndir, sizeof(names[0]), cmp_names); /* same-width hex: lspci order */

	l = scan(NULL, NULL, &n);
	assert_int_equal(n, ndir);
	for (i = 0; i < n; i++) {
		const struct udrv_pci_info *p = &l[i];

		assert_string_equal(p->name, names[i]);
		assert_int_equal(p->vendor, attr(p->name, "vendor"));
		assert_int_equal(p->device, attr(p->name, "device"));
		assert_int_equal(p->class_code, attr(p->name, "class"));
		assert_int_equal(p->revision, attr(p->name, "revision"));
		assert_int_equal(p->subsys_vendor, attr(p->name, "subsystem_vendor"));
		assert_int_equal(p->subsys_device, attr(p->name, "subsystem_device"));
		link_name(p->name, "driver", drv, sizeof(drv));
		assert_string_equal(p->driver, drv);
		link_name(p->name, "iommu_group", group, sizeof(group));
		assert_int_equal(p->iommu_group, *group ? atoi(group) : -1);

		snprintf(path, sizeof(path), SYSFS "/%s/resource", p->name);
		fp = fopen(path, "r");
		assert_non_null(fp);
		for (b = 0; b < UDRV_NUM_BARS && fgets(line, sizeof(line), fp); b++) {
			uint64_t s, e, f, size;
			uint32_t want = 0;

			assert_int_equal(sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &s, &e, &f),
					 3);
			size = e > s ? e - s + 1 : 0;
			if (f & 0x100)
				want |= UDRV_BAR_IO;
			if (f & 0x200)
				want |= UDRV_BAR_MEM;
			if (f & 0x100000)
				want |= UDRV_BAR_MEM64;
			if (f & 0x2000)
				want |= UDRV_BAR_PREFETCH;
			assert_int_equal(p->bars[b].size, size);
			if (size) {
				assert_int_equal(p->bars[b].start, s);
				assert_int_equal(p->bars[b].flags, want);
			}
		}
		fclose(fp);
		free(names[i]);
	}
	udrv_pci_free(l);
}

static const struct udrv_pci_info *find(const struct udrv_pci_info *l, size_t n, uint16_t ven,
					 uint16_t dev)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i].vendor == ven && l[i].device == dev)
			return &l[i];
	fail_msg("no %04x:%04x found", ven, dev);
	return NULL;
}

static void test_edu_and_e1000(void **state)
{
	const struct udrv_pci_info *edu, *nic;
	struct udrv_pci_info *l;
	size_t n;

	(void)state;
	l = scan(NULL, NULL, &n);
	edu = find(l, n, 0x1234, 0x11e8);
	assert_string_equal(edu->name, edu_addr);
	assert_int_equal(edu->class_code, 0x00ff00);
	assert_int_equal(edu->revision, 0x10);
	assert_int_equal(edu->bars[0].size, 1 << 20);
	assert_int_equal(edu->bars[0].flags, UDRV_BAR_MEM);
	assert_int_equal(edu->bars[1].size, 0);
	assert_string_equal(edu->driver, "");
	assert_int_equal(edu->backend, UDRV_BACKEND_SYSFS);

	nic = find(l, n, 0x8086, 0x100e);
	assert_int_equal(nic->class_code, 0x020000);
	assert_int_equal(nic->bars[0].size, 128 * 1024);
	assert_int_equal(nic->bars[0].flags, UDRV_BAR_MEM);
	assert_int_equal(nic->bars[1].size, 64);
	assert_int_equal(nic->bars[1].flags, UDRV_BAR_IO);
	udrv_pci_free(l);
}

static void expect_only(const char *slot, const char *id, uint16_t ven, uint16_t dev)
{
	struct udrv_pci_info *l;
	size_t n, i;

	l = scan(slot, id, &n);
	if (!n)
		fail_msg("-s '%s' -d '%s' matched nothing", slot ? slot : "", id ? id : "");
	for (i = 0; i < n; i++)
		if (l[i].vendor != ven || (dev && l[i].device != dev))
			fail_msg("-s '%s' -d '%s' matched %s (%04x:%04x)", slot ? slot : "",
				 id ? id : "", l[i].name, l[i].vendor, l[i].device);
	udrv_pci_free(l);
}

static void test_filters(void **state)
{
	struct udrv_pci_info *l;
	size_t n;

	(void)state;
	expect_only(NULL, "1234:11e8", 0x1234, 0x11e8);
	expect_only(edu_addr, NULL, 0x1234, 0x11e8);
	expect_only(edu_addr + 5, NULL, 0x1234, 0x11e8); /* bus:slot.func */
	expect_only(NULL, "::0200", 0x8086, 0x100e);
	expect_only(NULL, "::02xx", 0x8086, 0x100e);
	expect_only(NULL, "8086:", 0x8086, 0);
	expect_only(NULL, "*:100e:0200", 0x8086, 0x100e);

	l = scan(edu_addr, "8086:", &n);
	assert_int_equal(n, 0);
	assert_null(l);
	l = scan(NULL, "1234:11e8:0200", &n);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_matches_sysfs),
		cmocka_unit_test(test_edu_and_e1000),
		cmocka_unit_test(test_filters),
	};

	edu_addr = getenv("UDRV_EDU");
	if (!edu_addr) {
		fprintf(stderr, "vm_discover: UDRV_EDU is not set (run me through udrv-vm)\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
