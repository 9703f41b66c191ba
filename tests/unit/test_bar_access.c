// SPDX-License-Identifier: MIT
/*
 * BAR ranges, MSI-X holes and checked register access.  On the fake sysfs
 * the resourceN files are plain files, so the sysfs backend's mmap (memory
 * BAR) and pread/pwrite (I/O BAR) paths run for real against them.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "udrv_internal.h"

#define DEV "0000:00:02.0"
#define PG 4096

/* nvme's config space: MSI-X table at BAR0 + 0x2000 (65 entries), PBA at 0x3000. */
static const char resource[] =
	"0x00000000febe0000 0x00000000febe3fff 0x0000000000140204\n"
	"0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n"
	"0x000000000000c000 0x000000000000c01f 0x0000000000040101\n"
	"0x0 0x0 0x0\n0x0 0x0 0x0\n";

static int setup(void **state)
{
	unsigned char cfg[4096], bar0[0x4000], io[32];
	unsigned int i;
	size_t n;

	(void)state;
	fake_sysfs_create();
	n = fake_sysfs_load("nvme", cfg, sizeof(cfg));
	fake_sysfs_add_device(DEV, cfg, n, resource);
	for (i = 0; i < sizeof(bar0); i++)
		bar0[i] = i & 0xff;
	fake_sysfs_put("bus/pci/devices/" DEV "/resource0", bar0, sizeof(bar0));
	for (i = 0; i < sizeof(io); i++)
		io[i] = 0xa0 + i;
	fake_sysfs_put("bus/pci/devices/" DEV "/resource4", io, sizeof(io));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_sysfs_destroy();
	return 0;
}

static void expect_ranges(const struct udrv_range *r, unsigned int n, const uint64_t *want,
			  unsigned int nwant)
{
	unsigned int i;

	assert_int_equal(n, nwant);
	for (i = 0; i < n; i++) {
		assert_int_equal(r[i].offset, want[2 * i]);
		assert_int_equal(r[i].size, want[2 * i + 1]);
	}
}

static void test_subtract(void **state)
{
	struct udrv_range out[UDRV_BAR_MAX_RANGES], h[3];
	unsigned int n;

	(void)state;
	/* No hole: the whole BAR. */
	assert_int_equal(udrv_ranges_subtract(0x4000, NULL, 0, PG, out, &n), 0);
	expect_ranges(out, n, (uint64_t[]){ 0, 0x4000 }, 1);
	/* nvme: table page and PBA page at the end, given out of order. */
	h[0] = (struct udrv_range){ 0x3000, 16 };
	h[1] = (struct udrv_range){ 0x2000, 65 * 16 };
	assert_int_equal(udrv_ranges_subtract(0x4000, h, 2, PG, out, &n), 0);
	expect_ranges(out, n, (uint64_t[]){ 0, 0x2000 }, 1);
	/* A sub-page hole in the middle removes its whole page. */
	h[0] = (struct udrv_range){ 0x1800, 0x10 };
	assert_int_equal(udrv_ranges_subtract(0x4000, h, 1, PG, out, &n), 0);
	expect_ranges(out, n, (uint64_t[]){ 0, 0x1000, 0x2000, 0x2000 }, 2);
	/* Overlapping holes and a hole that runs past the end. */
	h[0] = (struct udrv_range){ 0x0, 0x1800 };
	h[1] = (struct udrv_range){ 0x1000, 0x100 };
	h[2] = (struct udrv_range){ 0x3f00, 0x1000 };
	assert_int_equal(udrv_ranges_subtract(0x4000, h, 3, PG, out, &n), 0);
	expect_ranges(out, n, (uint64_t[]){ 0x2000, 0x1000 }, 1);
	/* virtio's MSI-X BAR: table and PBA fill its only page, nothing is left. */
	h[0] = (struct udrv_range){ 0, 0x20 };
	h[1] = (struct udrv_range){ 0x800, 8 };
	assert_int_equal(udrv_ranges_subtract(0x1000, h, 2, PG, out, &n), 0);
	assert_int_equal(n, 0);
	/* Bad page size. */
	assert_int_equal(udrv_ranges_subtract(0x1000, h, 2, 3000, out, &n), -EINVAL);
}

static void test_msix_holes(void **state)
{
	struct udrv_range holes[2];
	struct udrv_device *dev;
	unsigned int n;

	(void)state;
	assert_int_equal(udrv_open(DEV, NULL, &dev), 0);
	assert_int_equal(udrv_msix_holes(dev, 0, holes, &n), 0);
	expect_ranges(holes, n, (uint64_t[]){ 0x2000, 65 * 16, 0x3000, 16 }, 2);
	assert_int_equal(udrv_msix_holes(dev, 4, holes, &n), 0);
	assert_int_equal(n, 0);
	udrv_close(dev);
}

static void test_memory_access(void **state)
{
	struct udrv_range r[UDRV_BAR_MAX_RANGES];
	struct udrv_device *dev;
	unsigned int n;
	uint64_t v;

	(void)state;
	assert_int_equal(udrv_open(DEV, NULL, &dev), 0);
	assert_int_equal(udrv_bar_read(dev, 0, 0x10, 4, &v), 0);
	assert_int_equal(v, 0x13121110);
	assert_int_equal(udrv_bar_read(dev, 0, 0x11, 1, &v), 0);
	assert_int_equal(v, 0x11);
	assert_int_equal(udrv_bar_read(dev, 0, 0x3ff8, 8, &v), 0);
	assert_int_equal(v, 0xfffefdfcfbfaf9f8ULL);
	assert_int_equal(udrv_bar_write(dev, 0, 0x20, 2, 0xbeef), 0);
	assert_int_equal(udrv_bar_read(dev, 0, 0x20, 4, &v), 0);
	assert_int_equal(v, 0x2322beef);
	/* The sysfs backend maps the BAR whole: one range. */
	assert_int_equal(udrv_bar_ranges(dev, 0, r, &n), 0);
	expect_ranges(r, n, (uint64_t[]){ 0, 0x4000 }, 1);

	assert_int_equal(udrv_bar_read(dev, 0, 0x4000, 4, &v), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "past its end (size 0x4000)"));
	assert_int_equal(udrv_bar_read(dev, 0, 0x3ffe, 4, &v), -EINVAL);
	assert_int_equal(udrv_bar_read(dev, 0, 0x2, 4, &v), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "not aligned to its 4-byte width"));
	assert_int_equal(udrv_bar_read(dev, 0, 0, 3, &v), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "must be 1, 2, 4 or 8"));
	assert_int_equal(udrv_bar_write(dev, 0, 0, 1, 0x100), -ERANGE);
	assert_non_null(strstr(udrv_last_error(), "does not fit in 1 bytes"));
	assert_int_equal(udrv_bar_read(dev, 1, 0, 4, &v), -ENOENT);
	assert_int_equal(udrv_bar_read(dev, 6, 0, 4, &v), -EINVAL);
	udrv_close(dev);
}

static void test_hole_is_an_error(void **state)
{
	struct udrv_range holes[2], ranges[UDRV_BAR_MAX_RANGES];
	struct udrv_device *dev;
	unsigned int nh, n;
	char path[512];
	uint64_t v;
	int fd;

	(void)state;
	assert_int_equal(udrv_open(DEV, NULL, &dev), 0);
	/* Map BAR0 around MSI-X as the VFIO backend does when it must. */
	assert_int_equal(udrv_msix_holes(dev, 0, holes, &nh), 0);
	assert_int_equal(udrv_ranges_subtract(0x4000, holes, nh, PG, ranges, &n), 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/" DEV "/resource0", udrv_sysfs_root());
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	dev->bars[0].map.size = 0x4000;
	assert_int_equal(udrv_map_ranges(dev, fd, 0, PROT_READ | PROT_WRITE, ranges, n,
					 &dev->bars[0].map), 0);
	close(fd);

	assert_int_equal(udrv_bar_read(dev, 0, 0x1ffc, 4, &v), 0);
	assert_int_equal(v, 0xfffefdfc);
	assert_int_equal(udrv_bar_read(dev, 0, 0x2000, 4, &v), -EFAULT);
	assert_non_null(strstr(udrv_last_error(), "offset 0x2000 is in a hole"));
	assert_int_equal(udrv_bar_write(dev, 0, 0x3000, 8, 0), -EFAULT);
	assert_int_equal(udrv_bar_ranges(dev, 0, ranges, &n), 0);
	expect_ranges(ranges, n, (uint64_t[]){ 0, 0x2000 }, 1);
	udrv_close(dev);
}

static void test_io_access(void **state)
{
	struct udrv_device *dev;
	uint64_t v;
	void *addr;
	int fds;

	(void)state;
	assert_int_equal(udrv_open(DEV, NULL, &dev), 0);
	fds = count_fds();
	assert_int_equal(udrv_bar_read(dev, 4, 2, 2, &v), 0);
	assert_int_equal(v, 0xa3a2);
	assert_int_equal(udrv_bar_write(dev, 4, 4, 4, 0x11223344), 0);
	assert_int_equal(udrv_bar_read(dev, 4, 4, 1, &v), 0);
	assert_int_equal(v, 0x44);
	assert_int_equal(udrv_bar_read(dev, 4, 0, 8, &v), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "8-byte access does not exist"));
	assert_int_equal(udrv_bar_read(dev, 4, 32, 1, &v), -EINVAL);
	assert_int_equal(udrv_bar_map(dev, 4, &addr, NULL), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "use udrv_bar_read/udrv_bar_write"));
	udrv_close(dev);
	/* The I/O fd opened on first use is closed with the device. */
	assert_int_equal(count_fds(), fds - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subtract),
		cmocka_unit_test(test_msix_holes),
		cmocka_unit_test(test_memory_access),
		cmocka_unit_test(test_hole_is_an_error),
		cmocka_unit_test(test_io_access),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
