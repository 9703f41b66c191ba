/* SPDX-License-Identifier: MIT */
/*
 * What edu.c shares with the edu driver's other commands (explain.c): the
 * driver's state, its DMA set-up and the edu DMA engine.
 */
#ifndef EDU_H
#define EDU_H

#include <stddef.h>
#include <stdint.h>

#include <udrv/udrv.h>

struct edu {
	struct udrv_device *dev;
	void *bar0;
	int use_irq;
};

/* Print "edu: WHAT: <udrv_last_error()>" to stderr; returns 1 (exit status). */
int edu_fail(const char *what);

/*
 * Set edu's 28-bit DMA mask, enable bus mastering, allocate @size bytes.
 * Returns 0 or a negative errno (bus mastering is off again then).
 */
int edu_dma_setup(struct edu *e, size_t size, struct udrv_dma **bufp);

/* Disable bus mastering, then free @buf.  Returns 0, or 1 after printing why. */
int edu_dma_teardown(struct edu *e, struct udrv_dma *buf);

/*
 * Run one edu DMA transfer of @len bytes from @src to @dst and wait for it
 * (by interrupt if e->use_irq, else by polling).  @dir is 0 for RAM to the
 * device's buffer, EDU_DMA_TO_RAM for the other way.  Returns 0 or -1 after
 * printing why.
 */
int edu_dma_run(struct edu *e, uint64_t src, uint64_t dst, uint64_t len, uint32_t dir);

#endif /* EDU_H */
