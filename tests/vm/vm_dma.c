// SPDX-License-Identifier: MIT
/*
 * libudrv's DMA buffers on edu in every profile: the 28-bit mask respected,
 * zeroed memory, udrv_dma_addr() for inner pointers, and edu DMA round
 * trips RAM -> device buffer -> RAM of random data at random offsets and
 * sizes, every byte checked.  edu: 0x80 src, 0x88 dst, 0x90 count, 0x98
 * cmd (1 run, 2 device->RAM); its buffer is 4 KiB at 0x40000, and a
 * transfer must end inside it (QEMU 7.2 aborts on count 4096 at 0x40000).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#include "edu_dma.h"
#include "fds.h"
#include "nobody.h"

#define ROUNDS        4

static const char *edu, *profile;

static void put(const char *path, const char *val)
{
	FILE *fp = fopen(path, "w");

	if (fp) {
		fputs(val, fp);
		fclose(fp);
	}
}

/* One transfer, waited for; a test failure if edu does not finish. */
static void edu_dma(struct udrv_device *dev, void *bar0, uint64_t src, uint64_t dst,
		    uint64_t count, uint32_t cmd)
{
	if (edu_dma_run(dev, bar0, src, dst, count, cmd))
		fail_msg("%s", udrv_last_error());
}

static void test_buffers(void **state)
{
	static const size_t sizes[] = { 4096, 65536, 2 << 20 };
	struct udrv_dma *bufs[3];
	struct udrv_device *dev;
	unsigned int i, r, seed = 42;
	int fds = count_fds();
	void *bar0;

	(void)state;
	if (udrv_open(edu, NULL, &dev) || udrv_bar_map(dev, 0, &bar0, NULL))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_dma_set_mask(dev, EDU_DMA_BITS), 0);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	for (i = 0; i < 3; i++) {
		struct udrv_dma *b;
		uint64_t iova;
		size_t k;

		if (udrv_dma_alloc(dev, sizes[i], &b))
			fail_msg("%zu bytes: %s", sizes[i], udrv_last_error());
		bufs[i] = b;
		printf("# %s: %zu bytes at iova 0x%llx (size %zu)\n", profile, sizes[i],
		       (unsigned long long)b->iova, b->size);
		assert_true(b->size >= sizes[i]);
		assert_true(b->iova + b->size - 1 < (1ULL << EDU_DMA_BITS));
		for (k = 0; k < b->size; k += 4096)
			assert_int_equal(((unsigned char *)b->vaddr)[k], 0);
		assert_int_equal(udrv_dma_addr(dev, (char *)b->vaddr + b->size - 1, &iova), 0);
		assert_int_equal(iova, b->iova + b->size - 1);
	}
	/* Round trips: random bytes at a random place out and back to another place. */
	for (r = 0; r < ROUNDS * 3; r++) {
		struct udrv_dma *b = bufs[r % 3];
		size_t n = 1 + rand_r(&seed) % 4095;
		size_t out = rand_r(&seed) % (b->size - n + 1), back = rand_r(&seed) % (b->size - n + 1);
		unsigned char *p = b->vaddr;
		unsigned char *want = malloc(n);
		size_t k;

		assert_non_null(want);
		for (k = 0; k < n; k++)
			want[k] = p[out + k] = rand_r(&seed);
		assert_int_equal(udrv_dma_sync_for_device(dev, b), 0);
		edu_dma(dev, bar0, b->iova + out, EDU_BUF_ADDR, n, 0);
		memset(p + back, 0, n);
		edu_dma(dev, bar0, EDU_BUF_ADDR, b->iova + back, n, EDU_DMA_TO_RAM);
		assert_int_equal(udrv_dma_sync_for_cpu(dev, b), 0);
		assert_memory_equal(p + back, want, n);
		free(want);
	}
	printf("# %s: %d round trips, every byte checked\n", profile, ROUNDS * 3);
	udrv_dma_free(dev, bufs[1]);
	assert_int_equal(udrv_dma_addr(dev, bufs[0]->vaddr, &(uint64_t){ 0 }), 0);
	udrv_close(dev); /* frees the rest */
	assert_int_equal(count_fds(), fds);
}

/* A number from /proc/self/status or /proc/meminfo ("Key:   123 kB"). */
static long proc_value(const char *file, const char *key)
{
	char line[256];
	long v = -1;
	FILE *fp = fopen(file, "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		if (!strncmp(line, key, strlen(key)))
			v = strtol(line + strlen(key), NULL, 10);
	fclose(fp);
	return v;
}

static int count_maps(void)
{
	char line[512];
	int n = 0;
	FILE *fp = fopen("/proc/self/maps", "r");

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		n++;
	fclose(fp);
	return n;
}

/*
 * VFIO only: huge pages for a 2 MiB buffer, the caller's own memory mapped
 * and used for DMA, a DMA to an IOVA nothing is mapped at (the IOMMU blocks
 * it: the kernel logs a DMAR fault, memory stays intact), and nothing
 * pinned, mapped or open after close.
 */
static void test_vfio_extras(void **state)
{
	long lck0 = proc_value("/proc/self/status", "VmLck:"), huge0, huge1;
	int maps0 = count_maps(), fds0 = count_fds();
	struct udrv_dma *big, *mine, *canary, *twice;
	struct udrv_device *dev;
	unsigned char *own;
	size_t k;
	void *bar0;

	(void)state;
	if (strcmp(profile, "vfio")) {
		printf("# skipped: huge-page IOMMU mappings and own-memory mapping are VFIO's (profile %s)\n",
		       profile);
		skip();
	}
	if (udrv_open(edu, NULL, &dev) || udrv_bar_map(dev, 0, &bar0, NULL))
		fail_msg("%s", udrv_last_error());
	printf("# vfio mode %s\n", udrv_vfio_mode_name(udrv_vfio_mode(dev)));
	if (udrv_vfio_mode(dev) == UDRV_VFIO_NOIOMMU) {
		/* No IOMMU: physical addresses, no mapping of the caller's memory. */
		own = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(own != MAP_FAILED);
		assert_int_equal(udrv_dma_map(dev, own, 65536, &mine), -ENOTSUP);
		assert_non_null(strstr(udrv_last_error(), "needs an IOMMU"));
		munmap(own, 65536);
		assert_int_equal(udrv_dma_alloc(dev, 3 << 20, &big), -EINVAL);
		assert_non_null(strstr(udrv_last_error(), "one 2 MiB huge page at most"));
		udrv_close(dev);
		assert_int_equal(count_fds(), fds0);
		printf("# skipped: IOMMU mappings (no-IOMMU mode)\n");
		skip();
	}
	assert_int_equal(udrv_dma_set_mask(dev, EDU_DMA_BITS), 0);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);

	huge0 = proc_value("/proc/meminfo", "HugePages_Free:");
	assert_int_equal(udrv_dma_alloc(dev, 2 << 20, &big), 0);
	huge1 = proc_value("/proc/meminfo", "HugePages_Free:");
	printf("# 2 MiB buffer: %ld huge page(s) used, iova 0x%llx\n", huge0 - huge1,
	       (unsigned long long)big->iova);
	assert_int_equal(huge0 - huge1, 1);
	assert_int_equal(big->iova % (2 << 20), 0);

	own = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(own != MAP_FAILED);
	assert_int_equal(udrv_dma_map(dev, own + 1, 4096, &mine), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "not page-aligned"));
	assert_int_equal(udrv_dma_map(dev, own, 65536, &mine), 0);
	assert_ptr_equal(mine->vaddr, own);
	/* The same memory twice would make udrv_dma_addr() ambiguous: refused. */
	assert_int_equal(udrv_dma_map(dev, own + 8192, 4096, &twice), -EEXIST);
	assert_non_null(strstr(udrv_last_error(), "udrv_dma_addr"));
	assert_null(twice);
	for (k = 0; k < 100; k++)
		own[300 + k] = (unsigned char)(k * 7 + 1);
	edu_dma(dev, bar0, mine->iova + 300, EDU_BUF_ADDR, 100, 0);
	memset(own + 300, 0, 100);
	edu_dma(dev, bar0, EDU_BUF_ADDR, mine->iova + 60000, 100, EDU_DMA_TO_RAM);
	for (k = 0; k < 100; k++)
		assert_int_equal(own[60000 + k], (unsigned char)(k * 7 + 1));
	printf("# own memory mapped at iova 0x%llx: DMA round trip ok\n",
	       (unsigned long long)mine->iova);
	/* type1 charges pins to the process (VmLck); iommufd to the user's RLIMIT_MEMLOCK. */
	if (udrv_vfio_mode(dev) != UDRV_VFIO_IOMMUFD)
		assert_true(proc_value("/proc/self/status", "VmLck:") > lck0);

	/* A DMA to an IOVA with nothing mapped there: blocked, nothing written. */
	assert_int_equal(udrv_dma_alloc(dev, 4096, &canary), 0);
	memset(canary->vaddr, 0x5a, 4096);
	memset(own, 0x5a, 4096);
	edu_dma(dev, bar0, EDU_BUF_ADDR, (1ULL << EDU_DMA_BITS) - 0x10000, 256, EDU_DMA_TO_RAM);
	for (k = 0; k < 4096; k++) {
		assert_int_equal(((unsigned char *)canary->vaddr)[k], 0x5a);
		assert_int_equal(own[k], 0x5a);
	}
	printf("# DMA to unmapped IOVA 0x%llx: blocked, buffers intact\n",
	       (unsigned long long)((1ULL << EDU_DMA_BITS) - 0x10000));

	udrv_dma_free(dev, mine);
	assert_int_equal(own[0], 0x5a); /* still the caller's memory */
	munmap(own, 65536);
	udrv_close(dev);
	assert_int_equal(proc_value("/proc/self/status", "VmLck:"), lck0);
	assert_int_equal(count_maps(), maps0);
	assert_int_equal(count_fds(), fds0);
	assert_int_equal(proc_value("/proc/meminfo", "HugePages_Free:"), huge0);
}

/* Physical addresses (uio_pci_generic): a mask the huge pages may not meet. */
static void test_uio_narrow_mask(void **state)
{
	struct udrv_device *dev;
	struct udrv_dma *b;
	int ret;

	(void)state;
	if (strcmp(profile, "uio")) {
		printf("# skipped: physical-address allocation is uio_pci_generic's (profile %s)\n",
		       profile);
		skip();
	}
	if (udrv_open(edu, NULL, &dev))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_dma_set_mask(dev, 24), 0);
	ret = udrv_dma_alloc(dev, 4096, &b);
	printf("# 24-bit mask: %s\n", ret ? udrv_last_error() : "a huge page below 16 MiB was found");
	if (ret) {
		assert_int_equal(ret, -ENOSPC);
		assert_non_null(strstr(udrv_last_error(), "below the device's DMA mask"));
	} else {
		assert_true(b->iova + b->size - 1 < (1ULL << 24));
	}
	udrv_close(dev);
}

/* Streaming buffers: the CPU writes, sync for the device, DMA, sync for the CPU. */
static void test_streaming(void **state)
{
	static const size_t sizes[] = { 4096, 65536 };
	struct udrv_device *dev;
	struct udrv_dma *b;
	unsigned int i, k;
	void *bar0;
	char grp[128];

	(void)state;
	if (udrv_open(edu, NULL, &dev) || udrv_bar_map(dev, 0, &bar0, NULL))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_dma_set_mask(dev, EDU_DMA_BITS), 0);
	assert_int_equal(udrv_set_bus_master(dev, 1), 0);
	snprintf(grp, sizeof(grp), "/sys/bus/pci/devices/%s/iommu_group", edu);
	for (i = 0; i < 2; i++) {
		unsigned char *p;
		int ret = udrv_dma_alloc_streaming(dev, sizes[i], &b);

		if (ret == -ENOTSUP && !strcmp(profile, "stub") && access(grp, F_OK)) {
			/* No IOMMU: the pages need not be contiguous for the device. */
			printf("# stub streaming %zu bytes without IOMMU: %s\n", sizes[i],
			       udrv_last_error());
			assert_non_null(strstr(udrv_last_error(), "pieces in bus space"));
			continue;
		}
		if (ret)
			fail_msg("%s", udrv_last_error());
		p = b->vaddr;
		for (k = 0; k < 4095; k++)
			p[k] = (unsigned char)(k * 13 + i);
		assert_int_equal(udrv_dma_sync_for_device(dev, b), 0);
		edu_dma(dev, bar0, b->iova, EDU_BUF_ADDR, 4095, 0);
		assert_int_equal(udrv_dma_sync_for_cpu(dev, b), 0);
		memset(p, 0, 4095);
		assert_int_equal(udrv_dma_sync_for_device(dev, b), 0);
		edu_dma(dev, bar0, EDU_BUF_ADDR, b->iova + b->size - 4095, 4095, EDU_DMA_TO_RAM);
		assert_int_equal(udrv_dma_sync_for_cpu(dev, b), 0);
		for (k = 0; k < 4095; k++)
			assert_int_equal(p[b->size - 4095 + k], (unsigned char)(k * 13 + i));
		printf("# %s streaming %zu bytes at iova 0x%llx: round trip ok\n", profile,
		       sizes[i], (unsigned long long)b->iova);
		udrv_dma_free(dev, b);
	}
	udrv_close(dev);
}

static int open_and_alloc(void *arg)
{
	struct udrv_device *dev;
	struct udrv_dma *b;
	int ret = udrv_open(arg, NULL, &dev);

	if (!ret) {
		ret = udrv_dma_alloc(dev, 4096, &b);
		udrv_close(dev);
	}
	return ret;
}

/* uio_pci_generic as a non-root user who may open the device: pagemap hides PFNs. */
static void test_uio_not_root(void **state)
{
	char msg[512];
	int ret;

	(void)state;
	if (strcmp(profile, "uio")) {
		printf("# skipped: physical addresses from pagemap are uio_pci_generic's (profile %s)\n",
		       profile);
		skip();
	}
	assert_int_equal(system("chmod 0666 /dev/uio*"), 0);
	ret = run_as_nobody(open_and_alloc, (void *)edu, msg, sizeof(msg));
	printf("# uio DMA as nobody: %s\n", msg);
	assert_int_equal(ret, -EPERM);
	assert_non_null(strstr(msg, "pagemap hides physical addresses"));
}

/* uio_pci_generic behind a translating IOMMU: physical addresses are refused. */
static void test_uio_iommu_refused(void **state)
{
	struct udrv_device *dev;
	struct udrv_dma *b;

	(void)state;
	if (udrv_open(edu, NULL, &dev))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_dma_alloc(dev, 4096, &b), -EINVAL);
	printf("# uio behind an IOMMU: %s\n", udrv_last_error());
	assert_non_null(strstr(udrv_last_error(), "an IOMMU translates this device's DMA"));
	assert_non_null(strstr(udrv_last_error(), "bind it to vfio-pci"));
	udrv_close(dev);
}

/* Does an IOMMU translate the device's DMA (group type other than identity)? */
static int iommu_translates(void)
{
	char path[256], type[32] = "";
	FILE *fp;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group/type", edu);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	if (!fgets(type, sizeof(type), fp))
		type[0] = '\0';
	fclose(fp);
	return strncmp(type, "identity", 8) != 0;
}

static void test_errors(void **state)
{
	struct udrv_device *dev;
	struct udrv_dma *b;
	int x;

	(void)state;
	if (udrv_open(edu, NULL, &dev))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(udrv_dma_set_mask(dev, 12), -EINVAL);
	if (!strcmp(profile, "none")) {
		assert_int_equal(udrv_dma_alloc(dev, 4096, &b), -ENOTSUP);
		assert_non_null(strstr(udrv_last_error(), "has no DMA"));
		udrv_close(dev);
		return;
	}
	assert_int_equal(udrv_dma_alloc(dev, 0, &b), -EINVAL);
	assert_int_equal(udrv_dma_addr(dev, &x, &(uint64_t){ 0 }), -EFAULT);
	if (!strcmp(profile, "uio")) {
		assert_int_equal(udrv_dma_alloc(dev, 3 << 20, &b), -EINVAL);
		assert_non_null(strstr(udrv_last_error(), "one 2 MiB huge page at most"));
	}
	if (strcmp(profile, "vfio")) {
		assert_int_equal(udrv_dma_map(dev, &x, 4, &b), -ENOTSUP);
		assert_non_null(strstr(udrv_last_error(), "needs an IOMMU"));
	}
	udrv_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_vfio_extras),
		cmocka_unit_test(test_uio_narrow_mask),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_uio_not_root),
		cmocka_unit_test(test_errors),
	};
	const struct CMUnitTest uio_iommu_tests[] = {
		cmocka_unit_test(test_uio_iommu_refused),
	};
	const struct CMUnitTest none_tests[] = {
		cmocka_unit_test(test_errors),
	};

	edu = getenv("UDRV_EDU");
	profile = getenv("UDRV_VM_PROFILE");
	if (!edu || !profile) {
		fprintf(stderr, "vm_dma: run me under udrv-vm\n");
		return 77;
	}
	/* Huge pages for the uio path (and VFIO's 2 MiB buffers). */
	put("/proc/sys/vm/nr_hugepages", "32");
	if (!strcmp(profile, "none"))
		return cmocka_run_group_tests(none_tests, NULL, NULL);
	if (!strcmp(profile, "uio") && iommu_translates())
		return cmocka_run_group_tests(uio_iommu_tests, NULL, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
