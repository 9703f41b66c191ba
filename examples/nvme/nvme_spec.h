/* SPDX-License-Identifier: MIT */
/*
 * NVMe facts the driver needs, named as the specification names them.
 * Section numbers are those of the NVM Express Base Specification 2.0
 * ("Base") and the NVM Command Set Specification 1.0 ("NVM").
 */
#ifndef NVME_SPEC_H
#define NVME_SPEC_H

#include <stdint.h>

/* Controller registers in BAR0 (Base 3.1.3, figure 33). */
#define NVME_REG_CAP    0x00 /* 64-bit Controller Capabilities */
#define NVME_REG_VS     0x08 /* Version: major [31:16], minor [15:8] */
#define NVME_REG_INTMS  0x0c /* Interrupt Mask Set (INTx only) */
#define NVME_REG_INTMC  0x10 /* Interrupt Mask Clear (INTx only) */
#define NVME_REG_CC     0x14 /* Controller Configuration */
#define NVME_REG_CSTS   0x1c /* Controller Status */
#define NVME_REG_AQA    0x24 /* Admin Queue Attributes: ACQS [27:16], ASQS [11:0], 0's based */
#define NVME_REG_ASQ    0x28 /* 64-bit Admin Submission Queue base address */
#define NVME_REG_ACQ    0x30 /* 64-bit Admin Completion Queue base address */
#define NVME_REG_DBS    0x1000 /* first doorbell (Base 3.1.3.24, 3.1.3.25) */

/* CAP fields (Base 3.1.3.1). */
#define NVME_CAP_MQES(cap)   ((unsigned int)((cap) & 0xffff) + 1) /* max queue entries, 0's based */
#define NVME_CAP_TO_MS(cap)  ((unsigned int)(((cap) >> 24) & 0xff) * 500) /* ready timeout, 500 ms units */
#define NVME_CAP_DSTRD(cap)  ((unsigned int)(((cap) >> 32) & 0xf)) /* doorbell stride: 4 << DSTRD bytes */
#define NVME_CAP_CSS_NVM(cap) (((cap) >> 37) & 1) /* the NVM command set is supported */
#define NVME_CAP_MPSMIN(cap) ((unsigned int)(((cap) >> 48) & 0xf)) /* min page size 2^(12+MPSMIN) */

/* CC fields (Base 3.1.3.5). */
#define NVME_CC_EN           (1u << 0)
#define NVME_CC_CSS_NVM      (0u << 4)
#define NVME_CC_MPS(shift)   ((uint32_t)((shift) - 12) << 7) /* memory page size 2^(12+MPS) */
#define NVME_CC_AMS_RR       (0u << 11)
#define NVME_CC_SHN_NORMAL   (1u << 14)
#define NVME_CC_SHN_MASK     (3u << 14)
#define NVME_CC_IOSQES(log2) ((uint32_t)(log2) << 16) /* I/O SQ entry size 2^n: 6 (64 bytes) */
#define NVME_CC_IOCQES(log2) ((uint32_t)(log2) << 20) /* I/O CQ entry size 2^n: 4 (16 bytes) */

/* CSTS fields (Base 3.1.3.6). */
#define NVME_CSTS_RDY        (1u << 0)
#define NVME_CSTS_CFS        (1u << 1) /* controller fatal status */
#define NVME_CSTS_SHST_MASK  (3u << 2)
#define NVME_CSTS_SHST_DONE  (2u << 2) /* shutdown processing complete */

/* Admin command opcodes (Base 5, figure 138). */
#define NVME_ADMIN_DELETE_SQ 0x00
#define NVME_ADMIN_CREATE_SQ 0x01
#define NVME_ADMIN_DELETE_CQ 0x04
#define NVME_ADMIN_CREATE_CQ 0x05
#define NVME_ADMIN_IDENTIFY  0x06
#define NVME_ADMIN_ABORT     0x08
#define NVME_ADMIN_SET_FEATURES 0x09

/* Identify CNS values (Base 5.17.1, figure 273). */
#define NVME_CNS_NS          0x00 /* Identify Namespace (NVM 4.1.5.1) */
#define NVME_CNS_CTRL        0x01 /* Identify Controller (Base 5.17.2.1) */
#define NVME_CNS_NS_LIST     0x02 /* active namespace IDs */

/* Set Features feature identifiers (Base 5.27.1). */
#define NVME_FEAT_NUM_QUEUES 0x07 /* Number of Queues (Base 5.27.1.5) */

/* NVM command set I/O opcodes (NVM 3, figure 17). */
#define NVME_CMD_FLUSH       0x00
#define NVME_CMD_WRITE       0x01
#define NVME_CMD_READ        0x02

/* Create I/O Completion/Submission Queue flags in CDW11 (Base 5.4, 5.5). */
#define NVME_QUEUE_PHYS_CONTIG (1u << 0)
#define NVME_CQ_IRQ_ENABLED    (1u << 1)

/*
 * Submission Queue Entry, 64 bytes (Base 4.2, figure 87).  Data pointer:
 * PRP Entry 1 and 2 (Base 4.1.1): PRP1 is the first page (may start at an
 * offset), PRP2 the second page, or the address of a PRP list when the
 * transfer spans more than two pages.
 */
struct nvme_sqe {
	uint8_t opc;
	uint8_t flags;     /* FUSE [1:0], PSDT [7:6] = 0: PRPs */
	uint16_t cid;      /* command identifier, returned in the CQE */
	uint32_t nsid;
	uint32_t cdw2, cdw3;
	uint64_t mptr;
	uint64_t prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

/* Completion Queue Entry, 16 bytes (Base 4.6, figure 89). */
struct nvme_cqe {
	uint32_t dw0;      /* command specific */
	uint32_t dw1;
	uint16_t sq_head;  /* how far the controller consumed the SQ */
	uint16_t sq_id;
	uint16_t cid;
	uint16_t status;   /* P [0] phase tag, SC [8:1], SCT [11:9], CRD, M, DNR [15] */
};

_Static_assert(sizeof(struct nvme_sqe) == 64, "SQE is 64 bytes");
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQE is 16 bytes");

#define NVME_CQE_PHASE(st)  ((st) & 1)
#define NVME_CQE_SC(st)     (((st) >> 1) & 0xff)  /* status code */
#define NVME_CQE_SCT(st)    (((st) >> 9) & 0x7)   /* status code type */
#define NVME_CQE_DNR(st)    (((st) >> 15) & 1)    /* do not retry */
#define NVME_STATUS(st)     (((st) >> 1) & 0x7ff) /* SCT << 8 | SC, 0 = success */

/* Identify Controller fields the driver reads (Base 5.17.2.1, figure 275). */
#define NVME_ID_CTRL_VID    0   /* PCI vendor ID, 2 bytes */
#define NVME_ID_CTRL_SN     4   /* serial number, 20 ASCII bytes */
#define NVME_ID_CTRL_MN     24  /* model number, 40 ASCII bytes */
#define NVME_ID_CTRL_FR     64  /* firmware revision, 8 ASCII bytes */
#define NVME_ID_CTRL_MDTS   77  /* max data transfer: 2^MDTS min pages, 0 = no limit */
#define NVME_ID_CTRL_CNTLID 78  /* controller ID, 2 bytes */
#define NVME_ID_CTRL_SQES   512 /* required/max SQ entry size, log2 */
#define NVME_ID_CTRL_CQES   513
#define NVME_ID_CTRL_NN     516 /* number of namespaces, 4 bytes */

/* Identify Namespace fields (NVM 4.1.5.1, figure 97). */
#define NVME_ID_NS_NSZE     0   /* namespace size in blocks, 8 bytes */
#define NVME_ID_NS_NCAP     8
#define NVME_ID_NS_FLBAS    26  /* formatted LBA size: index [3:0] into LBAF */
#define NVME_ID_NS_LBAF     128 /* LBA formats, 4 bytes each: LBADS [23:16] = log2(block size) */

#endif /* NVME_SPEC_H */
