// SPDX-License-Identifier: MIT
/*
 * The VFIO backend's DMA (lib/backend/vfio/dma.c, container.c) on a
 * stand-in kernel: the link wraps ioctl(), which accepts VFIO_IOMMU_MAP_DMA
 * and UNMAP_DMA and records them, so the IOVAs libudrv chooses can be
 * checked against the device's mask and each other.  What is tested is the
 * device's magazine of freed IOVAs in front of the container's space: a
 * freed small IOVA comes back for the next buffer of its size with no trip
 * to the container, an empty class is refilled by half a magazine and a
 * full one gives half back, and when the container has no room for a
 * request, the magazine's IOVAs are given back and the request is served.
 * The device is a bare struct with the VFIO ops: no group, no device fd.
 */
#include <errno.h>
#include <linux/vfio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "vfio/vfio.h"

#define PG 4096u

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

/* What the stand-in saw: live mappings by IOVA page (the mask keeps them below 64 KiB). */
static unsigned int mapped[16];
static unsigned int map_calls;

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct vfio_iommu_type1_dma_unmap *unmap;
	struct vfio_iommu_type1_dma_map *map;
	va_list ap;
	void *arg;
	uint64_t p;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	switch (req) {
	case VFIO_IOMMU_MAP_DMA:
		map = arg;
		map_calls++;
		for (p = map->iova / PG; p < (map->iova + map->size) / PG; p++) {
			assert_true(p < 16);
			assert_int_equal(mapped[p], 0); /* never two mappings at one IOVA */
			mapped[p] = 1;
		}
		return 0;
	case VFIO_IOMMU_UNMAP_DMA:
		unmap = arg;
		for (p = unmap->iova / PG; p < (unmap->iova + unmap->size) / PG; p++) {
			assert_int_equal(mapped[p], 1);
			mapped[p] = 0;
		}
		return 0;
	case VFIO_IOMMU_GET_INFO:
		/* No IOVA-range capability: the whole space, clipped by the mask. */
		((struct vfio_iommu_type1_info *)arg)->flags = 0;
		return 0;
	}
	return __real_ioctl(fd, req, arg);
}

static uint64_t iova_of(struct udrv_dma *b)
{
	return b->iova;
}

/* The index of the buffer at @iova in @b (0: of a free slot). */
static unsigned int slot(struct udrv_dma **b, uint64_t iova)
{
	unsigned int i;

	for (i = 0; i < 15; i++)
		if (iova ? b[i] && iova_of(b[i]) == iova : !b[i])
			return i;
	fail_msg("no buffer at IOVA 0x%llx", (unsigned long long)iova);
	return 0;
}

static void test_magazine_in_front_of_container(void **state)
{
	/* The VFIO backend's state as a type1 container open leaves it. */
	struct udrv_vfio vfio = { .group = -1, .device = -1, .container = -1, .mode = UDRV_VFIO_TYPE1 };
	struct udrv_device dev = {
		.ops = udrv_backend_ops(UDRV_BACKEND_VFIO),
		.priv = &vfio,
		.dma = { .lock = PTHREAD_MUTEX_INITIALIZER, .mask_bits = 16 },
	};
	struct udrv_dma *b[15], *big, *extra;
	char *mem = mmap(NULL, 32 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int i, calls, n;

	(void)state;
	assert_true(mem != MAP_FAILED);
	strcpy(dev.name, "0000:00:04.0");
	/*
	 * A 16-bit mask leaves 15 pages (IOVA 0 is never used): fill them.  A
	 * trip to the container brings four more pages into the magazine, so
	 * three of the fifteen maps take its lock.
	 */
	for (i = 0; i < 15; i++) {
		assert_int_equal(udrv_dma_map(&dev, mem + i * PG, PG, &b[i]), 0);
		assert_true(iova_of(b[i]) >= PG && iova_of(b[i]) + PG - 1 <= 0xffff);
		assert_int_equal(vfio.mag.n[0], i % 5 == 0 ? 4 : 4 - i % 5);
	}
	assert_int_equal(udrv_dma_map(&dev, mem + 15 * PG, PG, &big), -ENOSPC);

	/* A freed page comes back for the next page-sized buffer. */
	i = slot(b, 0x3000);
	udrv_dma_free(&dev, b[i]);
	assert_int_equal(vfio.mag.n[0], 1);
	assert_int_equal(udrv_dma_map(&dev, mem + i * PG, PG, &b[i]), 0);
	assert_int_equal(iova_of(b[i]), 0x3000);
	assert_int_equal(vfio.mag.n[0], 0);

	/*
	 * Free the eight pages from 0x8000: the magazine keeps them all.  The
	 * ninth freed, 0x7000, finds it full: it goes back to the container with
	 * the four freed last.
	 */
	for (n = 0, i = 0; i < 15; i++)
		if (iova_of(b[i]) >= 0x8000) {
			udrv_dma_free(&dev, b[i]);
			b[i] = NULL;
			n++;
		}
	assert_int_equal(n, 8);
	assert_int_equal(vfio.mag.n[0], UDRV_IOVA_MAG_DEPTH);
	i = slot(b, 0x7000);
	udrv_dma_free(&dev, b[i]);
	b[i] = NULL;
	assert_int_equal(vfio.mag.n[0], UDRV_IOVA_MAG_DEPTH / 2);
	/*
	 * 32 KiB, naturally aligned: only 0x8000 can take it, and only once the
	 * magazine's pages are back in the container's space.
	 */
	calls = map_calls;
	assert_int_equal(udrv_dma_map(&dev, mem + 16 * PG, 8 * PG, &big), 0);
	assert_int_equal(iova_of(big), 0x8000);
	assert_int_equal(map_calls, calls + 1);
	assert_int_equal(vfio.mag.n[0], 0);
	/* What is left is the page the container had: then nothing. */
	i = slot(b, 0);
	assert_int_equal(udrv_dma_map(&dev, mem + 24 * PG, PG, &b[i]), 0);
	assert_int_equal(iova_of(b[i]), 0x7000);
	assert_int_equal(udrv_dma_map(&dev, mem + 25 * PG, PG, &extra), -ENOSPC);

	/* Closing gives everything back: the container's space is whole again. */
	udrv_dma_release_all(&dev);
	assert_int_equal(vfio.mag.n[0], 7);
	assert_int_equal(vfio.mag.n[7], 1);
	udrv_vfio_iova_drain(&vfio);
	assert_int_equal(vfio.mag.n[0], 0);
	assert_int_equal(vfio.mag.n[7], 0);
	for (i = 0; i < 16; i++)
		assert_int_equal(mapped[i], 0);
	assert_int_equal(udrv_dma_map(&dev, mem + 16 * PG, 8 * PG, &big), 0);
	assert_int_equal(iova_of(big), 0x8000);
	/* The other seven pages (in the container's own cache's order). */
	for (i = 0; i < 7; i++) {
		assert_int_equal(udrv_dma_map(&dev, mem + i * PG, PG, &b[i]), 0);
		assert_true(iova_of(b[i]) >= PG && iova_of(b[i]) < 0x8000);
	}
	assert_int_equal(udrv_dma_map(&dev, mem + 25 * PG, PG, &extra), -ENOSPC);
	udrv_dma_release_all(&dev);
	udrv_vfio_iova_drain(&vfio);
	/* The container outlives its last device only here (no group): drop it as a forked child does. */
	udrv_vfio_fork_child();
	munmap(mem, 32 * PG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magazine_in_front_of_container),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
