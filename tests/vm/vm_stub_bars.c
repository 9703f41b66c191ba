// SPDX-License-Identifier: MIT
/*
 * udrv_stub's BAR mappings (stub profile, udrv-vm adds the devices):
 *   virtio-rng (1af4:1005)    prefetchable BAR4: uncached unless WC is
 *                             asked for, checked in the x86 PAT list
 *   ivshmem-plain (1af4:1110) a 1 GiB BAR2, mapped and touched end to end
 *   rtl8139 (10ec:8139)       a 256-byte BAR1 (the rest of its page
 *                             reserved), and no MSI: irq_mode=msi fails
 *                             its probe with commands that, run as
 *                             printed, bind it again
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#define PAT_LIST "/sys/kernel/debug/x86/pat_memtype_list"

static void put(const char *path, const char *val)
{
	FILE *fp = fopen(path, "w");

	if (!fp || fputs(val, fp) < 0 || fclose(fp))
		fail_msg("writing '%s' to %s: %s", val, path, strerror(errno));
}

static struct udrv_device *open_env(const char *var)
{
	struct udrv_device *dev;
	const char *addr = getenv(var);

	if (!addr)
		fail_msg("%s not set: run me in udrv-vm with the device bound", var);
	if (udrv_open(addr, NULL, &dev))
		fail_msg("%s", udrv_last_error());
	return dev;
}

/* The PAT list's line for the range starting at @phys, if any, into @line. */
static int pat_line(uint64_t phys, char *line, size_t size)
{
	char want[40];
	FILE *fp = fopen(PAT_LIST, "r");
	int found = 0;

	if (!fp)
		fail_msg("%s: %s (debugfs mounted?)", PAT_LIST, strerror(errno));
	snprintf(want, sizeof(want), "[mem 0x%016llx-", (unsigned long long)phys);
	while (!found && fgets(line, (int)size, fp))
		found = strstr(line, want) != NULL;
	fclose(fp);
	if (found)
		line[strcspn(line, "\n")] = '\0';
	return found;
}

static void test_wc_on_request(void **state)
{
	struct udrv_device *dev = open_env("UDRV_DEV_1af4_1005"), *nvme;
	struct udrv_bar_info info;
	char line[256];
	uint64_t v;
	void *bar;

	(void)state;
	assert_int_equal(udrv_bar_info(dev, 4, &info), 0);
	assert_true(info.flags & UDRV_BAR_PREFETCH);

	/* Default: uncached, no WC memtype for the BAR. */
	assert_int_equal(udrv_bar_map_flags(dev, 4, 0, &bar, NULL), 0);
	assert_false(pat_line(info.phys, line, sizeof(line)) && strstr(line, "write-combining"));
	assert_int_equal(udrv_bar_write(dev, 4, 0x00, 4, 1), 0);	/* feature select */
	assert_int_equal(udrv_bar_read(dev, 4, 0x04, 4, &v), 0);
	assert_true(v & 1);					/* VERSION_1 */
	printf("# virtio-rng BAR4 at %#llx, default: uncached (no PAT entry)\n",
	       (unsigned long long)info.phys);
	/* Asking for the other type while mapped: EBUSY. */
	assert_int_equal(udrv_bar_map_flags(dev, 4, UDRV_BAR_MAP_WC, &bar, NULL), -EBUSY);
	udrv_bar_unmap(dev, 4);

	/* Asked for: write-combining, and libudrv says so. */
	assert_int_equal(udrv_bar_map_flags(dev, 4, UDRV_BAR_MAP_WC, &bar, NULL), UDRV_BAR_MAP_WC);
	assert_true(pat_line(info.phys, line, sizeof(line)));
	printf("# asked for WC: %s\n", line);
	assert_non_null(strstr(line, "write-combining"));
	udrv_write32(bar, 0x00, 1);
	udrv_wc_wmb();
	udrv_bar_unmap(dev, 4);
	/* The last WC mapping gone: so is the WC memtype. */
	assert_false(pat_line(info.phys, line, sizeof(line)) && strstr(line, "write-combining"));
	udrv_close(dev);

	/* A BAR that is not prefetchable stays uncached, and says so. */
	nvme = open_env("UDRV_DEV_1b36_0010");
	assert_int_equal(udrv_bar_map_flags(nvme, 0, UDRV_BAR_MAP_WC, &bar, NULL), 0);
	udrv_close(nvme);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_big_bar(void **state)
{
	struct udrv_device *dev = open_env("UDRV_DEV_1af4_1110");
	size_t size, off, bad = 0;
	double t0, t1, t2;
	void *bar;

	(void)state;
	t0 = now();
	if (udrv_bar_map(dev, 2, &bar, &size))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(size, 1ULL << 30);
	for (off = 0; off < size; off += 4096)
		udrv_write64_relaxed(bar, off, off ^ 0x5a5a5a5a5a5a5a5aULL);
	t1 = now();
	for (off = 0; off < size; off += 4096)
		bad += udrv_read64_relaxed(bar, off) != (off ^ 0x5a5a5a5a5a5a5a5aULL);
	t2 = now();
	printf("# 1 GiB BAR2: mapped and written page by page in %.2f s, read back in %.2f s, %zu bad\n",
	       t1 - t0, t2 - t1, bad);
	assert_int_equal(bad, 0);
	udrv_close(dev);
}

static void test_subpage_bar(void **state)
{
	struct udrv_device *dev = open_env("UDRV_DEV_10ec_8139");
	struct udrv_bar_info info;
	char line[256];
	int reserved = 0;
	FILE *fp;
	void *bar;

	(void)state;
	assert_int_equal(udrv_bar_info(dev, 1, &info), 0);
	assert_true(info.size < 4096);
	if (udrv_bar_map(dev, 1, &bar, NULL))
		fail_msg("%s", udrv_last_error());
	/* IDR0-5 (MAC) reads the same through the memory BAR as through I/O BAR0. */
	{
		uint64_t io;

		assert_int_equal(udrv_bar_read(dev, 0, 0, 4, &io), 0);
		assert_int_equal(udrv_read32(bar, 0), (uint32_t)io);
	}
	fp = fopen("/proc/iomem", "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		reserved |= strstr(line, "udrv_stub sub-page reserved") != NULL;
	fclose(fp);
	assert_true(reserved);
	printf("# rtl8139 BAR1: %llu bytes, the rest of its page reserved\n",
	       (unsigned long long)info.size);
	udrv_close(dev);
}

/* The last kernel log line holding @what, into @line. */
static int klog_find(const char *what, char *line, size_t size)
{
	int n = klogctl(10, NULL, 0), found = 0;
	char *buf, *p, *nl;

	assert_true(n > 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	n = klogctl(3, buf, n);
	assert_true(n > 0);
	buf[n] = '\0';
	for (p = buf; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		if (strstr(p, what)) {
			snprintf(line, size, "%s", p);
			found = 1;
		}
	}
	free(buf);
	return found;
}

/* irq_mode=msi on a function without MSI: the printed remedy, run literally, binds it. */
static void test_printed_remedy(void **state)
{
	const char *addr = getenv("UDRV_DEV_10ec_8139");
	char path[256], line[512], link[256];
	const char *cmds;
	ssize_t n;

	(void)state;
	put("/sys/module/udrv_stub/parameters/irq_mode", "msi");
	put("/sys/bus/pci/drivers/udrv_stub/unbind", addr);
	{
		FILE *fp = fopen("/sys/bus/pci/drivers_probe", "w");

		/* The probe fails: the write reports it, or not (kernel version). */
		if (fp) {
			fputs(addr, fp);
			fclose(fp);
		}
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	assert_true(readlink(path, link, sizeof(link)) < 0);
	assert_true(klog_find("to bind it: ", line, sizeof(line)));
	printf("# kernel: %s\n", strstr(line, "udrv_stub"));
	cmds = strstr(line, "to bind it: ") + strlen("to bind it: ");
	printf("# running: %s\n", cmds);
	assert_int_equal(system(cmds), 0);
	n = readlink(path, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_non_null(strstr(link, "udrv_stub"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wc_on_request),
		cmocka_unit_test(test_big_bar),
		cmocka_unit_test(test_subpage_bar),
		cmocka_unit_test(test_printed_remedy),
	};

	if (strcmp(getenv("UDRV_VM_PROFILE") ? getenv("UDRV_VM_PROFILE") : "", "stub")) {
		fprintf(stderr, "vm_stub_bars: run me under udrv-vm --profile stub\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
