// SPDX-License-Identifier: MIT
/*
 * VFIO paths that need no kernel: group node resolution (including no-IOMMU
 * groups) and the container's error paths, on a fake /sys and /dev
 * (UDRV_SYSFS_ROOT, UDRV_DEV_ROOT).
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

#define DEV "0000:00:01.0"

static const char *root;

static int setup(void **state)
{
	static const char resource[] = "0xfea00000 0xfeafffff 0x40200\n";
	unsigned char cfg[256] = { 0x34, 0x12, 0xe8, 0x11 };
	char path[512];

	(void)state;
	root = fake_sysfs_create();
	fake_sysfs_add_device(DEV, cfg, sizeof(cfg), resource);
	fake_sysfs_put("kernel/iommu_groups/7/devices/.keep", "", 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/" DEV "/iommu_group", root);
	assert_int_equal(symlink("../../../../kernel/iommu_groups/7", path), 0);
	fake_sysfs_put("dev/vfio/3", "", 0);
	fake_sysfs_put("dev/vfio/noiommu-4", "", 0);
	snprintf(path, sizeof(path), "%s/dev", root);
	setenv("UDRV_DEV_ROOT", path, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("UDRV_DEV_ROOT");
	fake_sysfs_destroy();
	return 0;
}

static void test_group_path(void **state)
{
	char path[PATH_MAX];
	bool noiommu;

	(void)state;
	assert_int_equal(udrv_vfio_group_path(3, path, sizeof(path), &noiommu), 0);
	assert_false(noiommu);
	assert_non_null(strstr(path, "/dev/vfio/3"));
	assert_int_equal(udrv_vfio_group_path(4, path, sizeof(path), &noiommu), 0);
	assert_true(noiommu);
	assert_non_null(strstr(path, "/dev/vfio/noiommu-4"));
	assert_int_equal(udrv_vfio_group_path(5, path, sizeof(path), &noiommu), -ENOENT);
}

static void test_container_errors(void **state)
{
	struct udrv_open_opts vfio = { .backend = UDRV_BACKEND_VFIO };
	struct udrv_device *dev;
	int fds = count_fds();

	(void)state;
	/* No /dev/vfio/vfio: the modules are not loaded. */
	assert_int_equal(udrv_open(DEV, &vfio, &dev), -ENOENT);
	assert_non_null(strstr(udrv_last_error(), "modprobe vfio-pci vfio_iommu_type1"));
	assert_int_equal(count_fds(), fds);
	/* A node that is no VFIO container: the API check fails, nothing leaks. */
	fake_sysfs_put("dev/vfio/vfio", "", 0);
	assert_int_equal(udrv_open(DEV, &vfio, &dev), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "unknown VFIO API version"));
	assert_int_equal(count_fds(), fds);
	assert_int_equal(udrv_vfio_container_fd(), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_path),
		cmocka_unit_test(test_container_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
