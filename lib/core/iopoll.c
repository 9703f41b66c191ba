// SPDX-License-Identifier: MIT
/*
 * Register polling with a timeout (<udrv/iopoll.h>): readl_poll_timeout()
 * for user space.  One loop for both widths; the reads are the ordered
 * accessors of <udrv/mmio.h>.
 */
#include <errno.h>
#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include "udrv_internal.h"

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t rd(const volatile void *base, size_t off, unsigned int width)
{
	return width == 4 ? udrv_read32(base, off) : udrv_read64(base, off);
}

static int poll_reg(struct udrv_device *dev, const volatile void *base, size_t off,
		    unsigned int width, uint64_t mask, uint64_t want, unsigned int sleep_us,
		    unsigned int timeout_us, uint64_t *val)
{
	uint64_t deadline = now_us() + timeout_us, v, ones;

	if (dev->inherited)
		return udrv_inherited_err(dev);
	if (!base)
		return udrv_err(EINVAL, "%s: polling register 0x%zx of an unmapped BAR (base is NULL)",
				dev->name, off);
	if (off % width)
		return udrv_err(EINVAL, "%s: register offset 0x%zx is not aligned to its %u-byte width",
				dev->name, off, width);
	if (want & ~mask)
		return udrv_err(EINVAL, "%s: polling register 0x%zx for 0x%" PRIx64 " under mask 0x%" PRIx64 ": the value has bits outside the mask, it can never match",
				dev->name, off, want, mask);
	for (;;) {
		v = rd(base, off, width);
		if ((v & mask) == want)
			break;
		if (timeout_us && now_us() > deadline) {
			/* One more read: this thread may have slept past the deadline. */
			v = rd(base, off, width);
			if ((v & mask) == want)
				break;
			if (val)
				*val = v;
			ones = width == 4 ? UINT32_MAX : UINT64_MAX;
			return udrv_err(ETIMEDOUT,
					"%s: register 0x%zx is 0x%0*" PRIx64 " after %u us: (value & 0x%" PRIx64 ") never became 0x%" PRIx64 "%s",
					dev->name, off, (int)width * 2, v, timeout_us, mask, want,
					v == ones ? " (all ones: was the device removed or reset?)" : "");
		}
		if (sleep_us)
			usleep(sleep_us);
	}
	if (val)
		*val = v;
	return 0;
}

UDRV_EXPORT int udrv_poll32(struct udrv_device *dev, const volatile void *base, size_t off,
			    uint32_t mask, uint32_t want, unsigned int sleep_us,
			    unsigned int timeout_us, uint32_t *val)
{
	uint64_t v = 0;
	int ret = poll_reg(dev, base, off, 4, mask, want, sleep_us, timeout_us, &v);

	if (val && ret != -EINVAL && ret != -EBADF)
		*val = (uint32_t)v;
	return ret;
}

UDRV_EXPORT int udrv_poll64(struct udrv_device *dev, const volatile void *base, size_t off,
			    uint64_t mask, uint64_t want, unsigned int sleep_us,
			    unsigned int timeout_us, uint64_t *val)
{
	uint64_t v = 0;
	int ret = poll_reg(dev, base, off, 8, mask, want, sleep_us, timeout_us, &v);

	if (val && ret != -EINVAL && ret != -EBADF)
		*val = v;
	return ret;
}
