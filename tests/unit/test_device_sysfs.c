// SPDX-License-Identifier: MIT
/*
 * Device handles on a fake sysfs tree (UDRV_SYSFS_ROOT): backend selection
 * from the bound driver, BAR descriptions from the "resource" file, config
 * space through the "config" file, and the error paths, with a check that no
 * file descriptor leaks on any of them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "uio/uio_dev.h"
#include "udrv_internal.h"

#define DEV "0000:00:04.0"

/* An edu-like function: BAR0 32-bit 1 MiB, BAR2 64-bit prefetchable, BAR4 I/O. */
static int setup(void **state)
{
	static const char resource[] =
		"0x00000000fea00000 0x00000000feafffff 0x0000000000040200\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000800000000 0x0000000800003fff 0x000000000014220c\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x000000000000c000 0x000000000000c01f 0x0000000000040101\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
	unsigned char config[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(config); i++)
		config[i] = i;
	config[0] = 0x34, config[1] = 0x12, config[2] = 0xe8, config[3] = 0x11;
	fake_sysfs_create();
	fake_sysfs_add_device(DEV, config, sizeof(config), resource);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_sysfs_destroy();
	return 0;
}

static enum udrv_backend for_driver(const char *driver)
{
	return udrv_access_path_for_driver(driver)->backend;
}

static void test_backend_for_driver(void **state)
{
	(void)state;
	assert_int_equal(for_driver("vfio-pci"), UDRV_BACKEND_VFIO);
	assert_int_equal(for_driver("uio_pci_generic"), UDRV_BACKEND_UIO);
	assert_int_equal(for_driver("udrv_stub"), UDRV_BACKEND_STUB);
	assert_int_equal(for_driver("e1000"), UDRV_BACKEND_SYSFS);
	assert_int_equal(for_driver(NULL), UDRV_BACKEND_SYSFS);
	assert_int_equal(for_driver(""), UDRV_BACKEND_SYSFS);
	/* vfio-pci's variant drivers are VFIO too (the "vfio" family). */
	assert_int_equal(for_driver("mlx5_vfio_pci"), UDRV_BACKEND_VFIO);
	assert_int_equal(for_driver("hisi_acc_vfio_pci"), UDRV_BACKEND_VFIO);
	/* Prefixes of a driver name are other drivers. */
	assert_int_equal(for_driver("uio_pci_generi"), UDRV_BACKEND_SYSFS);
	assert_int_equal(for_driver("udrv_stub2"), UDRV_BACKEND_SYSFS);
	assert_string_equal(udrv_backend_name(UDRV_BACKEND_STUB), "stub");
	assert_string_equal(udrv_backend_name(UDRV_BACKEND_AUTO), "auto");
	assert_string_equal(udrv_backend_name((enum udrv_backend)42), "?");
}

/* The table: numbered from 1 without gaps, each entry its own number and name. */
static void test_access_path_table(void **state)
{
	static const char *const names[] = { "vfio", "uio", "stub", "sysfs" };
	const struct udrv_access_path *p;
	int b;

	(void)state;
	assert_null(udrv_access_path(UDRV_BACKEND_AUTO));
	for (b = 1; (p = udrv_access_path((enum udrv_backend)b)); b++) {
		assert_int_equal(p->backend, b);
		assert_ptr_equal(udrv_access_path_by_name(p->name), p);
		assert_string_equal(udrv_backend_name(p->backend), p->name);
		assert_non_null(p->summary);
		if (p->driver) {
			assert_ptr_equal(udrv_access_path_for_driver(p->driver), p);
			assert_non_null(p->modules[0]);
			assert_non_null(p->remedy);
		}
		if (b <= 4)
			assert_string_equal(p->name, names[b - 1]);
	}
	assert_int_equal(b, 5);
	assert_null(udrv_access_path_by_name("auto"));
	assert_null(udrv_access_path_by_name(NULL));
	assert_string_equal(udrv_access_path(UDRV_BACKEND_VFIO)->modules[1], "vfio_iommu_type1");
}

static void test_auto_unbound_is_sysfs(void **state)
{
	struct udrv_device *dev;

	(void)state;
	fake_sysfs_bind(DEV, NULL);
	assert_int_equal(udrv_open("00:04.0", NULL, &dev), 0);
	assert_int_equal(udrv_backend(dev), UDRV_BACKEND_SYSFS);
	assert_string_equal(udrv_device_name(dev), DEV);
	udrv_close(dev);
}

static void test_auto_uio_without_uio_dir(void **state)
{
	struct udrv_device *dev = (void *)1;
	int fds = count_fds();

	(void)state;
	fake_sysfs_bind(DEV, "uio_pci_generic");
	assert_int_equal(udrv_open(DEV, NULL, &dev), -ENODEV);
	assert_null(dev);
	assert_non_null(strstr(udrv_last_error(), "not bound to uio_pci_generic"));
	assert_non_null(strstr(udrv_last_error(), "driver_override"));
	assert_int_equal(count_fds(), fds);
	fake_sysfs_bind(DEV, NULL);
}

static void test_vfio_without_iommu_group(void **state)
{
	struct udrv_open_opts opts = { .backend = UDRV_BACKEND_VFIO };
	struct udrv_device *dev;
	int fds = count_fds();

	(void)state;
	assert_int_equal(udrv_open(DEV, &opts, &dev), -ENODEV);
	assert_non_null(strstr(udrv_last_error(), "no IOMMU group"));
	assert_non_null(strstr(udrv_last_error(), "intel_iommu=on"));
	assert_int_equal(count_fds(), fds);
}

static void test_open_errors(void **state)
{
	struct udrv_open_opts bad = { .backend = (enum udrv_backend)99 };
	struct udrv_device *dev;

	(void)state;
	assert_int_equal(udrv_open("0000:00:05.0", NULL, &dev), -ENODEV);
	assert_non_null(strstr(udrv_last_error(), "0000:00:05.0: no such PCI device"));
	assert_int_equal(udrv_open("nonsense", NULL, &dev), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "'nonsense' is not a PCI address"));
	assert_int_equal(udrv_open(DEV, &bad, &dev), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "unknown backend 99"));
	assert_int_equal(udrv_open(DEV, NULL, NULL), -EINVAL);
}

static void test_bar_info(void **state)
{
	struct udrv_device *dev;
	struct udrv_bar_info info;

	(void)state;
	assert_int_equal(udrv_open(DEV, NULL, &dev), 0);

	assert_int_equal(udrv_bar_info(dev, 0, &info), 0);
	assert_int_equal(info.size, 1 << 20);
	assert_int_equal(info.phys, 0xfea00000);
	assert_int_equal(info.flags, UDRV_BAR_MEM | UDRV_BAR_MMAP);

	assert_int_equal(udrv_bar_info(dev, 2, &info), 0);
	assert_int_equal(info.size, 0x4000);
	assert_int_equal(info.flags,
			 UDRV_BAR_MEM | UDRV_BAR_MEM64 | UDRV_BAR_PREFETCH | UDRV_BAR_MMAP);

	assert_int_equal(udrv_bar_info(dev, 4, &info), 0);
	assert_int_equal(info.size, 32);
	assert_int_equal(info.flags, UDRV_BAR_IO);

	assert_int_equal(udrv_bar_info(dev, 1, &info), -ENOENT);
	assert_non_null(strstr(udrv_last_error(), DEV ": BAR 1 is not implemented"));
	assert_int_equal(udrv_bar_info(dev, 6, &info), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "BAR 6 out of range"));
	udrv_close(dev);
}

static void test_bar_map_errors(void **state)
{
	struct udrv_device *dev;
	void *addr;
	int fds;

	(void)state;
	assert_int_equal(udrv_open(DEV, NULL, &dev), 0);
	fds = count_fds();
	assert_int_equal(udrv_bar_map(dev, 4, &addr, NULL), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "I/O port BAR"));
	assert_int_equal(udrv_bar_map(dev, 1, &addr, NULL), -ENOENT);
	assert_int_equal(udrv_bar_map(dev, 7, &addr, NULL), -EINVAL);
	/* The fake tree has no resource0 file: the open fails, nothing leaks. */
	assert_true(udrv_bar_map(dev, 0, &addr, NULL) < 0);
	assert_non_null(strstr(udrv_last_error(), "resource0"));
	assert_int_equal(count_fds(), fds);
	udrv_close(dev);
}

static void test_config(void **state)
{
	struct udrv_device *dev;
	unsigned char buf[4];
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;

	(void)state;
	assert_int_equal(udrv_open(DEV, NULL, &dev), 0);
	assert_int_equal(udrv_config_read32(dev, 0, &v32), 0);
	assert_int_equal(v32, 0x11e81234);
	assert_int_equal(udrv_config_read16(dev, 2, &v16), 0);
	assert_int_equal(v16, 0x11e8);
	assert_int_equal(udrv_config_read(dev, buf, 4, 252), 4);
	assert_int_equal(buf[3], 255);

	assert_int_equal(udrv_config_read32(dev, 2, &v32), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "not aligned"));
	assert_int_equal(udrv_config_read(dev, buf, 4, 253), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "outside the device's 256-byte config space"));
	assert_int_equal(udrv_config_read(dev, buf, 1, -1), -EINVAL);
	assert_int_equal(udrv_config_read(dev, NULL, 1, 0), -EINVAL);

	assert_int_equal(udrv_config_write16(dev, 4, 0x0406), 0);
	assert_int_equal(udrv_config_read16(dev, 4, &v16), 0);
	assert_int_equal(v16, 0x0406);
	assert_int_equal(udrv_config_write8(dev, 0x3c, 0x0b), 0);
	assert_int_equal(udrv_config_read8(dev, 0x3c, &v8), 0);
	assert_int_equal(v8, 0x0b);
	assert_int_equal(udrv_config_write32(dev, 0x40, 0xdeadbeef), 0);
	assert_int_equal(udrv_config_read(dev, buf, 4, 0x40), 4);
	assert_int_equal(buf[0], 0xef);
	assert_int_equal(buf[3], 0xde);
	assert_int_equal(udrv_config_write32(dev, 0x42, 0), -EINVAL);
	udrv_close(dev);
}

/* The Command register: bus mastering is bit 2 (0x0004), one read-modify-write. */
static void test_command_register(void **state)
{
	struct udrv_device *dev;
	uint16_t v16;

	(void)state;
	assert_int_equal(udrv_open(DEV, NULL, &dev), 0);
	assert_int_equal(udrv_config_write16(dev, 4, 0x0400), 0);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	assert_int_equal(udrv_config_read16(dev, 4, &v16), 0);
	assert_int_equal(v16, 0x0404);
	assert_int_equal(udrv_set_bus_master(dev, 0), 0);
	assert_int_equal(udrv_config_read16(dev, 4, &v16), 0);
	assert_int_equal(v16, 0x0400);
	/* Decoding for the kinds of BARs the device has, bus mastering left off. */
	assert_int_equal(udrv_enable(dev), 0);
	assert_int_equal(udrv_config_read16(dev, 4, &v16), 0);
	assert_int_equal(v16 & 0x0007, 0x0003); /* BAR2 memory, BAR4 I/O */
	udrv_close(dev);
}

/* A UIO map covers whole pages from the page of its address. */
static void test_uio_map_span(void **state)
{
	uint64_t start, len;

	(void)state;
	udrv_uio_map_span(0xfea00000, 0x1000, 0x1000, &start, &len);
	assert_int_equal(start, 0xfea00000);
	assert_int_equal(len, 0x1000);
	udrv_uio_map_span(0xfea00000, 0x100, 0x1000, &start, &len);
	assert_int_equal(len, 0x1000);
	udrv_uio_map_span(0xfea00800, 0x100, 0x1000, &start, &len);
	assert_int_equal(start, 0xfea00000);
	assert_int_equal(len, 0x1000);
	udrv_uio_map_span(0xfea00f00, 0x200, 0x1000, &start, &len);
	assert_int_equal(start, 0xfea00000);
	assert_int_equal(len, 0x2000);
	udrv_uio_map_span(0xfea01000, 0x1001, 0x1000, &start, &len);
	assert_int_equal(start, 0xfea01000);
	assert_int_equal(len, 0x2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_register),
		cmocka_unit_test(test_uio_map_span),
		cmocka_unit_test(test_backend_for_driver),
		cmocka_unit_test(test_access_path_table),
		cmocka_unit_test(test_auto_unbound_is_sysfs),
		cmocka_unit_test(test_auto_uio_without_uio_dir),
		cmocka_unit_test(test_vfio_without_iommu_group),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_bar_info),
		cmocka_unit_test(test_bar_map_errors),
		cmocka_unit_test(test_config),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
