// SPDX-License-Identifier: MIT
/*
 * Pairs of functions for mmio_codegen.sh: each udrv_* accessor next to the
 * raw volatile access it must compile to, instruction for instruction.
 */
#include <udrv/mmio.h>

#define PAIR(bits)                                                                   \
	uint##bits##_t lib_read##bits(volatile void *b);                             \
	uint##bits##_t raw_read##bits(volatile void *b);                             \
	void lib_write##bits(volatile void *b, uint##bits##_t v);                    \
	void raw_write##bits(volatile void *b, uint##bits##_t v);                    \
	uint##bits##_t lib_read##bits(volatile void *b)                              \
	{                                                                            \
		return udrv_read##bits(b, 0x40);                                     \
	}                                                                            \
	uint##bits##_t raw_read##bits(volatile void *b)                              \
	{                                                                            \
		return *(volatile uint##bits##_t *)((volatile char *)b + 0x40);      \
	}                                                                            \
	void lib_write##bits(volatile void *b, uint##bits##_t v)                     \
	{                                                                            \
		udrv_write##bits(b, 0x40, v);                                        \
	}                                                                            \
	void raw_write##bits(volatile void *b, uint##bits##_t v)                     \
	{                                                                            \
		*(volatile uint##bits##_t *)((volatile char *)b + 0x40) = v;         \
	}

PAIR(8)
PAIR(16)
PAIR(32)
PAIR(64)
