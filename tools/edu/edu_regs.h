/* SPDX-License-Identifier: MIT */
/*
 * Registers of QEMU's edu device (hw/misc/edu.c, docs/specs/edu.rst):
 * PCI 1234:11e8, BAR0 1 MiB.  Registers below 0x80 take 4-byte accesses only.
 */
#ifndef EDU_REGS_H
#define EDU_REGS_H

#define EDU_VENDOR          0x1234
#define EDU_DEVICE          0x11e8

#define EDU_REG_IDENT       0x00 /* 0xRRrr00ed: major RR, minor rr */
#define EDU_REG_LIVENESS    0x04 /* reads back the bitwise inverse of what was written */
#define EDU_REG_FACTORIAL   0x08
#define EDU_REG_STATUS      0x20
#define   EDU_STATUS_BUSY     0x01 /* factorial computing */
#define   EDU_STATUS_IRQ_FACT 0x80 /* raise an interrupt when the factorial is done */
#define EDU_REG_IRQ_STATUS  0x24
#define EDU_REG_IRQ_RAISE   0x60
#define EDU_REG_IRQ_ACK     0x64

#define EDU_REG_DMA_SRC     0x80 /* 64-bit registers from here on */
#define EDU_REG_DMA_DST     0x88
#define EDU_REG_DMA_COUNT   0x90
#define EDU_REG_DMA_CMD     0x98
#define   EDU_DMA_RUN         0x1
#define   EDU_DMA_TO_RAM      0x2 /* else RAM to device */
#define   EDU_DMA_IRQ         0x4 /* raise EDU_IRQ_DMA when done */
#define EDU_IRQ_FACT        0x001 /* irq status bit: factorial done */
#define EDU_IRQ_DMA         0x100 /* irq status bit: DMA done */

/* The device's DMA buffer.  A transfer must end inside it: QEMU 7.2 aborts
 * the whole VM otherwise (its range check excludes the last byte, so a
 * transfer of 4096 bytes from the start is refused too). */
#define EDU_BUF_ADDR        0x40000
#define EDU_BUF_SIZE        0x1000
#define EDU_DMA_MAX         (EDU_BUF_SIZE - 1)
#define EDU_DMA_BITS        28 /* the dma_mask property's default */

#define EDU_IDENT_MAGIC     0xed

#endif /* EDU_REGS_H */
