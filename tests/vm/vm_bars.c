// SPDX-License-Identifier: MIT
/*
 * BAR kinds and device control on real QEMU device models, in every
 * profile (udrv-vm adds them with --qemu-arg and binds them with --bind):
 *   nvme (1b36:0010)        64-bit memory BAR0 holding the MSI-X table and PBA
 *   virtio-rng (1af4:1005)  I/O BAR0 (legacy virtio), 64-bit prefetchable BAR4
 *   rtl8139 (10ec:8139)     I/O BAR0 and 256-byte memory BAR1 with the same registers
 * plus Command-register control and reset.
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

#include "fds.h"

#define PCI_COMMAND        0x04

#define PCI_COMMAND_MASTER 0x0004

/* First function with these ids, from sysfs; "" if there is none. */
static const char *find(unsigned int vendor, unsigned int device)
{
	static char found[3][256];
	static int next;
	struct dirent *de;
	char *out = found[next++ % 3];
	DIR *d = opendir("/sys/bus/pci/devices");

	out[0] = '\0';
	while (d && (de = readdir(d))) {
		char path[300], buf[16];
		unsigned int v = 0, dv = 0;
		FILE *fp;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", de->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fgets(buf, sizeof(buf), fp))
			v = strtoul(buf, NULL, 16);
		fclose(fp);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", de->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fgets(buf, sizeof(buf), fp))
			dv = strtoul(buf, NULL, 16);
		fclose(fp);
		if (v == vendor && dv == device) {
			snprintf(out, 256, "%s", de->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
	return out;
}

static struct udrv_device *open_ids(unsigned int vendor, unsigned int device)
{
	const char *addr = find(vendor, device);
	struct udrv_device *dev = NULL;

	if (!*addr)
		fail_msg("no %04x:%04x device: run under udrv-vm with the devices of tests/meson.build",
			 vendor, device);
	if (udrv_open(addr, NULL, &dev))
		fail_msg("udrv_open(%s): %s", addr, udrv_last_error());
	return dev;
}

/* nvme: 64-bit BAR0; its MSI-X table and PBA are inside it. */
static void test_nvme_bar0(void **state)
{
	struct udrv_device *dev = open_ids(0x1b36, 0x0010);
	struct udrv_range r[UDRV_BAR_MAX_RANGES];
	struct udrv_bar_info info;
	unsigned int n, i;
	uint64_t v, cap;
	void *bar0;
	size_t len;

	(void)state;
	assert_int_equal(udrv_bar_info(dev, 0, &info), 0);
	assert_int_equal(info.flags & (UDRV_BAR_MEM | UDRV_BAR_MEM64 | UDRV_BAR_PREFETCH),
			 UDRV_BAR_MEM | UDRV_BAR_MEM64);
	assert_int_equal(info.size, 0x4000);
	assert_int_equal(udrv_bar_map(dev, 0, &bar0, &len), 0);

	/* VS: major version 1; CAP read as one 64-bit access and as two halves agree. */
	assert_int_equal(udrv_bar_read(dev, 0, 0x08, 4, &v), 0);
	assert_int_equal(v >> 16, 1);
	assert_int_equal(udrv_bar_read(dev, 0, 0x00, 8, &cap), 0);
	assert_int_equal(cap & 0xffffffff, udrv_read32(bar0, 0x00));
	assert_int_equal(cap >> 32, udrv_read32(bar0, 0x04));

	/* Ranges cover the registers, are ordered, and every byte in them answers. */
	assert_int_equal(udrv_bar_ranges(dev, 0, r, &n), 0);
	assert_true(n >= 1);
	assert_int_equal(r[0].offset, 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(udrv_bar_read(dev, 0, r[i].offset, 4, &v), 0);
		assert_int_equal(udrv_bar_read(dev, 0, r[i].offset + r[i].size - 4, 4, &v), 0);
		if (i + 1 < n)
			assert_true(r[i].offset + r[i].size <= r[i + 1].offset);
	}
	printf("# nvme BAR0 via %s: %u accessible range(s), first 0x%llx+0x%llx\n",
	       udrv_backend_name(udrv_backend(dev)), n, (unsigned long long)r[0].offset,
	       (unsigned long long)r[0].size);
	udrv_close(dev);
}

/* virtio-rng: 64-bit prefetchable BAR4 holds the modern common config. */
static void test_virtio_prefetchable_bar(void **state)
{
	struct udrv_device *dev = open_ids(0x1af4, 0x1005);
	struct udrv_bar_info info;
	uint64_t v;

	(void)state;
	assert_int_equal(udrv_bar_info(dev, 4, &info), 0);
	assert_true(info.flags & UDRV_BAR_MEM64);
	assert_true(info.flags & UDRV_BAR_PREFETCH);
	/* device_feature_select = 1, then device_feature holds bits 32-63: VERSION_1 is bit 32. */
	assert_int_equal(udrv_bar_write(dev, 4, 0x00, 4, 1), 0);
	assert_int_equal(udrv_bar_read(dev, 4, 0x04, 4, &v), 0);
	assert_true(v & 1);
	udrv_close(dev);
}

/* virtio-rng's legacy I/O BAR0: host features, and the ISR/status bytes. */
static void test_virtio_io_bar(void **state)
{
	struct udrv_device *dev = open_ids(0x1af4, 0x1005);
	struct udrv_bar_info info;
	uint64_t v;

	(void)state;
	assert_int_equal(udrv_bar_info(dev, 0, &info), 0);
	assert_int_equal(info.flags & (UDRV_BAR_IO | UDRV_BAR_MEM), UDRV_BAR_IO);
	assert_int_equal(udrv_bar_read(dev, 0, 0x00, 4, &v), 0);
	assert_true(v != 0 && v != 0xffffffff);
	/* Device status (8-bit at 0x12): write ACKNOWLEDGE, read it back, reset to 0. */
	assert_int_equal(udrv_bar_write(dev, 0, 0x12, 1, 1), 0);
	assert_int_equal(udrv_bar_read(dev, 0, 0x12, 1, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(udrv_bar_write(dev, 0, 0x12, 1, 0), 0);
	assert_int_equal(udrv_bar_read(dev, 0, 0x12, 1, &v), 0);
	assert_int_equal(v, 0);
	udrv_close(dev);
}

/* rtl8139: the same registers in I/O BAR0 and in the 256-byte memory BAR1. */
static void test_rtl8139_io_vs_mmio(void **state)
{
	struct udrv_device *dev = open_ids(0x10ec, 0x8139);
	struct udrv_bar_info info;
	uint64_t io, mem;
	unsigned int i;
	void *bar1;

	(void)state;
	assert_int_equal(udrv_bar_info(dev, 1, &info), 0);
	assert_int_equal(info.size, 256);
	assert_int_equal(udrv_bar_map(dev, 1, &bar1, NULL), 0);
	/* The MAC address (IDR0-5) reads the same byte by byte through both. */
	for (i = 0; i < 6; i++) {
		assert_int_equal(udrv_bar_read(dev, 0, i, 1, &io), 0);
		assert_int_equal(io, udrv_read8(bar1, i));
	}
	/* MAR0-3 (0x08) is read/write: set through I/O, see it through MMIO, and back. */
	assert_int_equal(udrv_bar_write(dev, 0, 0x08, 4, 0x12345678), 0);
	assert_int_equal(udrv_read32(bar1, 0x08), 0x12345678);
	udrv_write32(bar1, 0x08, 0x9abcdef0);
	assert_int_equal(udrv_bar_read(dev, 0, 0x08, 4, &io), 0);
	assert_int_equal(io, 0x9abcdef0);
	assert_int_equal(udrv_bar_read(dev, 0, 0x0a, 2, &io), 0);
	assert_int_equal(udrv_bar_read(dev, 1, 0x0a, 2, &mem), 0);
	assert_int_equal(io, 0x9abc);
	assert_int_equal(mem, io);
	udrv_close(dev);
}

static uint16_t sysfs_command(const char *addr)
{
	char path[128];
	uint16_t cmd = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", addr);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &cmd, 2, PCI_COMMAND), 2);
	close(fd);
	return cmd;
}

static void test_bus_master_and_enable(void **state)
{
	struct udrv_device *dev = open_ids(0x1234, 0x11e8);
	uint16_t cmd;

	(void)state;
	assert_int_equal(udrv_enable(dev), 0);
	assert_int_equal(udrv_config_read16(dev, PCI_COMMAND, &cmd), 0);
	assert_true(cmd & 0x2);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	assert_true(sysfs_command(udrv_device_name(dev)) & PCI_COMMAND_MASTER);
	assert_int_equal(udrv_set_bus_master(dev, 0), 0);
	assert_false(sysfs_command(udrv_device_name(dev)) & PCI_COMMAND_MASTER);
	udrv_close(dev);
}

/* Reset works where the kernel has a method, and fails clearly where not. */
static void test_reset(void **state)
{
	static const unsigned int ids[][2] = { { 0x1234, 0x11e8 }, { 0x1b36, 0x0010 } };
	unsigned int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct udrv_device *dev = open_ids(ids[i][0], ids[i][1]);
		int ret = udrv_reset(dev);

		printf("# reset %04x:%04x via %s: %s\n", ids[i][0], ids[i][1],
		       udrv_backend_name(udrv_backend(dev)), ret ? udrv_last_error() : "ok");
		if (ret) {
			assert_int_equal(ret, -ENOTSUP);
			assert_non_null(strstr(udrv_last_error(), "no reset method"));
		} else {
			/* edu's liveness/nvme's VS still answer after the reset. */
			uint64_t v;

			assert_int_equal(udrv_bar_read(dev, 0, i ? 0x08 : 0x00, 4, &v), 0);
			assert_true(v != 0xffffffff);
		}
		udrv_close(dev);
	}
}

/* Every VFIO device shares the process's container; two in one group share the group. */
static void test_many_devices(void **state)
{
	static const unsigned int ids[][2] = {
		{ 0x1234, 0x11e8 }, { 0x1b36, 0x0010 }, { 0x1af4, 0x1005 }, { 0x10ec, 0x8139 },
	};
	struct udrv_device *devs[4];
	int before = count_fds(), during;
	unsigned int i;
	uint32_t id;

	(void)state;
	for (i = 0; i < 4; i++)
		devs[i] = open_ids(ids[i][0], ids[i][1]);
	during = count_fds() - before;
	printf("# 4 devices via %s hold %d fds\n", udrv_backend_name(udrv_backend(devs[0])), during);
	if (udrv_backend(devs[0]) == UDRV_BACKEND_VFIO)
		assert_int_equal(during, 1 + 4 + 4); /* one container, four groups, four devices */
	for (i = 0; i < 4; i++) {
		assert_int_equal(udrv_config_read32(devs[i], 0, &id), 0);
		assert_int_equal(id, ids[i][1] << 16 | ids[i][0]);
	}
	for (i = 0; i < 4; i++)
		udrv_close(devs[i]);
	assert_int_equal(count_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvme_bar0),
		cmocka_unit_test(test_virtio_prefetchable_bar),
		cmocka_unit_test(test_virtio_io_bar),
		cmocka_unit_test(test_rtl8139_io_vs_mmio),
		cmocka_unit_test(test_bus_master_and_enable),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_many_devices),
	};

	if (!getenv("UDRV_VM_PROFILE")) {
		fprintf(stderr, "vm_bars: UDRV_VM_PROFILE unset: run me under udrv-vm\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
