/* SPDX-License-Identifier: MIT */
/**
 * DOC: MMIO accessors
 *
 * Register access on a mapped BAR.  ``udrv_readN(base, off)`` and
 * ``udrv_writeN(base, off, val)`` access the N-bit register at byte offset
 * @off from @base with exactly one load or store of that width, and follow
 * the ordering of the kernel's readl()/writel(): a write is not reordered
 * before earlier stores to normal memory (so a DMA descriptor written before
 * ringing a doorbell is visible to the device), and a read completes before
 * later loads from normal memory (so data the device reports ready is read
 * after the status register).  The ``_relaxed`` variants give only the
 * ordering of MMIO against other MMIO to the same device, like
 * readl_relaxed().
 *
 * Registers are little-endian on the bus and these accessors assume a
 * little-endian CPU (x86, arm64 in its usual mode), as PCI devices do.
 * On x86 every accessor compiles to a single mov.
 *
 * udrv_io_rmb() and udrv_io_wmb() are the barriers the ordered accessors
 * use: only a compiler barrier on x86, where uncached MMIO is strongly
 * ordered; ``dmb oshld``/``dmb oshst`` on arm64; a full fence elsewhere.
 *
 * Write-combining mappings (udrv_bar_map_flags() with %UDRV_BAR_MAP_WC)
 * are not ordered that way: stores to them may be merged, reordered and
 * held in the CPU's WC buffers, and neither udrv_io_wmb() nor the ordered
 * accessors flush them on x86.  udrv_wc_wmb() does (``sfence`` on x86,
 * ``dsb st`` on arm64, a full fence elsewhere): call it after filling a
 * WC area and before the store (e.g. a doorbell write through an uncached
 * mapping) that tells the device to look at it.
 *
 * One macro defines the four accessors of each width (8, 16, 32, 64 bits).
 * kernel-doc cannot see inside a macro, so each accessor is also declared
 * once, with its documentation, before the macro; the compiler checks every
 * declaration against the definition the macro generates.
 */
#ifndef UDRV_MMIO_H
#define UDRV_MMIO_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
/* x86: uncached MMIO is strongly ordered; only the compiler must be held. */
#define udrv_io_rmb() __asm__ __volatile__("" ::: "memory")
#define udrv_io_wmb() __asm__ __volatile__("" ::: "memory")
/* WC stores are weakly ordered: sfence drains the WC buffers. */
#define udrv_wc_wmb() __asm__ __volatile__("sfence" ::: "memory")
#elif defined(__aarch64__)
#define udrv_io_rmb() __asm__ __volatile__("dmb oshld" ::: "memory")
#define udrv_io_wmb() __asm__ __volatile__("dmb oshst" ::: "memory")
#define udrv_wc_wmb() __asm__ __volatile__("dsb st" ::: "memory")
#else
#define udrv_io_rmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define udrv_io_wmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define udrv_wc_wmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/**
 * udrv_read8() - read an 8-bit register, ordered like readb()
 * @base: start of a mapped BAR (from udrv_bar_map())
 * @off:  byte offset of the register from @base
 *
 * One 8-bit load, complete before any later load from normal memory.
 *
 * Return: the register's value.
 */
static inline uint8_t udrv_read8(const volatile void *base, size_t off);

/**
 * udrv_write8() - write an 8-bit register, ordered like writeb()
 * @base: start of a mapped BAR (from udrv_bar_map())
 * @off:  byte offset of the register from @base
 * @val:  the value to store
 *
 * One 8-bit store, made after earlier stores to normal memory are visible.
 */
static inline void udrv_write8(volatile void *base, size_t off, uint8_t val);

/**
 * udrv_read8_relaxed() - read an 8-bit register, ordered only against MMIO
 * @base: start of a mapped BAR
 * @off:  byte offset of the register from @base
 *
 * Return: the register's value.
 */
static inline uint8_t udrv_read8_relaxed(const volatile void *base, size_t off);

/**
 * udrv_write8_relaxed() - write an 8-bit register, ordered only against MMIO
 * @base: start of a mapped BAR
 * @off:  byte offset of the register from @base
 * @val:  the value to store
 */
static inline void udrv_write8_relaxed(volatile void *base, size_t off, uint8_t val);

/**
 * udrv_read16() - read a 16-bit register, ordered like readw()
 * @base: start of a mapped BAR (from udrv_bar_map())
 * @off:  byte offset of the register from @base
 *
 * One 16-bit load, complete before any later load from normal memory.
 *
 * Return: the register's value.
 */
static inline uint16_t udrv_read16(const volatile void *base, size_t off);

/**
 * udrv_write16() - write a 16-bit register, ordered like writew()
 * @base: start of a mapped BAR (from udrv_bar_map())
 * @off:  byte offset of the register from @base
 * @val:  the value to store
 *
 * One 16-bit store, made after earlier stores to normal memory are visible.
 */
static inline void udrv_write16(volatile void *base, size_t off, uint16_t val);

/**
 * udrv_read16_relaxed() - read a 16-bit register, ordered only against MMIO
 * @base: start of a mapped BAR
 * @off:  byte offset of the register from @base
 *
 * Return: the register's value.
 */
static inline uint16_t udrv_read16_relaxed(const volatile void *base, size_t off);

/**
 * udrv_write16_relaxed() - write a 16-bit register, ordered only against MMIO
 * @base: start of a mapped BAR
 * @off:  byte offset of the register from @base
 * @val:  the value to store
 */
static inline void udrv_write16_relaxed(volatile void *base, size_t off, uint16_t val);

/**
 * udrv_read32() - read a 32-bit register, ordered like readl()
 * @base: start of a mapped BAR (from udrv_bar_map())
 * @off:  byte offset of the register from @base
 *
 * One 32-bit load, complete before any later load from normal memory.
 *
 * Return: the register's value.
 */
static inline uint32_t udrv_read32(const volatile void *base, size_t off);

/**
 * udrv_write32() - write a 32-bit register, ordered like writel()
 * @base: start of a mapped BAR (from udrv_bar_map())
 * @off:  byte offset of the register from @base
 * @val:  the value to store
 *
 * One 32-bit store, made after earlier stores to normal memory are visible.
 */
static inline void udrv_write32(volatile void *base, size_t off, uint32_t val);

/**
 * udrv_read32_relaxed() - read a 32-bit register, ordered only against MMIO
 * @base: start of a mapped BAR
 * @off:  byte offset of the register from @base
 *
 * Return: the register's value.
 */
static inline uint32_t udrv_read32_relaxed(const volatile void *base, size_t off);

/**
 * udrv_write32_relaxed() - write a 32-bit register, ordered only against MMIO
 * @base: start of a mapped BAR
 * @off:  byte offset of the register from @base
 * @val:  the value to store
 */
static inline void udrv_write32_relaxed(volatile void *base, size_t off, uint32_t val);

/**
 * udrv_read64() - read a 64-bit register, ordered like readq()
 * @base: start of a mapped BAR (from udrv_bar_map())
 * @off:  byte offset of the register from @base
 *
 * One 64-bit load, complete before any later load from normal memory.
 *
 * Return: the register's value.
 */
static inline uint64_t udrv_read64(const volatile void *base, size_t off);

/**
 * udrv_write64() - write a 64-bit register, ordered like writeq()
 * @base: start of a mapped BAR (from udrv_bar_map())
 * @off:  byte offset of the register from @base
 * @val:  the value to store
 *
 * One 64-bit store, made after earlier stores to normal memory are visible.
 */
static inline void udrv_write64(volatile void *base, size_t off, uint64_t val);

/**
 * udrv_read64_relaxed() - read a 64-bit register, ordered only against MMIO
 * @base: start of a mapped BAR
 * @off:  byte offset of the register from @base
 *
 * Return: the register's value.
 */
static inline uint64_t udrv_read64_relaxed(const volatile void *base, size_t off);

/**
 * udrv_write64_relaxed() - write a 64-bit register, ordered only against MMIO
 * @base: start of a mapped BAR
 * @off:  byte offset of the register from @base
 * @val:  the value to store
 */
static inline void udrv_write64_relaxed(volatile void *base, size_t off, uint64_t val);

#define UDRV_DEFINE_MMIO(bits)                                                                \
	/* the definitions of the accessors documented above */                               \
	static inline uint##bits##_t udrv_read##bits##_relaxed(const volatile void *base,     \
								 size_t off)                  \
	{                                                                                     \
		return *(const volatile uint##bits##_t *)((const volatile char *)base + off); \
	}                                                                                     \
	static inline void udrv_write##bits##_relaxed(volatile void *base, size_t off,        \
						       uint##bits##_t val)                    \
	{                                                                                     \
		*(volatile uint##bits##_t *)((volatile char *)base + off) = val;              \
	}                                                                                     \
	static inline uint##bits##_t udrv_read##bits(const volatile void *base, size_t off)   \
	{                                                                                     \
		uint##bits##_t v = udrv_read##bits##_relaxed(base, off);                      \
		udrv_io_rmb();                                                                \
		return v;                                                                     \
	}                                                                                     \
	static inline void udrv_write##bits(volatile void *base, size_t off,                  \
					     uint##bits##_t val)                              \
	{                                                                                     \
		udrv_io_wmb();                                                                \
		udrv_write##bits##_relaxed(base, off, val);                                   \
	}

UDRV_DEFINE_MMIO(8)
UDRV_DEFINE_MMIO(16)
UDRV_DEFINE_MMIO(32)
UDRV_DEFINE_MMIO(64)

#undef UDRV_DEFINE_MMIO

#endif /* UDRV_MMIO_H */
