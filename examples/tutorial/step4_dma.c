// SPDX-License-Identifier: MIT
/*
 * udrv tutorial, step 4: DMA.
 *
 * Step 3's interrupt handling, then: tell libudrv how many address bits
 * the device drives, let it master the bus, allocate a DMA buffer, and have
 * the device copy 4095 bytes from the buffer into its own memory and back
 * into another part of the buffer, each transfer ending with an interrupt.
 * docs/tutorial.md walks through it.
 *
 *   tutorial_step4 PCI-ADDRESS
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <udrv/udrv.h>

/* snippet: regs */
#define EDU_VENDOR         0x1234
#define EDU_DEVICE         0x11e8
#define EDU_REG_IDENT      0x00 /* 0xMMmm00ed: version MM.mm, magic 0xed */
/* snippet end */
/* snippet: regs-step2 */
#define EDU_REG_LIVENESS   0x04 /* reads back the inverse of the last value written */
#define EDU_REG_FACTORIAL  0x08 /* write N: the device computes N! (mod 2^32) here */
#define EDU_REG_STATUS     0x20
#define EDU_STATUS_BUSY    0x01 /* in EDU_REG_STATUS: computing */
/* snippet end */
/* snippet: regs-step3 */
#define EDU_STATUS_IRQ     0x80 /* in EDU_REG_STATUS: interrupt when N! is done */
#define EDU_REG_IRQ_STATUS 0x24 /* why the device interrupts: one bit per cause */
#define EDU_REG_IRQ_ACK    0x64 /* write bits to clear them from EDU_REG_IRQ_STATUS */
#define EDU_IRQ_FACT       0x001 /* interrupt status bit: N! is done */
/* snippet end */
/* snippet: regs-step4 */
#define EDU_REG_DMA_SRC    0x80 /* the DMA registers take 64-bit accesses */
#define EDU_REG_DMA_DST    0x88
#define EDU_REG_DMA_COUNT  0x90
#define EDU_REG_DMA_CMD    0x98
#define EDU_DMA_RUN        0x1 /* in EDU_REG_DMA_CMD: start; cleared when done */
#define EDU_DMA_TO_RAM     0x2 /* from the device's buffer to RAM, else the other way */
#define EDU_DMA_IRQ        0x4 /* interrupt when done */
#define EDU_IRQ_DMA        0x100 /* interrupt status bit: DMA done */
#define EDU_BUF_ADDR       0x40000 /* the device's own 4 KiB buffer, as DMA sees it */
#define EDU_DMA_MAX        4095 /* QEMU 7.2 stops the VM on a transfer reaching its last byte */
#define EDU_DMA_BITS       28 /* edu drives 28 address bits */
/* snippet end */

/* snippet: fail */
/* Every libudrv call that fails returns a negative errno and says why. */
static int fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, udrv_last_error());
	return 1;
}
/* snippet end */

/* snippet: wait-irq */
/* Sleep until the device interrupts; check it is for @cause, acknowledge, re-arm. */
static int wait_irq(struct udrv_device *dev, void *bar0, uint32_t cause)
{
	uint64_t events;
	uint32_t status;

	if (udrv_irq_wait(dev, 0, 5000, &events)) /* vector 0, at most 5 s */
		return fail("waiting for the interrupt");
	status = udrv_read32(bar0, EDU_REG_IRQ_STATUS);
	udrv_write32(bar0, EDU_REG_IRQ_ACK, status); /* the device stops interrupting */
	if (udrv_irq_rearm(dev, 0))                  /* let the next one through */
		return fail("re-arming the interrupt");
	if (!(status & cause)) {
		fprintf(stderr, "interrupt status 0x%x, expected 0x%x\n", status, cause);
		return 1;
	}
	return 0;
}
/* snippet end */

/* snippet: dma */
/* One transfer of @len bytes from @src to @dst; @dir: EDU_DMA_TO_RAM or 0. */
static int dma(struct udrv_device *dev, void *bar0, uint64_t src, uint64_t dst, uint64_t len,
	       uint64_t dir)
{
	udrv_write64(bar0, EDU_REG_DMA_SRC, src);
	udrv_write64(bar0, EDU_REG_DMA_DST, dst);
	udrv_write64(bar0, EDU_REG_DMA_COUNT, len);
	udrv_write64(bar0, EDU_REG_DMA_CMD, EDU_DMA_RUN | EDU_DMA_IRQ | dir);
	return wait_irq(dev, bar0, EDU_IRQ_DMA);
}
/* snippet end */

int main(int argc, char **argv)
{
	struct udrv_device *dev;
	struct udrv_dma *buf = NULL;
	unsigned char *sent, *back;
	uint16_t vendor, device;
	void *bar0;
	size_t size, i;
	int kind, ret = 1;

	/* snippet: usage */
	if (argc != 2) {
		fprintf(stderr, "usage: %s PCI-ADDRESS (lspci -D -d 1234:11e8 shows it)\n", argv[0]);
		return 2;
	}
	/* snippet end */

	/* snippet: open */
	if (udrv_open(argv[1], NULL, &dev))
		return fail("opening the device");
	printf("%s: opened through %s\n", udrv_device_name(dev),
	       udrv_backend_name(udrv_backend(dev)));
	/* snippet end */

	/* snippet: ids */
	if (udrv_config_read16(dev, 0x00, &vendor) || udrv_config_read16(dev, 0x02, &device)) {
		fail("reading config space");
		goto out;
	}
	if (vendor != EDU_VENDOR || device != EDU_DEVICE) {
		fprintf(stderr, "%04x:%04x is not edu (1234:11e8)\n", vendor, device);
		goto out;
	}
	/* snippet end */

	/* snippet: map */
	if (udrv_bar_map(dev, 0, &bar0, &size)) {
		fail("mapping BAR0");
		goto out;
	}
	printf("BAR0: %zu KiB mapped\n", size >> 10);
	/* snippet end */

	/* snippet: irq-enable */
	kind = udrv_irq_enable(dev, UDRV_IRQ_BEST, 1); /* one vector */
	if (kind < 0) {
		fail("enabling interrupts");
		goto out;
	}
	printf("interrupts: %s\n", udrv_irq_type_name(kind));
	/* snippet end */

	/* An MSI is a memory write: the device sends it only with bus mastering on. */
	if (kind != UDRV_IRQ_INTX && udrv_set_bus_master(dev, 1)) {
		fail("enabling bus mastering");
		goto out;
	}

	/* snippet: dma-setup */
	if (udrv_dma_set_mask(dev, EDU_DMA_BITS) || udrv_set_bus_master(dev, 1) ||
	    udrv_dma_alloc(dev, 8192, &buf)) {
		fail("setting up DMA");
		goto out;
	}
	printf("DMA buffer: %zu bytes at %p, device address 0x%" PRIx64 "\n", buf->size,
	       buf->vaddr, buf->iova);
	/* snippet end */

	/* snippet: dma-round-trip */
	sent = buf->vaddr;  /* the first page goes to the device */
	back = sent + 4096; /* and comes back into the second */
	for (i = 0; i < EDU_DMA_MAX; i++)
		sent[i] = (unsigned char)(i * 7 + 3);
	if (udrv_dma_sync_for_device(dev, buf)) { /* the CPU's writes, visible to the device */
		fail("syncing the buffer for the device");
		goto out;
	}
	if (dma(dev, bar0, buf->iova, EDU_BUF_ADDR, EDU_DMA_MAX, 0) ||
	    dma(dev, bar0, EDU_BUF_ADDR, buf->iova + 4096, EDU_DMA_MAX, EDU_DMA_TO_RAM))
		goto out;
	if (udrv_dma_sync_for_cpu(dev, buf)) { /* the device's writes, visible to the CPU */
		fail("syncing the buffer for the CPU");
		goto out;
	}
	ret = memcmp(sent, back, EDU_DMA_MAX) ? 1 : 0;
	printf("%d bytes RAM -> device -> RAM by DMA: %s\n", EDU_DMA_MAX,
	       ret ? "DIFFERENT" : "identical");
	/* snippet end */

	/* snippet: dma-close */
out:
	udrv_set_bus_master(dev, 0); /* no more DMA from the device... */
	udrv_dma_free(dev, buf);     /* ...before its memory goes (NULL is fine) */
	udrv_close(dev);
	return ret;
	/* snippet end */
}
