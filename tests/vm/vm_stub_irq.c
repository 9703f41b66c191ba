// SPDX-License-Identifier: MIT
/*
 * udrv_stub's interrupt through UIO read()/write(), in MSI and in INTx mode
 * (the module's irq_mode parameter, then a rebind), driven by edu's "raise"
 * register.  Follows the protocol at the top of kmod/udrv_stub_irq.c:
 * read() blocks for the next event and returns the total count, the driver
 * acks the device (edu: write irq status to 0x64), then writes 1 to unmask.
 * Registers go through libudrv's stub backend, the event fd is /dev/uioN.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE  0x60
#define EDU_IRQ_ACK    0x64
#define RAISES         1000

static const char *edu;

static void put(const char *path, const char *val)
{
	FILE *fp = fopen(path, "w");

	if (!fp || fputs(val, fp) < 0 || fclose(fp))
		fail_msg("writing '%s' to %s: %s", val, path, strerror(errno));
}

static void get(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "r");

	if (!fp || !fgets(buf, size, fp))
		fail_msg("reading %s: %s", path, strerror(errno));
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
}

/* Set irq_mode, rebind edu to udrv_stub, and check the mode it came up in. */
static void rebind(const char *mode)
{
	char path[256], got[32];

	put("/sys/module/udrv_stub/parameters/irq_mode", mode);
	put("/sys/bus/pci/drivers/udrv_stub/unbind", edu);
	put("/sys/bus/pci/drivers_probe", edu);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/udrv_stub/irq_mode", edu);
	get(path, got, sizeof(got));
	assert_string_equal(got, mode);
}

static int open_uio(void)
{
	char path[256];
	struct dirent *de;
	DIR *d;
	int fd = -1, n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/uio", edu);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (sscanf(de->d_name, "uio%d", &n) == 1)
			break;
	closedir(d);
	snprintf(path, sizeof(path), "/dev/uio%d", n);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	return fd;
}

static int pending(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms);
}

static void run_mode(const char *mode)
{
	struct udrv_open_opts opts = { .backend = UDRV_BACKEND_STUB };
	int32_t count, first = 0, one = 1;
	struct udrv_device *dev;
	unsigned int i;
	void *bar0;
	int fd;

	rebind(mode);
	if (udrv_open(edu, &opts, &dev) || udrv_bar_map(dev, 0, &bar0, NULL))
		fail_msg("%s", udrv_last_error());
	/* An MSI is a memory write: nothing turns bus mastering on implicitly. */
	if (!strcmp(mode, "msi") && udrv_set_bus_master(dev, 1))
		fail_msg("%s", udrv_last_error());
	fd = open_uio();

	/* Nothing pending: a poll times out. */
	assert_int_equal(pending(fd, 50), 0);
	for (i = 0; i < RAISES; i++) {
		udrv_write32(bar0, EDU_IRQ_RAISE, 1u << (i % 32));
		assert_int_equal(read(fd, &count, 4), 4);
		if (i == 0)
			first = count;
		/* Exactly one new event per raise: none lost, none spurious. */
		assert_int_equal(count, first + (int32_t)i);
		assert_int_equal(udrv_read32(bar0, EDU_IRQ_STATUS), 1u << (i % 32));
		udrv_write32(bar0, EDU_IRQ_ACK, udrv_read32(bar0, EDU_IRQ_STATUS));
		assert_int_equal(write(fd, &one, 4), 4);
	}
	printf("# %s: %d raises, %d events\n", mode, RAISES, count - first + 1);

	/* A raise left unacked and masked reports once and does not storm. */
	udrv_write32(bar0, EDU_IRQ_RAISE, 0x100);
	assert_int_equal(read(fd, &count, 4), 4);
	assert_int_equal(count, first + RAISES);
	assert_int_equal(pending(fd, 200), 0);
	udrv_write32(bar0, EDU_IRQ_ACK, 0x100);
	assert_int_equal(write(fd, &one, 4), 4);
	assert_int_equal(pending(fd, 100), 0);

	/* UIO takes exactly 4-byte reads and writes. */
	assert_int_equal(read(fd, &count, 2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(write(fd, &one, 2), -1);
	assert_int_equal(errno, EINVAL);
	close(fd);
	udrv_close(dev);
}

static void test_msi(void **state)
{
	(void)state;
	run_mode("msi");
}

static void test_intx(void **state)
{
	(void)state;
	run_mode("intx");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msi),
		cmocka_unit_test(test_intx),
	};

	edu = getenv("UDRV_EDU");
	if (!edu || strcmp(getenv("UDRV_VM_PROFILE") ? getenv("UDRV_VM_PROFILE") : "", "stub")) {
		fprintf(stderr, "vm_stub_irq: run me under udrv-vm --profile stub\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
