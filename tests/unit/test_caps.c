// SPDX-License-Identifier: MIT
/*
 * Capability walking on config spaces recorded from QEMU devices
 * (the .config files in tests/unit/data, read from the guest's sysfs), on malformed
 * lists, and through a device handle on the fake sysfs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "udrv_internal.h"

#define CAP_PM     0x01
#define CAP_VENDOR 0x09
#define EXT_AER    0x0001
#define EXT_DSN    0x0003

static unsigned char img[4096];

static struct udrv_cap_walk_buf load(const char *name)
{
	struct udrv_cap_walk_buf c = { .data = img };

	memset(img, 0, sizeof(img));
	c.size = fake_sysfs_load(name, img, sizeof(img));
	return c;
}

static void test_nvme(void **state)
{
	struct udrv_cap_walk_buf c = load("nvme");

	(void)state;
	assert_int_equal(c.size, 4096);
	assert_int_equal(udrv_cap_find_in(&c, UDRV_CAP_ID_MSIX, 0), 0x40);
	assert_int_equal(udrv_cap_find_in(&c, UDRV_CAP_ID_EXP, 0), 0x80);
	assert_int_equal(udrv_cap_find_in(&c, CAP_PM, 0), 0x60);
	assert_int_equal(udrv_cap_find_in(&c, UDRV_CAP_ID_MSI, 0), -ENOENT);
	/* PCIe config space, but the root-complex device has no extended capability. */
	assert_int_equal(udrv_ext_cap_find_in(&c, EXT_AER, 0), -ENOENT);
}

static void test_e1000e_extended(void **state)
{
	struct udrv_cap_walk_buf c = load("e1000e");

	(void)state;
	assert_int_equal(udrv_cap_find_in(&c, UDRV_CAP_ID_MSIX, 0), 0xa0);
	assert_int_equal(udrv_cap_find_in(&c, UDRV_CAP_ID_MSI, 0), 0xd0);
	assert_int_equal(udrv_ext_cap_find_in(&c, EXT_AER, 0), 0x100);
	assert_int_equal(udrv_ext_cap_find_in(&c, EXT_DSN, 0), 0x140);
	assert_int_equal(udrv_ext_cap_find_in(&c, EXT_DSN, 0x140), -ENOENT);
	assert_int_equal(udrv_ext_cap_find_in(&c, 0x0002, 0), -ENOENT);
}

static void test_repeated_ids(void **state)
{
	static const int want[] = { 0x84, 0x70, 0x60, 0x50, 0x40 };
	struct udrv_cap_walk_buf c = load("virtio-rng");
	int pos = 0;
	size_t i;

	(void)state;
	/* virtio's transport capabilities: five vendor-specific ones in a row. */
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		pos = udrv_cap_find_in(&c, CAP_VENDOR, pos);
		assert_int_equal(pos, want[i]);
	}
	assert_int_equal(udrv_cap_find_in(&c, CAP_VENDOR, pos), -ENOENT);
}

static void test_no_list(void **state)
{
	struct udrv_cap_walk_buf c = load("e1000");

	(void)state;
	assert_int_equal(c.size, 256);
	assert_int_equal(udrv_cap_find_in(&c, UDRV_CAP_ID_MSIX, 0), -ENOENT);
	assert_int_equal(udrv_ext_cap_find_in(&c, EXT_AER, 0), -ENOENT);
}

static void test_malformed(void **state)
{
	struct udrv_cap_walk_buf c = load("edu"), small = { .data = img, .size = 64 };

	(void)state;
	assert_int_equal(udrv_cap_find_in(&c, UDRV_CAP_ID_MSI, 0), 0x40);
	img[0x41] = 0x40; /* the MSI capability points to itself */
	assert_int_equal(udrv_cap_find_in(&c, 0x77, 0), -ELOOP);
	assert_non_null(strstr(udrv_last_error(), "loops"));
	img[0x41] = 0x10; /* into the header */
	assert_int_equal(udrv_cap_find_in(&c, 0x77, 0), -EIO);
	assert_non_null(strstr(udrv_last_error(), "0x10"));
	assert_int_equal(udrv_cap_find_in(&c, 0x77, 0x20), -EINVAL);
	assert_int_equal(udrv_cap_find_in(&small, 0x77, 0), -EINVAL);
	assert_int_equal(udrv_cap_find_in(NULL, 0x77, 0), -EINVAL);

	c = load("e1000e");
	img[0x142] = 0x00, img[0x143] = 0x10; /* DSN's next -> 0x100 */
	assert_int_equal(udrv_ext_cap_find_in(&c, 0x0077, 0), -ELOOP);
	img[0x143] = 0x08; /* next -> 0x080, below extended space */
	assert_int_equal(udrv_ext_cap_find_in(&c, 0x0077, 0), -EIO);
	assert_int_equal(udrv_ext_cap_find_in(&c, EXT_AER, 0x102), -EINVAL);
}

/* Config images built byte by byte: every rule of the walk on its own. */
static void test_crafted(void **state)
{
	struct udrv_cap_walk_buf c = { .data = img, .size = 256 }, x = { .data = img, .size = 4096 };

	(void)state;
	memset(img, 0, sizeof(img));
	/* No capability-list bit in Status: nothing, whatever 0x34 says. */
	img[0x34] = 0x40;
	img[0x40] = CAP_PM;
	assert_int_equal(udrv_cap_find_in(&c, CAP_PM, 0), -ENOENT);
	img[0x06] = 0x10;
	assert_int_equal(udrv_cap_find_in(&c, CAP_PM, 0), 0x40);
	/* The low two bits of a pointer are reserved: 0x53 is 0x50. */
	img[0x41] = 0x53;
	img[0x50] = UDRV_CAP_ID_MSIX;
	assert_int_equal(udrv_cap_find_in(&c, UDRV_CAP_ID_MSIX, 0), 0x50);
	assert_int_equal(udrv_cap_find_in(&c, UDRV_CAP_ID_MSIX, 0x40), 0x50);
	assert_int_equal(udrv_cap_find_in(&c, CAP_PM, 0x40), -ENOENT);
	/* The last dword of standard space is a valid place; the header is not. */
	img[0x51] = 0xfc;
	img[0xfc] = CAP_VENDOR;
	assert_int_equal(udrv_cap_find_in(&c, CAP_VENDOR, 0), 0xfc);
	img[0xfd] = 0x3c;
	assert_int_equal(udrv_cap_find_in(&c, 0x77, 0), -EIO);
	img[0xfd] = 0xff; /* 0xfc: itself */
	assert_int_equal(udrv_cap_find_in(&c, 0x77, 0), -ELOOP);
	assert_int_equal(udrv_cap_find_in(&c, CAP_VENDOR, 0xfd), -EINVAL);

	/* Extended: no list (zero or all-ones header), one, and the 12-bit next pointer. */
	assert_int_equal(udrv_ext_cap_find_in(&x, EXT_AER, 0), -ENOENT);
	memset(img + 0x100, 0xff, 4);
	assert_int_equal(udrv_ext_cap_find_in(&x, EXT_AER, 0), -ENOENT);
	/* AER at 0x100, version 1, next 0x148; DSN at 0x148, next 0. */
	img[0x100] = 0x01, img[0x101] = 0x00, img[0x102] = 0x81, img[0x103] = 0x14;
	img[0x148] = 0x03, img[0x149] = 0x00, img[0x14a] = 0x01, img[0x14b] = 0x00;
	assert_int_equal(udrv_ext_cap_find_in(&x, EXT_AER, 0), 0x100);
	assert_int_equal(udrv_ext_cap_find_in(&x, EXT_DSN, 0), 0x148);
	assert_int_equal(udrv_ext_cap_find_in(&x, EXT_DSN, 0x100), 0x148);
	assert_int_equal(udrv_ext_cap_find_in(&x, EXT_AER, 0x100), -ENOENT);
	/* A 256-byte image has no extended space to walk. */
	assert_int_equal(udrv_ext_cap_find_in(&c, EXT_AER, 0), -ENOENT);
	/* A misaligned next pointer is malformed. */
	img[0x102] = 0x91;
	assert_int_equal(udrv_ext_cap_find_in(&x, EXT_DSN, 0), -EIO);
}

static void test_through_device(void **state)
{
	static const char resource[] = "0x0 0x0 0x0\n";
	struct udrv_device *dev;
	unsigned char cfg[4096];
	size_t n;

	(void)state;
	fake_sysfs_create();
	n = fake_sysfs_load("e1000e", cfg, sizeof(cfg));
	fake_sysfs_add_device("0000:00:04.0", cfg, n, resource);
	n = fake_sysfs_load("edu", cfg, sizeof(cfg));
	fake_sysfs_add_device("0000:00:01.0", cfg, n, resource);

	assert_int_equal(udrv_open("00:04.0", NULL, &dev), 0);
	assert_int_equal(udrv_cap_find(dev, UDRV_CAP_ID_EXP, 0), 0xe0);
	assert_int_equal(udrv_ext_cap_find(dev, EXT_DSN, 0), 0x140);
	udrv_close(dev);
	assert_int_equal(udrv_open("00:01.0", NULL, &dev), 0);
	assert_int_equal(udrv_cap_find(dev, UDRV_CAP_ID_MSI, 0), 0x40);
	assert_int_equal(udrv_ext_cap_find(dev, EXT_AER, 0), -ENOENT);
	udrv_close(dev);
	fake_sysfs_destroy();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvme),
		cmocka_unit_test(test_e1000e_extended),
		cmocka_unit_test(test_repeated_ids),
		cmocka_unit_test(test_no_list),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_crafted),
		cmocka_unit_test(test_through_device),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
