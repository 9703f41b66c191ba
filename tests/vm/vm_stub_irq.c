// SPDX-License-Identifier: MIT
/*
 * udrv_stub's interrupt through UIO read()/write(), in MSI and in INTx mode
 * (the module's irq_mode parameter, then a rebind), driven by edu's "raise"
 * register.  Follows the protocol at the top of kmod/udrv_stub_irq.c:
 * read() blocks for the next event and returns the total count, the driver
 * acks the device (edu: write irq status to 0x64), then writes 1 to unmask.
 * Registers go through libudrv's stub backend, the event fd is /dev/uioN.
 * Then: libudrv's eventfd vectors (SET_IRQS) with /dev/uioN still counting
 * vector 0; and INTx acknowledged by the stub's ack program (SET_INTX_ACK:
 * edu status 0x24, ack 0x64) with the INTx disable bit never set, bad
 * programs refused, and nothing left mapped after an unbind.
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

#include <sys/ioctl.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#include <linux/udrv_stub.h>

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

static uint16_t command_reg(void)
{
	char path[256];
	uint16_t cmd = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", edu);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 4, SEEK_SET), 0);
	assert_int_equal(fread(&cmd, 2, 1, fp), 1);
	fclose(fp);
	return cmd;
}

/* libudrv on the stub: one MSI vector on its own eventfd; UIO still counts. */
static void test_eventfd_vector(void **state)
{
	struct udrv_device *dev;
	int32_t before, after;
	unsigned int i;
	uint64_t n;
	void *bar0;
	int fd;

	(void)state;
	rebind("msi");
	if (udrv_open(edu, NULL, &dev) || udrv_bar_map(dev, 0, &bar0, NULL))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_MSI, 1), UDRV_IRQ_MSI);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	fd = open_uio();
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (read(fd, &before, 4) != 4)
		before = 0;
	for (i = 0; i < RAISES; i++) {
		udrv_write32(bar0, EDU_IRQ_RAISE, 1);
		assert_int_equal(udrv_irq_wait(dev, 0, 2000, &n), 0);
		assert_int_equal(n, 1);
		udrv_write32(bar0, EDU_IRQ_ACK, 1);
	}
	assert_int_equal(udrv_irq_wait(dev, 0, 50, &n), -ETIMEDOUT);
	assert_int_equal(read(fd, &after, 4), 4);
	printf("# eventfd: %d raises, %d eventfd events, /dev/uioN +%d\n", RAISES, RAISES,
	       after - before);
	assert_int_equal(after - before, RAISES);
	/* MSI-X is not there: the message names what the function has, no remedy. */
	udrv_irq_disable(dev);
	assert_int_equal(udrv_irq_enable(dev, UDRV_IRQ_MSIX, 1), -ENOTSUP);
	assert_null(strstr(udrv_last_error(), "irq_mode"));
	printf("# msix on edu: %s\n", udrv_last_error());
	close(fd);
	udrv_close(dev);
}

static int set_ack(int ctl, uint32_t bar, uint32_t width, uint64_t status, uint64_t ack,
		   uint32_t flags)
{
	struct udrv_stub_intx_ack a = {
		.argsz = sizeof(a), .flags = flags, .bar = bar, .width = width,
		.status_off = status, .ack_off = ack, .mask = width == 4 ? ~0u : 0xff,
	};

	return ioctl(ctl, UDRV_STUB_SET_INTX_ACK, &a) ? -errno : 0;
}

/* Is any ioremap of edu's BAR0 (@phys) listed in /proc/vmallocinfo? */
static int bar_ioremapped(unsigned long long phys)
{
	char line[512], want[64];
	int found = 0;
	FILE *fp = fopen("/proc/vmallocinfo", "r");

	assert_non_null(fp);
	snprintf(want, sizeof(want), "phys=0x%016llx", phys);
	while (fgets(line, sizeof(line), fp))
		if (strstr(line, "ioremap") && strstr(line, want))
			found = 1;
	fclose(fp);
	return found;
}

/* INTx acknowledged by the stub's ack program: the INTx disable bit untouched. */
static void test_ack_program(void **state)
{
	struct udrv_open_opts opts = { .backend = UDRV_BACKEND_STUB };
	struct udrv_bar_info info;
	struct udrv_device *dev;
	int32_t count, first = 0;
	char path[256];
	unsigned int i, disabled = 0;
	void *bar0;
	int ctl, fd;

	(void)state;
	rebind("intx");
	if (udrv_open(edu, &opts, &dev) || udrv_bar_map(dev, 0, &bar0, NULL) ||
	    udrv_bar_info(dev, 0, &info))
		fail_msg("%s", udrv_last_error());
	snprintf(path, sizeof(path), "/dev/udrv/%s", edu);
	ctl = open(path, O_RDWR | O_CLOEXEC);
	assert_true(ctl >= 0);

	/* Bad programs, each with its errno. */
	assert_int_equal(set_ack(ctl, 0, 3, 0x24, 0x64, 0), -EINVAL);		/* width 3 */
	assert_int_equal(set_ack(ctl, 0, 4, 0x26, 0x64, 0), -EINVAL);		/* unaligned */
	assert_int_equal(set_ack(ctl, 0, 4, 0x24, 0x66, 0), -EINVAL);		/* unaligned */
	assert_int_equal(set_ack(ctl, 0, 4, info.size, 0x64, 0), -ERANGE);	/* past the BAR */
	assert_int_equal(set_ack(ctl, 0, 4, 0x24, info.size - 2, 0), -EINVAL);
	assert_int_equal(set_ack(ctl, 0, 2, 0x24, info.size, 0), -ERANGE);
	assert_int_equal(set_ack(ctl, 1, 4, 0x24, 0x64, 0), -ENXIO);		/* no BAR1 */
	assert_int_equal(set_ack(ctl, 6, 4, 0x24, 0x64, 0), -ENXIO);		/* ROM slot */
	assert_int_equal(set_ack(ctl, 0, 4, 0x24, 0x64, 0x80), -EINVAL);	/* flags */
	assert_int_equal(set_ack(ctl, 0, 4, 0x24, 0x64, UDRV_STUB_ACK_WRITE_STATUS), 0);

	fd = open_uio();
	assert_int_equal(pending(fd, 50), 0);
	for (i = 0; i < RAISES; i++) {
		udrv_write32(bar0, EDU_IRQ_RAISE, 1u << (i % 32));
		assert_int_equal(read(fd, &count, 4), 4);
		if (i == 0)
			first = count;
		assert_int_equal(count, first + (int32_t)i);
		/* The stub acked it: nothing left for the driver to do. */
		assert_int_equal(udrv_read32(bar0, EDU_IRQ_STATUS), 0);
		disabled |= command_reg() & 0x400;
		/* A write of 1 is a no-op with an ack program. */
		assert_int_equal(write(fd, &(int32_t){ 1 }, 4), 4);
	}
	assert_int_equal(pending(fd, 100), 0);
	printf("# intx with ack program: %d raises, %d events, INTx disable bit %s\n", RAISES,
	       count - first + 1, disabled ? "SET" : "never set");
	assert_int_equal(disabled, 0);
	assert_true(bar_ioremapped(info.phys));

	/* Delivery off holds events back (acked), the write of 1 reports them. */
	assert_int_equal(write(fd, &(int32_t){ 0 }, 4), 4);
	udrv_write32(bar0, EDU_IRQ_RAISE, 1);
	usleep(100 * 1000);
	assert_int_equal(pending(fd, 0), 0);
	assert_int_equal(write(fd, &(int32_t){ 1 }, 4), 4);
	assert_int_equal(read(fd, &count, 4), 4);
	assert_int_equal(count, first + RAISES);

	/* Unbind with the program installed: its mapping and the BARs are free. */
	close(fd);
	udrv_close(dev);
	put("/sys/bus/pci/drivers/udrv_stub/unbind", edu);
	assert_false(bar_ioremapped(info.phys));
	{
		char line[256];
		FILE *fp = fopen("/proc/iomem", "r");
		int claimed = 0;

		assert_non_null(fp);
		while (fgets(line, sizeof(line), fp))
			claimed |= strstr(line, "udrv_stub") != NULL;
		fclose(fp);
		assert_false(claimed);
	}
	/* The control file outlives the device: ioctls fail cleanly. */
	assert_int_equal(set_ack(ctl, 0, 4, 0x24, 0x64, 0), -ENODEV);
	close(ctl);
	put("/sys/module/udrv_stub/parameters/irq_mode", "auto");
	put("/sys/bus/pci/drivers_probe", edu);
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
		cmocka_unit_test(test_eventfd_vector),
		cmocka_unit_test(test_ack_program),
	};

	edu = getenv("UDRV_EDU");
	if (!edu || strcmp(getenv("UDRV_VM_PROFILE") ? getenv("UDRV_VM_PROFILE") : "", "stub")) {
		fprintf(stderr, "vm_stub_irq: run me under udrv-vm --profile stub\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
