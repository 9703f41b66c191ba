// SPDX-License-Identifier: MIT
#include "edu_dma.h"

int edu_dma_run(struct udrv_device *dev, void *bar0, uint64_t src, uint64_t dst, uint64_t count,
		uint32_t cmd)
{
	udrv_write64(bar0, EDU_REG_DMA_SRC, src);
	udrv_write64(bar0, EDU_REG_DMA_DST, dst);
	udrv_write64(bar0, EDU_REG_DMA_COUNT, count);
	udrv_write32(bar0, EDU_REG_DMA_CMD, cmd | EDU_DMA_RUN);
	return udrv_poll32(dev, bar0, EDU_REG_DMA_CMD, EDU_DMA_RUN, 0, 1000, 5000000, NULL);
}
