/* SPDX-License-Identifier: MIT */
/* One DMA transfer of QEMU's edu device, for the VM tests (registers: tools/edu/edu_regs.h). */
#ifndef UDRV_TEST_EDU_DMA_H
#define UDRV_TEST_EDU_DMA_H

#include <stdint.h>

#include <udrv/udrv.h>

#include "edu_regs.h"

/*
 * Move @count bytes from @src to @dst (@cmd: 0 RAM to edu's buffer,
 * EDU_DMA_TO_RAM the other way) and wait up to 5 s for edu to finish
 * (udrv_poll32(), sleeping 1 ms between reads).  0, or udrv_poll32()'s
 * negative errno with the message in udrv_last_error().  No cmocka: forked
 * children and plain programs call it too.
 */
int edu_dma_run(struct udrv_device *dev, void *bar0, uint64_t src, uint64_t dst, uint64_t count,
		uint32_t cmd);

#endif
