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

#define EDU_IDENT_MAGIC     0xed

#endif /* EDU_REGS_H */
