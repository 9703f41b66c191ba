// SPDX-License-Identifier: MIT
/*
 * Walking skeleton, run inside the udrv-vm guest for every profile: open the
 * edu device with the backend its driver implies, map BAR0, read the ident
 * register, check liveness, and compare config space with sysfs.
 *
 * Environment (set by udrv-vm): UDRV_EDU = PCI address of the edu device,
 * UDRV_VM_PROFILE = uio | stub | vfio | none.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "nobody.h"

#define EDU_IDENT 0x010000ed

static const char *edu_addr;
static enum udrv_backend expected;

static struct udrv_device *open_edu(void)
{
	struct udrv_device *dev = NULL;
	int ret = udrv_open(edu_addr, NULL, &dev);

	if (ret)
		fail_msg("udrv_open(%s): %d: %s", edu_addr, ret, udrv_last_error());
	return dev;
}

static void test_backend_matches_profile(void **state)
{
	struct udrv_device *dev = open_edu();

	(void)state;
	assert_string_equal(udrv_backend_name(udrv_backend(dev)), udrv_backend_name(expected));
	udrv_close(dev);
}

static void test_bar0_ident_liveness(void **state)
{
	struct udrv_device *dev = open_edu();
	struct udrv_bar_info info;
	void *bar0, *again;
	size_t len;
	uint32_t x;

	(void)state;
	assert_int_equal(udrv_bar_info(dev, 0, &info), 0);
	assert_int_equal(info.size, 1 << 20);
	assert_true(info.flags & UDRV_BAR_MEM);
	assert_true(info.flags & UDRV_BAR_MMAP);

	assert_int_equal(udrv_bar_map(dev, 0, &bar0, &len), 0);
	assert_int_equal(len, 1 << 20);
	assert_int_equal(udrv_read32(bar0, 0x00), EDU_IDENT);
	for (x = 1; x; x <<= 1) {
		udrv_write32(bar0, 0x04, x);
		assert_int_equal(udrv_read32(bar0, 0x04), ~x);
	}
	/* A second map of the same BAR returns the same mapping. */
	assert_int_equal(udrv_bar_map(dev, 0, &again, NULL), 0);
	assert_ptr_equal(again, bar0);
	udrv_close(dev);
}

static void test_config_matches_sysfs(void **state)
{
	struct udrv_device *dev = open_edu();
	unsigned char ours[16], theirs[16];
	char path[128];
	uint32_t id;
	int fd;

	(void)state;
	assert_int_equal(udrv_config_read32(dev, 0, &id), 0);
	assert_int_equal(id, 0x11e81234);

	/* Identity, revision and class code (0x00-0x0b) are not virtualised by any backend. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", udrv_device_name(dev));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, theirs, 12, 0), 12);
	close(fd);
	assert_int_equal(udrv_config_read(dev, ours, 12, 0), 12);
	assert_memory_equal(ours, theirs, 12);
	udrv_close(dev);
}

static void test_errors_leak_nothing(void **state)
{
	struct udrv_device *dev;
	void *addr;
	int fds = count_fds();

	(void)state;
	dev = open_edu();
	assert_int_equal(udrv_bar_map(dev, 1, &addr, NULL), -ENOENT);
	assert_non_null(strstr(udrv_last_error(), "BAR 1 is not implemented"));
	assert_int_equal(udrv_bar_map(dev, 6, &addr, NULL), -EINVAL);
	udrv_close(dev);
	assert_int_equal(count_fds(), fds);

	assert_int_equal(udrv_open("0000:00:1f.7", NULL, &dev), -ENODEV);
	assert_int_equal(count_fds(), fds);
}

/*
 * Without root: the open (UIO node, VFIO group node) or the BAR map (sysfs
 * resourceN) must fail with EACCES/EPERM and a message that says to run as
 * root.  Run in a child that drops to nobody.
 */
static int open_and_map(void *arg)
{
	struct udrv_device *dev;
	void *bar0;
	int ret = udrv_open(arg, NULL, &dev);

	if (!ret) {
		ret = udrv_bar_map(dev, 0, &bar0, NULL);
		udrv_close(dev);
	}
	return ret;
}

static void test_not_root(void **state)
{
	char msg[600];
	int ret;

	(void)state;
	ret = run_as_nobody(open_and_map, (void *)edu_addr, msg, sizeof(msg));
	printf("# as nobody: %s\n", msg);
	assert_true(ret == -EACCES || ret == -EPERM);
	assert_true(strstr(msg, "root") != NULL);
}

/* Forcing a backend the device is not bound to names the driver and the remedy. */
static void test_forced_wrong_backend(void **state)
{
	static const struct {
		enum udrv_backend backend;
		const char *msg;
	} cases[] = {
		{ UDRV_BACKEND_UIO, "not bound to uio_pci_generic" },
		{ UDRV_BACKEND_STUB, "not bound to udrv_stub" },
	};
	struct udrv_open_opts opts = { 0 };
	struct udrv_device *dev;
	char path[128];
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		if (cases[i].backend == expected)
			continue;
		opts.backend = cases[i].backend;
		assert_int_equal(udrv_open(edu_addr, &opts, &dev), -ENODEV);
		assert_non_null(strstr(udrv_last_error(), cases[i].msg));
		assert_non_null(strstr(udrv_last_error(), "driver_override"));
	}
	if (expected == UDRV_BACKEND_VFIO)
		return;
	/* VFIO on a device that is not bound to vfio-pci: why depends on the machine. */
	opts.backend = UDRV_BACKEND_VFIO;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", edu_addr);
	assert_true(udrv_open(edu_addr, &opts, &dev) < 0);
	printf("# forced VFIO: %s\n", udrv_last_error());
	if (access(path, F_OK))
		assert_non_null(strstr(udrv_last_error(), "no IOMMU group"));
	else if (access("/dev/vfio/vfio", F_OK))
		assert_non_null(strstr(udrv_last_error(), "modprobe vfio-pci"));
	else
		assert_non_null(strstr(udrv_last_error(), "bound to vfio-pci"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_matches_profile),
		cmocka_unit_test(test_bar0_ident_liveness),
		cmocka_unit_test(test_config_matches_sysfs),
		cmocka_unit_test(test_errors_leak_nothing),
		cmocka_unit_test(test_not_root),
		cmocka_unit_test(test_forced_wrong_backend),
	};
	const char *profile = getenv("UDRV_VM_PROFILE");

	edu_addr = getenv("UDRV_EDU");
	if (!edu_addr || !profile) {
		fprintf(stderr, "vm_access: UDRV_EDU and UDRV_VM_PROFILE unset: run me under udrv-vm\n");
		return 77;
	}
	expected = !strcmp(profile, "vfio") ? UDRV_BACKEND_VFIO :
		   !strcmp(profile, "uio")  ? UDRV_BACKEND_UIO :
		   !strcmp(profile, "stub") ? UDRV_BACKEND_STUB : UDRV_BACKEND_SYSFS;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
