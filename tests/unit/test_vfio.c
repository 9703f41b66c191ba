// SPDX-License-Identifier: MIT
/*
 * VFIO paths that need no kernel: group node resolution (including no-IOMMU
 * groups) and the container's error paths, on a fake /sys and /dev
 * (fake_sysfs_set_roots()).
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
#include "vfio/vfio.h"

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
	fake_sysfs_set_roots(root, path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
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

/* A region info reply with a capability chain, as the kernel lays it out. */
static void test_info_caps(void **state)
{
	struct {
		struct vfio_region_info r;
		struct vfio_region_info_cap_sparse_mmap sp;
		struct vfio_region_sparse_mmap_area area;
		struct vfio_info_cap_header msix;
	} reply = { 0 };
	const struct vfio_info_cap_header *h;
	uint32_t first = offsetof(__typeof__(reply), sp), second = offsetof(__typeof__(reply), msix);

	(void)state;
	reply.r.argsz = sizeof(reply);
	reply.r.flags = VFIO_REGION_INFO_FLAG_CAPS;
	reply.r.cap_offset = first;
	reply.sp.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP;
	reply.sp.header.next = second;
	reply.sp.nr_areas = 1;
	reply.msix.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE;

	/* Each id finds its own capability, first or second in the chain. */
	h = udrv_vfio_info_cap(&reply, reply.r.argsz, sizeof(reply.r), first,
			       VFIO_REGION_INFO_CAP_SPARSE_MMAP);
	assert_ptr_equal(h, &reply.sp.header);
	h = udrv_vfio_info_cap(&reply, reply.r.argsz, sizeof(reply.r), first,
			       VFIO_REGION_INFO_CAP_MSIX_MAPPABLE);
	assert_ptr_equal(h, &reply.msix);
	assert_null(udrv_vfio_info_cap(&reply, reply.r.argsz, sizeof(reply.r), first,
				       VFIO_REGION_INFO_CAP_TYPE));
	/* No chain, a chain into the fixed part, past argsz, or a loop: nothing. */
	assert_null(udrv_vfio_info_cap(&reply, reply.r.argsz, sizeof(reply.r), 0,
				       VFIO_REGION_INFO_CAP_SPARSE_MMAP));
	assert_null(udrv_vfio_info_cap(&reply, reply.r.argsz, sizeof(reply.r), 4,
				       VFIO_REGION_INFO_CAP_SPARSE_MMAP));
	assert_null(udrv_vfio_info_cap(&reply, second + 2, sizeof(reply.r), first,
				       VFIO_REGION_INFO_CAP_MSIX_MAPPABLE));
	reply.msix.next = first;
	assert_null(udrv_vfio_info_cap(&reply, reply.r.argsz, sizeof(reply.r), first,
				       VFIO_REGION_INFO_CAP_TYPE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_caps),
		cmocka_unit_test(test_group_path),
		cmocka_unit_test(test_container_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
