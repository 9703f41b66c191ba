/* SPDX-License-Identifier: MIT */
/*
 * A small NVMe driver on libudrv: the example of a real device after edu
 * (docs/tutorial-nvme.md walks through it).
 *
 * One controller (struct nvme_ctrl) owns the device, its admin queue and a
 * few DMA chunks the queues and data buffers are carved from.  Each I/O
 * thread creates its own queue pair (struct nvme_queue) and is the only
 * one to use it, so the I/O path takes no lock another thread contends.
 * Completions arrive by MSI-X, one vector per queue, where the access path
 * has it (VFIO); by the one INTx vector for a single queue elsewhere (UIO,
 * udrv_stub); or by polling the completion queue, which every path can do
 * and which is the fastest under a busy load.
 *
 * Errors are negative errno values; nvme_last_error() says what failed,
 * naming the device, as udrv_last_error() does for libudrv.
 */
#ifndef NVME_H
#define NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <udrv/udrv.h>

struct nvme_ctrl;
struct nvme_queue;

/* How completions reach a queue. */
enum nvme_irq_mode {
	NVME_IRQ_POLL = 0,  /* spin on the completion queue: no interrupt */
	NVME_IRQ_MSIX,      /* one MSI-X vector per queue (VFIO) */
	NVME_IRQ_INTX,      /* the one INTx vector, for one I/O queue (UIO, stub) */
};

struct nvme_open_opts {
	enum udrv_backend backend; /* 0: from the driver the device is bound to */
	unsigned int queues;       /* I/O queue pairs wanted (default 1) */
	bool interrupts;           /* use interrupts where the path has them */
	unsigned int io_timeout_ms; /* per command before abort, then reset (default 5000) */
};

/* What Identify Controller and the registers said. */
struct nvme_info {
	char model[41], serial[21], firmware[9]; /* trailing spaces removed */
	uint16_t vid;
	uint16_t cntlid;
	uint32_t version;       /* VS register: major << 16 | minor << 8 */
	uint32_t namespaces;    /* NN */
	uint32_t max_transfer;  /* bytes per command: min(MDTS, NVME_MAX_TRANSFER) */
	unsigned int max_queue_entries; /* CAP.MQES + 1 */
	unsigned int timeout_ms;        /* CAP.TO */
	unsigned int queues;    /* I/O queue pairs the controller granted */
	enum nvme_irq_mode irq; /* how completions arrive */
	unsigned int vectors;   /* interrupt vectors enabled (0 when polling) */
};

struct nvme_ns {
	uint32_t nsid;
	uint64_t blocks;        /* NSZE */
	uint32_t block_size;    /* bytes, from the formatted LBA format */
};

/* The largest command this driver issues: a PRP list of 32 entries. */
#define NVME_MAX_TRANSFER (128u * 1024)

/* A command's result: 0, or (NVMe status) SCT << 8 | SC, or a negative errno. */
typedef void (*nvme_done_fn)(void *arg, int status, uint32_t dw0);

const char *nvme_last_error(void);
/* "Invalid Field in Command", "LBA Out of Range", ... for SCT << 8 | SC. */
const char *nvme_status_str(int status);
const char *nvme_irq_mode_name(enum nvme_irq_mode mode);

/* Open, reset and enable the controller; Identify it; set up interrupts. */
int nvme_open(const char *addr, const struct nvme_open_opts *opts, struct nvme_ctrl **cp);
/*
 * Delete the I/O queues, shut the controller down (CC.SHN), free all.
 * Returns 0, or -ETIMEDOUT if the shutdown did not complete in CAP.TO.
 */
int nvme_close(struct nvme_ctrl *c);
const struct nvme_info *nvme_info(const struct nvme_ctrl *c);
struct udrv_device *nvme_udrv(const struct nvme_ctrl *c);
/* The 4 KiB Identify Controller page (for `identify --raw`). */
const uint8_t *nvme_identify_page(const struct nvme_ctrl *c);

int nvme_ns_identify(struct nvme_ctrl *c, uint32_t nsid, struct nvme_ns *ns);

/*
 * DMA memory for data, carved from the controller's chunks (2 MiB each, so
 * a huge page each on UIO).  Page-aligned, zeroed, contiguous for the
 * device; lives until nvme_close() (there is no free).
 */
void *nvme_dma_alloc(struct nvme_ctrl *c, size_t size);

/* Create the next I/O queue pair (up to info.queues), @depth entries. */
int nvme_queue_create(struct nvme_ctrl *c, unsigned int depth, struct nvme_queue **qp);
void nvme_queue_destroy(struct nvme_queue *q);
unsigned int nvme_queue_id(const struct nvme_queue *q);
/* Commands submitted and not yet completed. */
unsigned int nvme_queue_inflight(const struct nvme_queue *q);

/*
 * Queue a read, write or flush of @nlb blocks at @lba; @buf lies in one
 * buffer from nvme_dma_alloc() (or udrv_dma_alloc()).  @done runs from
 * nvme_queue_process() in the queue's thread.  -EAGAIN: the queue is full.
 * Submitted commands reach the device at the next nvme_queue_ring() (one
 * doorbell write for a batch).
 */
int nvme_queue_io(struct nvme_queue *q, uint8_t opcode, const struct nvme_ns *ns, uint64_t lba,
		  uint32_t nlb, void *buf, nvme_done_fn done, void *arg);
void nvme_queue_ring(struct nvme_queue *q);
/* Run the callbacks of the completions that arrived; returns how many. */
int nvme_queue_process(struct nvme_queue *q);
/*
 * Wait up to @timeout_ms for a completion (interrupt or polling) and
 * process them; runs the timeout recovery (abort, then controller reset)
 * for commands older than io_timeout_ms.  Returns the number processed.
 */
int nvme_queue_wait(struct nvme_queue *q, int timeout_ms);

/* One command, waited for: 0, SCT << 8 | SC (> 0) or a negative errno. */
int nvme_io_sync(struct nvme_queue *q, uint8_t opcode, const struct nvme_ns *ns, uint64_t lba,
		 uint32_t nlb, void *buf);

/*
 * Reset the controller (CC.EN 1 -> 0 -> 1) and re-create its queues; the
 * commands in flight complete with -EIO.  Any thread may call it.
 */
int nvme_reset(struct nvme_ctrl *c);

/*
 * For tests: clear CC.EN behind the driver's back, as a controller that
 * stopped answering would; the next command times out and is recovered.
 */
void nvme_inject_disable(struct nvme_ctrl *c);

#endif /* NVME_H */
