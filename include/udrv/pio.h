/* SPDX-License-Identifier: MIT */
/**
 * DOC: I/O port accessors
 *
 * Direct access to an I/O-port BAR on x86, the user-space inb()/outb():
 * udrv_bar_pio_base() gets the calling thread the right to run in/out on
 * the BAR's ports (ioperm() below port 0x400, else iopl(); root or
 * CAP_SYS_RAWIO, no kernel lockdown) and returns its first port;
 * ``udrv_inN(base, off)`` and ``udrv_outN(base, off, val)`` are then one
 * in or out instruction each, with no checking, as the <udrv/mmio.h>
 * accessors are one mov.  The right belongs to the thread and to the
 * threads it creates afterwards: any other thread calls
 * udrv_bar_pio_base() itself first (using the accessors without it kills
 * the thread with SIGSEGV).
 *
 * Port I/O is strongly ordered on x86: an in or out is not reordered with
 * other loads and stores, so no barrier is needed around them.
 *
 * The checked udrv_bar_read()/udrv_bar_write() use the same instructions
 * when the thread may, and a system call per access when it may not
 * (udrv_bar_pio_direct() says which, and why); they work on every
 * architecture.  The inline accessors exist on x86 only.
 */
#ifndef UDRV_PIO_H
#define UDRV_PIO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_device;

/**
 * udrv_bar_pio_base() - direct access to an I/O-port BAR for this thread
 * @dev:  the device
 * @bar:  an I/O-port BAR
 * @base: set to the BAR's first port
 * @size: set to the number of ports (may be NULL)
 *
 * Return: 0 once the calling thread may use udrv_inb() & co. on the BAR's
 * ports; -EPERM (the kernel refused ioperm/iopl: no CAP_SYS_RAWIO, kernel
 * lockdown, a seccomp filter) or -ENOTSUP (not x86, or the port range is
 * unknown), with the reason in udrv_last_error() (udrv_bar_read() and
 * udrv_bar_write() still work, through a system call); -EINVAL for a
 * memory BAR or a bad BAR number, -ENOENT for an unimplemented one, -EBADF
 * for a handle inherited across fork().
 */
int udrv_bar_pio_base(struct udrv_device *dev, unsigned int bar, uint16_t *base, uint64_t *size);

#if defined(__x86_64__) || defined(__i386__)

/**
 * udrv_inb() - read an 8-bit I/O port
 * @base: first port of the BAR (from udrv_bar_pio_base())
 * @off:  offset of the register in the BAR
 *
 * Return: the value; one ``inb``.
 */
static inline uint8_t udrv_inb(uint16_t base, uint16_t off)
{
	uint8_t v;

	__asm__ __volatile__("inb %w1, %b0" : "=a"(v) : "Nd"((uint16_t)(base + off)) : "memory");
	return v;
}

/**
 * udrv_inw() - read a 16-bit I/O port
 * @base: first port of the BAR (from udrv_bar_pio_base())
 * @off:  offset of the register in the BAR, a multiple of 2
 *
 * Return: the value; one ``inw``.
 */
static inline uint16_t udrv_inw(uint16_t base, uint16_t off)
{
	uint16_t v;

	__asm__ __volatile__("inw %w1, %w0" : "=a"(v) : "Nd"((uint16_t)(base + off)) : "memory");
	return v;
}

/**
 * udrv_inl() - read a 32-bit I/O port
 * @base: first port of the BAR (from udrv_bar_pio_base())
 * @off:  offset of the register in the BAR, a multiple of 4
 *
 * Return: the value; one ``inl``.
 */
static inline uint32_t udrv_inl(uint16_t base, uint16_t off)
{
	uint32_t v;

	__asm__ __volatile__("inl %w1, %0" : "=a"(v) : "Nd"((uint16_t)(base + off)) : "memory");
	return v;
}

/**
 * udrv_outb() - write an 8-bit I/O port
 * @base: first port of the BAR (from udrv_bar_pio_base())
 * @off:  offset of the register in the BAR
 * @val:  the value; one ``outb``
 */
static inline void udrv_outb(uint16_t base, uint16_t off, uint8_t val)
{
	__asm__ __volatile__("outb %b0, %w1" : : "a"(val), "Nd"((uint16_t)(base + off)) : "memory");
}

/**
 * udrv_outw() - write a 16-bit I/O port
 * @base: first port of the BAR (from udrv_bar_pio_base())
 * @off:  offset of the register in the BAR, a multiple of 2
 * @val:  the value; one ``outw``
 */
static inline void udrv_outw(uint16_t base, uint16_t off, uint16_t val)
{
	__asm__ __volatile__("outw %w0, %w1" : : "a"(val), "Nd"((uint16_t)(base + off)) : "memory");
}

/**
 * udrv_outl() - write a 32-bit I/O port
 * @base: first port of the BAR (from udrv_bar_pio_base())
 * @off:  offset of the register in the BAR, a multiple of 4
 * @val:  the value; one ``outl``
 */
static inline void udrv_outl(uint16_t base, uint16_t off, uint32_t val)
{
	__asm__ __volatile__("outl %0, %w1" : : "a"(val), "Nd"((uint16_t)(base + off)) : "memory");
}

#endif /* x86 */

#ifdef __cplusplus
}
#endif

#endif /* UDRV_PIO_H */
