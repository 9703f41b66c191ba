/* SPDX-License-Identifier: MIT */
/**
 * DOC: register polling
 *
 * Waiting for a register to reach a value, with a timeout: the user-space
 * readl_poll_timeout() (the kernel's <linux/iopoll.h>).  udrv_poll32() and
 * udrv_poll64() read the register at @off from a mapped BAR (udrv_bar_map())
 * with udrv_read32()/udrv_read64() until ``(value & mask) == want``,
 * sleeping @sleep_us between reads (0: spin), and give up after @timeout_us
 * (0: never), reading once more after the deadline as the kernel does, so
 * that a thread descheduled past it does not fail a register that is ready.
 * The last value read is returned through @val either way.  A timeout is a
 * failure like any other: -ETIMEDOUT with a message naming the device, the
 * register, the value it had and the one wanted.
 *
 * Typical uses: edu's factorial busy bit (status 0x20 bit 0 clear), NVMe's
 * CSTS.RDY after setting CC.EN.
 */
#ifndef UDRV_IOPOLL_H
#define UDRV_IOPOLL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_device;

/**
 * udrv_poll32() - poll a 32-bit register until it matches, or time out
 * @dev:        the device the BAR belongs to (named in the message)
 * @base:       start of a mapped BAR (from udrv_bar_map())
 * @off:        byte offset of the register, a multiple of 4
 * @mask:       the bits to look at
 * @want:       what they must be
 * @sleep_us:   microseconds to sleep between reads; 0 spins
 * @timeout_us: microseconds before giving up; 0 waits for ever
 * @val:        set to the last value read (may be NULL)
 *
 * Return: 0 once ``(value & @mask) == @want``; -ETIMEDOUT when it did not
 * within @timeout_us (the message has the last value, and says when it
 * was all ones: a device that went away reads so); -EINVAL for a
 * misaligned @off, @want outside @mask or a NULL @base.
 */
int udrv_poll32(struct udrv_device *dev, const volatile void *base, size_t off, uint32_t mask,
		uint32_t want, unsigned int sleep_us, unsigned int timeout_us, uint32_t *val);

/**
 * udrv_poll64() - poll a 64-bit register until it matches, or time out
 * @dev:        the device the BAR belongs to (named in the message)
 * @base:       start of a mapped BAR (from udrv_bar_map())
 * @off:        byte offset of the register, a multiple of 8
 * @mask:       the bits to look at
 * @want:       what they must be
 * @sleep_us:   microseconds to sleep between reads; 0 spins
 * @timeout_us: microseconds before giving up; 0 waits for ever
 * @val:        set to the last value read (may be NULL)
 *
 * Return: as udrv_poll32().
 */
int udrv_poll64(struct udrv_device *dev, const volatile void *base, size_t off, uint64_t mask,
		uint64_t want, unsigned int sleep_us, unsigned int timeout_us, uint64_t *val);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_IOPOLL_H */
