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
 */
#ifndef UDRV_MMIO_H
#define UDRV_MMIO_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
/* x86: uncached MMIO is strongly ordered; only the compiler must be held. */
#define udrv_io_rmb() __asm__ __volatile__("" ::: "memory")
#define udrv_io_wmb() __asm__ __volatile__("" ::: "memory")
#elif defined(__aarch64__)
#define udrv_io_rmb() __asm__ __volatile__("dmb oshld" ::: "memory")
#define udrv_io_wmb() __asm__ __volatile__("dmb oshst" ::: "memory")
#else
#define udrv_io_rmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define udrv_io_wmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#define UDRV_DEFINE_MMIO(bits)                                                         \
	/** udrv_read##bits##_relaxed() - MMIO load, ordered only against MMIO */      \
	static inline uint##bits##_t udrv_read##bits##_relaxed(const volatile void *base, \
								 size_t off)            \
	{                                                                              \
		return *(const volatile uint##bits##_t *)((const volatile char *)base + off); \
	}                                                                              \
	/** udrv_write##bits##_relaxed() - MMIO store, ordered only against MMIO */    \
	static inline void udrv_write##bits##_relaxed(volatile void *base, size_t off, \
						       uint##bits##_t val)              \
	{                                                                              \
		*(volatile uint##bits##_t *)((volatile char *)base + off) = val;       \
	}                                                                              \
	/** udrv_read##bits() - MMIO load with readl() ordering */                     \
	static inline uint##bits##_t udrv_read##bits(const volatile void *base, size_t off) \
	{                                                                              \
		uint##bits##_t v = udrv_read##bits##_relaxed(base, off);               \
		udrv_io_rmb();                                                         \
		return v;                                                              \
	}                                                                              \
	/** udrv_write##bits() - MMIO store with writel() ordering */                  \
	static inline void udrv_write##bits(volatile void *base, size_t off,           \
					     uint##bits##_t val)                        \
	{                                                                              \
		udrv_io_wmb();                                                         \
		udrv_write##bits##_relaxed(base, off, val);                            \
	}

UDRV_DEFINE_MMIO(8)
UDRV_DEFINE_MMIO(16)
UDRV_DEFINE_MMIO(32)
UDRV_DEFINE_MMIO(64)

#undef UDRV_DEFINE_MMIO

#endif /* UDRV_MMIO_H */
