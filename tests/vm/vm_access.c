// SPDX-License-Identifier: MIT
/*
 * Walking skeleton, run inside the udrv-vm guest for every profile: open the
 * edu device with the backend its driver implies, map BAR0, read the ident
 * register, check liveness, and compare config space with sysfs.
 *
 * Environment (set by udrv-vm): UDRV_EDU = PCI address of the edu device,
 * UDRV_VM_PROFILE = uio | stub | vfio | none.
 */
#include <dirent.h>
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

#define EDU_IDENT 0x010000ed

static const char *edu_addr;
static enum udrv_backend expected;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backend_matches_profile),
		cmocka_unit_test(test_bar0_ident_liveness),
		cmocka_unit_test(test_config_matches_sysfs),
		cmocka_unit_test(test_errors_leak_nothing),
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
