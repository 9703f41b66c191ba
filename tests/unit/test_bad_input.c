// SPDX-License-Identifier: MIT
/*
 * The catalogue of bad calls: every row is a call a driver writer can get
 * wrong, the errno it must return and the words its message must contain.
 * Each row also checks that the message is there and names the device (or,
 * for calls without one, the argument at fault), and that no file
 * descriptor leaked.  The device is an
 * unbound edu-like function on a fake sysfs (BAR0 memory, BAR4 I/O), so the
 * sysfs backend is used unless a row forces another.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "udrv_internal.h"

#define DEV "0000:00:04.0"

static struct udrv_device *dev;
static unsigned char buf[8];
static uint64_t v64;
static uint32_t v32;
static struct udrv_bar_info info;
static void *addr;

static int open_with(const char *a, enum udrv_backend b)
{
	struct udrv_open_opts o = { .backend = b };
	struct udrv_device *d = NULL;
	int ret = udrv_open(a, &o, &d);

	udrv_close(d);
	return ret;
}

static int walk(size_t size, unsigned int after, int ext)
{
	static uint8_t img[4096];
	struct udrv_cap_walk_buf c = { .data = img, .size = size };

	return ext ? udrv_ext_cap_find_in(&c, 1, after) : udrv_cap_find_in(&c, 1, after);
}

#define CALL(name, expr) static int name(void) { return (expr); }
CALL(open_null, open_with(NULL, UDRV_BACKEND_AUTO))
CALL(open_empty, open_with("", UDRV_BACKEND_AUTO))
CALL(open_slot_range, open_with("00:20.0", UDRV_BACKEND_AUTO))
CALL(open_func_range, open_with("00:04.8", UDRV_BACKEND_AUTO))
CALL(open_trailing, open_with("00:04.0\n", UDRV_BACKEND_AUTO))
CALL(open_missing, open_with("0000:00:05.0", UDRV_BACKEND_AUTO))
CALL(open_no_devp, udrv_open(DEV, NULL, NULL))
CALL(open_bad_backend, open_with(DEV, (enum udrv_backend)99))
CALL(open_uio_unbound, open_with(DEV, UDRV_BACKEND_UIO))
CALL(open_stub_unbound, open_with(DEV, UDRV_BACKEND_STUB))
CALL(open_vfio_no_iommu, open_with(DEV, UDRV_BACKEND_VFIO))
CALL(bar_info_range, udrv_bar_info(dev, 6, &info))
CALL(bar_info_missing, udrv_bar_info(dev, 1, &info))
CALL(bar_map_io, udrv_bar_map(dev, 4, &addr, NULL))
CALL(bar_map_range, udrv_bar_map(dev, 9, &addr, NULL))
CALL(bar_read_width, udrv_bar_read(dev, 0, 0, 3, &v64))
CALL(bar_read_unaligned, udrv_bar_read(dev, 0, 2, 4, &v64))
CALL(bar_read_past_end, udrv_bar_read(dev, 0, 0x100000, 4, &v64))
CALL(bar_read_io_past_end, udrv_bar_read(dev, 4, 32, 1, &v64))
CALL(bar_write_range, udrv_bar_write(dev, 0, 0, 2, 0x10000))
CALL(bar_io_width8, udrv_bar_read(dev, 4, 0, 8, &v64))
CALL(bar_ranges_io, udrv_bar_ranges(dev, 4, NULL, NULL))
CALL(config_past_end, (int)udrv_config_read(dev, buf, 4, 254))
CALL(config_negative, (int)udrv_config_read(dev, buf, 1, -4))
CALL(config_null, (int)udrv_config_write(dev, NULL, 1, 0))
CALL(config32_unaligned, udrv_config_read32(dev, 6, &v32))
CALL(config16_unaligned, udrv_config_write16(dev, 5, 0))
CALL(cap_bad_after, walk(256, 0x20, 0))
CALL(cap_small_image, walk(64, 0, 0))
CALL(ext_cap_bad_after, walk(4096, 0x101, 1))
CALL(reset_no_method, udrv_reset(dev))
CALL(addr_parse_hex_prefix, udrv_pci_addr_parse("0x00:04.0", &(struct udrv_pci_addr){ 0 }))
static uint32_t reg[4] = { 1 };
CALL(poll_timeout, udrv_poll32(dev, reg, 0, 1, 0, 100, 2000, &v32))
CALL(poll_unaligned, udrv_poll32(dev, reg, 2, 1, 0, 0, 2000, &v32))
CALL(poll_never, udrv_poll64(dev, reg, 0, 1, 3, 0, 2000, &v64))
CALL(irq_range_none, udrv_irq_enable_range(dev, UDRV_IRQ_BEST, 1, 4))
CALL(irq_count_type, udrv_irq_count(dev, (enum udrv_irq_type)9))
CALL(irq_wait_off, udrv_irq_wait(dev, 0, 10, &v64))
CALL(pio_memory_bar, udrv_bar_pio_direct(dev, 0))
CALL(pio_test_tree, udrv_bar_pio_direct(dev, 4))

static const struct {
	const char *what;
	int (*call)(void);
	int err;
	const char *msg;
} catalogue[] = {
	{ "open with a NULL address", open_null, EINVAL, "PCI address: missing argument" },
	{ "open with an empty address", open_empty, EINVAL, "'' is not a PCI address" },
	{ "open a slot above 0x1f", open_slot_range, EINVAL, "expected [[domain:]bus:]slot.func" },
	{ "open a function above 7", open_func_range, EINVAL, "'00:04.8' is not a PCI address" },
	{ "open with a trailing newline", open_trailing, EINVAL, "is not a PCI address" },
	{ "open a device that does not exist", open_missing, ENODEV, "no such PCI device" },
	{ "open without a handle pointer", open_no_devp, EINVAL, "devp is NULL" },
	{ "open with an unknown backend", open_bad_backend, EINVAL, "unknown backend 99" },
	{ "force UIO on an unbound device", open_uio_unbound, ENODEV,
	  "not bound to uio_pci_generic (bound to no driver)" },
	{ "force the stub on an unbound device", open_stub_unbound, ENODEV,
	  "echo udrv_stub > /sys/bus/pci/devices/" DEV "/driver_override" },
	{ "force VFIO without an IOMMU", open_vfio_no_iommu, ENODEV, "intel_iommu=on" },
	{ "describe BAR 6", bar_info_range, EINVAL, "BAR 6 out of range" },
	{ "describe an unimplemented BAR", bar_info_missing, ENOENT, "BAR 1 is not implemented" },
	{ "map an I/O port BAR", bar_map_io, EINVAL, "use udrv_bar_read/udrv_bar_write" },
	{ "map BAR 9", bar_map_range, EINVAL, "BAR 9 out of range" },
	{ "read 3 bytes", bar_read_width, EINVAL, "must be 1, 2, 4 or 8 bytes" },
	{ "read a dword at offset 2", bar_read_unaligned, EINVAL, "not aligned to its 4-byte width" },
	{ "read past the end of a BAR", bar_read_past_end, EINVAL, "is past its end (size 0x100000)" },
	{ "read just past the end of an I/O BAR", bar_read_io_past_end, EINVAL,
	  "access of 1 bytes at 0x20 is past its end (size 0x20)" },
	{ "write a value wider than the access", bar_write_range, ERANGE,
	  "value 0x10000 does not fit in 2 bytes" },
	{ "8-byte I/O port access", bar_io_width8, EINVAL, "8-byte access does not exist" },
	{ "ranges of an I/O BAR", bar_ranges_io, EINVAL, "BAR 4 is an I/O port BAR" },
	{ "config read across the end", config_past_end, EINVAL,
	  "outside the device's 256-byte config space" },
	{ "config read at a negative offset", config_negative, EINVAL, "negative config offset -4" },
	{ "config write from NULL", config_null, EINVAL, "config access with a NULL buffer" },
	{ "config dword at offset 6", config32_unaligned, EINVAL,
	  "config offset 0x6 is not aligned to its 4-byte width" },
	{ "config word at offset 5", config16_unaligned, EINVAL, "not aligned to its 2-byte width" },
	{ "capability walk from a header offset", cap_bad_after, EINVAL,
	  "'after' 0x20 is not a capability offset" },
	{ "capability walk of a 64-byte image", cap_small_image, EINVAL, "must be 256 or 4096 bytes" },
	{ "extended walk from an unaligned offset", ext_cap_bad_after, EINVAL,
	  "'after' 0x101 is not a capability offset" },
	{ "reset a device with no reset method", reset_no_method, ENOTSUP, "no reset method" },
	{ "PCI address with a 0x prefix", addr_parse_hex_prefix, EINVAL, "see lspci -D" },
	{ "poll a register that never clears", poll_timeout, ETIMEDOUT,
	  "register 0x0 is 0x00000001 after 2000 us" },
	{ "poll a register at offset 2", poll_unaligned, EINVAL, "not aligned to its 4-byte width" },
	{ "poll for bits outside the mask", poll_never, EINVAL, "it can never match" },
	{ "best interrupts, up to 4, via sysfs", irq_range_none, ENOTSUP, "delivers no interrupts" },
	{ "count interrupts of kind 9", irq_count_type, EINVAL, "unknown interrupt type 9" },
	{ "wait for interrupts never enabled", irq_wait_off, EINVAL, "interrupts are not enabled" },
	{ "direct port I/O on a memory BAR", pio_memory_bar, EINVAL, "BAR 0 is a memory BAR" },
	{ "direct port I/O on a test tree", pio_test_tree, EPERM,
	  "no direct port I/O: the sysfs root is a test tree" },
};

/*
 * What each failing call's message must name: the device, or (calls with no
 * device) the argument at fault.  Rows not listed name DEV.
 */
static const struct {
	int (*call)(void);
	const char *subject;
} subjects[] = {
	{ open_null, "NULL" },
	{ open_empty, "''" },
	{ open_slot_range, "'00:20.0'" },
	{ open_func_range, "'00:04.8'" },
	{ open_trailing, "'00:04.0" },
	{ open_missing, "0000:00:05.0" },
	{ cap_bad_after, "capability walk" },
	{ cap_small_image, "capability walk" },
	{ ext_cap_bad_after, "capability walk" },
	{ addr_parse_hex_prefix, "'0x00:04.0'" },
};

static const char *subject_of(int (*call)(void))
{
	unsigned int i;

	for (i = 0; i < sizeof(subjects) / sizeof(subjects[0]); i++)
		if (subjects[i].call == call)
			return subjects[i].subject;
	return DEV ": ";
}

static void test_catalogue(void **state)
{
	unsigned int i, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++) {
		int fds = count_fds(), ret = catalogue[i].call();
		const char *msg = udrv_last_error();
		/* Every failure leaves a message, and it names what failed. */
		int ok = ret == -catalogue[i].err && strstr(msg, catalogue[i].msg) &&
			 *msg && strstr(msg, subject_of(catalogue[i].call)) && count_fds() == fds;

		printf("# %-40s -> %-4d %s%s\n", catalogue[i].what, ret, msg, ok ? "" : "  <-- WRONG");
		bad += !ok;
	}
	printf("# %zu bad calls catalogued\n", sizeof(catalogue) / sizeof(catalogue[0]));
	assert_int_equal(bad, 0);
}

static int setup(void **state)
{
	static const char resource[] =
		"0x00000000fea00000 0x00000000feafffff 0x0000000000040200\n"
		"0x0 0x0 0x0\n0x0 0x0 0x0\n0x0 0x0 0x0\n"
		"0x000000000000c000 0x000000000000c01f 0x0000000000040101\n"
		"0x0 0x0 0x0\n";
	unsigned char cfg[256] = { 0x34, 0x12, 0xe8, 0x11 };

	(void)state;
	fake_sysfs_create();
	fake_sysfs_add_device(DEV, cfg, sizeof(cfg), resource);
	return udrv_open(DEV, NULL, &dev);
}

static int teardown(void **state)
{
	(void)state;
	udrv_close(dev);
	fake_sysfs_destroy();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
