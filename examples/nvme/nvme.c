// SPDX-License-Identifier: MIT
/*
 * A small NVMe driver on libudrv (see nvme.h for the API and
 * docs/tutorial-nvme.md for a walk through it).  The parts, in the order a
 * controller comes up:
 *
 *   carve      DMA memory in 2 MiB chunks: queues, PRP lists, data
 *   registers  CAP, CC, CSTS; enable and disable within CAP.TO
 *   queues     submission/completion rings, doorbells, the phase tag
 *   admin      Identify, Set Features (number of queues), create/delete queues
 *   I/O        PRP1/PRP2 and PRP lists; read, write, flush
 *   interrupts MSI-X per queue, INTx for one queue, or polling
 *   timeouts   abort the command, then reset the controller
 *   shutdown   CC.SHN, then wait for CSTS.SHST
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <udrv/udrv.h>

#include "nvme.h"
#include "nvme_spec.h"

#define NVME_PAGE          4096u  /* CC.MPS = 0: the memory page size is 4 KiB */
#define NVME_CHUNK         (2u << 20) /* one huge page on UIO */
#define NVME_ADMIN_DEPTH   32u
#define NVME_ADMIN_TIMEOUT 5000   /* ms, for admin commands */
#define NVME_PRP_LIST      (NVME_MAX_TRANSFER / NVME_PAGE * 8) /* bytes per slot */
#define NVME_MAX_QUEUES    64u

/* One command slot: its CID is its index. */
struct nvme_slot {
	nvme_done_fn done;
	void *arg;
	uint64_t t_submit;   /* ns, for the timeout */
	bool busy;
	bool failed;         /* completed by a reset: deliver -EIO */
	bool aborted;        /* an Abort was sent for it */
	uint64_t *prp_list;  /* NVME_PRP_LIST bytes, and its device address */
	uint64_t prp_iova;
};

struct nvme_queue {
	struct nvme_ctrl *c;
	unsigned int qid;    /* 0: admin */
	unsigned int depth;
	struct nvme_sqe *sq;
	volatile struct nvme_cqe *cq;
	uint64_t sq_iova, cq_iova;
	uint32_t sq_tail, cq_head;
	uint32_t sq_rung;    /* the tail last written to the doorbell */
	uint8_t phase;       /* the phase tag a new CQE carries */
	unsigned int inflight;
	int vec;             /* interrupt vector, or -1: polled */
	size_t sq_db, cq_db; /* doorbell offsets in BAR0 */
	struct nvme_slot *slots;
	unsigned int next_cid;
	uint64_t t_check;    /* ns: when the timeouts were last checked */
	pthread_mutex_t lock; /* against a reset from another thread (recursive) */
};

struct nvme_chunk {
	struct udrv_dma *dma;
	size_t used;
	struct nvme_chunk *next;
};

struct nvme_ctrl {
	struct udrv_device *dev;
	void *bar0;
	size_t bar0_size;
	uint64_t cap;
	unsigned int db_stride;   /* bytes between doorbells */
	unsigned int io_timeout_ms;
	struct nvme_info info;
	uint8_t *id_ctrl;         /* Identify Controller page */
	struct nvme_queue admin;
	pthread_mutex_t admin_lock; /* the admin queue is shared */
	pthread_mutex_t carve_lock;
	struct nvme_chunk *chunks;
	struct nvme_queue *io[NVME_MAX_QUEUES + 1]; /* by qid */
	bool qid_used[NVME_MAX_QUEUES + 1];
	unsigned int nr_io;       /* I/O queues that exist */
	bool irq_on;
	bool enabled;
};

/* ---------------------------------------------------------------- errors */

static __thread char last_error[512];

const char *nvme_last_error(void)
{
	return last_error;
}

__attribute__((format(printf, 3, 4)))
static int fail(const struct nvme_ctrl *c, int err, const char *fmt, ...)
{
	int n = snprintf(last_error, sizeof(last_error), "nvme %s: ",
			 c && c->dev ? udrv_device_name(c->dev) : "?");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error + n, sizeof(last_error) - n, fmt, ap);
	va_end(ap);
	return err;
}

/* Status codes (Base 4.6.1.2): generic (SCT 0), command specific (1), media (2). */
const char *nvme_status_str(int status)
{
	static const struct {
		int code;
		const char *msg;
	} codes[] = {
		{ 0x000, "Successful Completion" },
		{ 0x001, "Invalid Command Opcode" },
		{ 0x002, "Invalid Field in Command" },
		{ 0x003, "Command ID Conflict" },
		{ 0x004, "Data Transfer Error" },
		{ 0x005, "Commands Aborted due to Power Loss Notification" },
		{ 0x006, "Internal Error" },
		{ 0x007, "Command Abort Requested" },
		{ 0x008, "Command Aborted due to SQ Deletion" },
		{ 0x00b, "Invalid Namespace or Format" },
		{ 0x00d, "Invalid SGL Segment Descriptor" },
		{ 0x013, "PRP Offset Invalid" },
		{ 0x080, "LBA Out of Range" },
		{ 0x081, "Capacity Exceeded" },
		{ 0x082, "Namespace Not Ready" },
		{ 0x101, "Invalid Queue Identifier" },
		{ 0x102, "Invalid Queue Size" },
		{ 0x104, "Invalid Interrupt Vector" },
		{ 0x106, "Invalid Format" },
		{ 0x10c, "Controller Busy" },
		{ 0x180, "Conflicting Attributes" },
		{ 0x280, "Write Fault" },
		{ 0x281, "Unrecovered Read Error" },
		{ 0x286, "Access Denied" },
	};
	size_t i;

	if (status < 0)
		return strerror(-status);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == status)
			return codes[i].msg;
	return "unknown status";
}

const char *nvme_irq_mode_name(enum nvme_irq_mode mode)
{
	return mode == NVME_IRQ_MSIX ? "msix" : mode == NVME_IRQ_INTX ? "intx" : "poll";
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ----------------------------------------------------------------- carve */

/*
 * DMA memory comes in 2 MiB chunks carved from the front: on UIO each
 * buffer is a huge page of its own, so one buffer per queue or per PRP
 * list would use up the reserved pages at once.  Nothing is freed before
 * nvme_close().  Returns the memory and its device address.
 */
static void *carve(struct nvme_ctrl *c, size_t size, uint64_t *iova)
{
	struct nvme_chunk *ch;
	void *p = NULL;

	size = (size + NVME_PAGE - 1) & ~(size_t)(NVME_PAGE - 1);
	pthread_mutex_lock(&c->carve_lock);
	for (ch = c->chunks; ch; ch = ch->next)
		if (ch->dma->size - ch->used >= size)
			break;
	if (!ch) {
		size_t csize = size > NVME_CHUNK ? size : NVME_CHUNK;
		int ret;

		ch = calloc(1, sizeof(*ch));
		if (!ch) {
			fail(c, -ENOMEM, "out of memory");
			goto out;
		}
		ret = udrv_dma_alloc(c->dev, csize, &ch->dma);
		if (ret) {
			fail(c, ret, "DMA buffer of %zu KiB: %s", csize >> 10, udrv_last_error());
			free(ch);
			goto out;
		}
		ch->next = c->chunks;
		c->chunks = ch;
	}
	p = (char *)ch->dma->vaddr + ch->used;
	*iova = ch->dma->iova + ch->used;
	ch->used += size;
out:
	pthread_mutex_unlock(&c->carve_lock);
	return p;
}

void *nvme_dma_alloc(struct nvme_ctrl *c, size_t size)
{
	uint64_t iova;

	return carve(c, size, &iova);
}

/* ------------------------------------------------------------- registers */

/* Wait until CSTS & @mask == @want, within CAP.TO (Base 3.1.3.1). */
static int wait_csts(struct nvme_ctrl *c, uint32_t mask, uint32_t want, const char *what)
{
	uint64_t deadline = now_ns() + (uint64_t)c->info.timeout_ms * 1000000u;
	uint32_t csts;

	for (;;) {
		csts = udrv_read32(c->bar0, NVME_REG_CSTS);
		if (csts == 0xffffffff)
			return fail(c, -ENODEV, "CSTS reads all ones: the device is gone");
		if ((csts & mask) == want)
			return 0;
		if (csts & NVME_CSTS_CFS && want)
			return fail(c, -EIO, "controller fatal status while %s (CSTS 0x%x)", what,
				    csts);
		if (now_ns() > deadline)
			return fail(c, -ETIMEDOUT, "%s: CSTS 0x%x after CAP.TO = %u ms", what, csts,
				    c->info.timeout_ms);
		usleep(1000);
	}
}

/* snippet: disable */
/* Clear CC.EN and wait for CSTS.RDY to follow (Base 3.5.2). */
static int ctrl_disable(struct nvme_ctrl *c)
{
	uint32_t cc = udrv_read32(c->bar0, NVME_REG_CC);

	if (cc & NVME_CC_EN)
		udrv_write32(c->bar0, NVME_REG_CC, cc & ~NVME_CC_EN);
	c->enabled = false;
	return wait_csts(c, NVME_CSTS_RDY, 0, "disabling");
}
/* snippet end */

static void queue_reset_rings(struct nvme_queue *q)
{
	memset(q->sq, 0, (size_t)q->depth * sizeof(struct nvme_sqe));
	memset((void *)q->cq, 0, (size_t)q->depth * sizeof(struct nvme_cqe));
	q->sq_tail = q->sq_rung = q->cq_head = 0;
	q->phase = 1;
}

/* snippet: enable */
/*
 * Point the controller at the admin queue and enable it (Base 3.5.1):
 * AQA holds both sizes, ASQ and ACQ the rings' device addresses; CC picks
 * the NVM command set, 4 KiB pages and the I/O entry sizes (64 and 16
 * bytes, as 2^6 and 2^4).  The controller is ready when CSTS.RDY is set.
 */
static int ctrl_enable(struct nvme_ctrl *c)
{
	struct nvme_queue *aq = &c->admin;
	int ret;

	queue_reset_rings(aq);
	udrv_write32(c->bar0, NVME_REG_AQA, (aq->depth - 1) << 16 | (aq->depth - 1));
	udrv_write64(c->bar0, NVME_REG_ASQ, aq->sq_iova);
	udrv_write64(c->bar0, NVME_REG_ACQ, aq->cq_iova);
	udrv_write32(c->bar0, NVME_REG_CC, NVME_CC_EN | NVME_CC_CSS_NVM | NVME_CC_MPS(12) |
			 NVME_CC_AMS_RR | NVME_CC_IOSQES(6) | NVME_CC_IOCQES(4));
	ret = wait_csts(c, NVME_CSTS_RDY, NVME_CSTS_RDY, "enabling");
	c->enabled = !ret;
	return ret;
}
/* snippet end */

/* --------------------------------------------------------------- queues */

/* snippet: doorbells */
/*
 * Doorbells follow the registers at 0x1000, CAP.DSTRD apart: queue y's
 * submission queue tail, then its completion queue head (Base 3.1.3.24).
 */
static size_t sq_doorbell(const struct nvme_ctrl *c, unsigned int qid)
{
	return NVME_REG_DBS + (2 * qid) * c->db_stride;
}

static size_t cq_doorbell(const struct nvme_ctrl *c, unsigned int qid)
{
	return NVME_REG_DBS + (2 * qid + 1) * c->db_stride;
}
/* snippet end */

/* Rings, slots and PRP lists for queue @qid, carved from the chunks. */
static int queue_init(struct nvme_ctrl *c, struct nvme_queue *q, unsigned int qid,
		      unsigned int depth)
{
	pthread_mutexattr_t attr;
	uint64_t lists_iova;
	uint8_t *lists;
	unsigned int i;

	memset(q, 0, sizeof(*q));
	q->c = c;
	q->qid = qid;
	q->depth = depth;
	q->vec = -1;
	q->sq = carve(c, (size_t)depth * sizeof(struct nvme_sqe), &q->sq_iova);
	q->cq = carve(c, (size_t)depth * sizeof(struct nvme_cqe), &q->cq_iova);
	lists = carve(c, (size_t)depth * NVME_PRP_LIST, &lists_iova);
	q->slots = calloc(depth, sizeof(*q->slots));
	if (!q->sq || !q->cq || !lists || !q->slots) {
		free(q->slots);
		return q->slots ? -ENOMEM : fail(c, -ENOMEM, "out of memory for queue %u", qid);
	}
	for (i = 0; i < depth; i++) {
		q->slots[i].prp_list = (uint64_t *)(lists + (size_t)i * NVME_PRP_LIST);
		q->slots[i].prp_iova = lists_iova + (uint64_t)i * NVME_PRP_LIST;
	}
	q->sq_db = sq_doorbell(c, qid);
	q->cq_db = cq_doorbell(c, qid);
	/* Recursive: a completion callback may submit the next command. */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&q->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	queue_reset_rings(q);
	return 0;
}

/* snippet: submit */
/*
 * Put a command in the next submission queue slot.  The controller sees it
 * once the tail doorbell moves past it (nvme_queue_ring): one MMIO write
 * for a whole batch.  A queue never holds more than depth - 1 commands, so
 * the tail never catches up with the head.
 */
static int queue_submit(struct nvme_queue *q, struct nvme_sqe *cmd, nvme_done_fn done, void *arg)
{
	struct nvme_slot *s;
	unsigned int cid;

	if (q->inflight >= q->depth - 1)
		return -EAGAIN;
	for (cid = q->next_cid; q->slots[cid].busy; cid = (cid + 1) % q->depth)
		;
	q->next_cid = (cid + 1) % q->depth;
	s = &q->slots[cid];
	s->busy = true;
	s->failed = s->aborted = false;
	s->done = done;
	s->arg = arg;
	s->t_submit = now_ns();
	cmd->cid = (uint16_t)cid;
	q->sq[q->sq_tail] = *cmd;
	q->sq_tail = (q->sq_tail + 1) % q->depth;
	q->inflight++;
	return 0;
}

void nvme_queue_ring(struct nvme_queue *q)
{
	if (q->sq_tail != q->sq_rung) {
		/* udrv_write32 orders the SQE stores before the doorbell. */
		udrv_write32(q->c->bar0, q->sq_db, q->sq_tail);
		q->sq_rung = q->sq_tail;
	}
}
/* snippet end */

static void slot_complete(struct nvme_queue *q, unsigned int cid, int status, uint32_t dw0)
{
	struct nvme_slot *s = &q->slots[cid];
	nvme_done_fn done = s->done;
	void *arg = s->arg;

	s->busy = false;
	q->inflight--;
	if (done)
		done(arg, status, dw0);
}

/* snippet: complete */
/*
 * Reap the completion queue.  An entry is new while its phase tag equals
 * the queue's current phase, which flips each time the head wraps (Base
 * 4.6): no register read is needed to find out what completed.  The head
 * doorbell tells the controller the entries may be reused, and on INTx
 * lets it lower the interrupt.
 */
static int queue_reap(struct nvme_queue *q)
{
	int n = 0;

	for (;;) {
		volatile struct nvme_cqe *e = &q->cq[q->cq_head];
		uint16_t status = e->status;
		unsigned int cid;

		if (NVME_CQE_PHASE(status) != q->phase)
			break;
		udrv_io_rmb(); /* the rest of the entry after its phase tag */
		cid = e->cid;
		if (cid < q->depth && q->slots[cid].busy)
			slot_complete(q, cid, NVME_STATUS(status), e->dw0);
		else
			fprintf(stderr, "nvme %s: queue %u: completion for idle command %u\n",
				udrv_device_name(q->c->dev), q->qid, cid);
		if (++q->cq_head == q->depth) {
			q->cq_head = 0;
			q->phase ^= 1;
		}
		n++;
	}
	if (n)
		udrv_write32(q->c->bar0, q->cq_db, q->cq_head);
	return n;
}
/* snippet end */

/* Completions a reset took away: delivered as -EIO in the queue's thread. */
static int queue_deliver_failed(struct nvme_queue *q)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < q->depth; i++) {
		if (q->slots[i].busy && q->slots[i].failed) {
			slot_complete(q, i, -EIO, 0);
			n++;
		}
	}
	return n;
}

int nvme_queue_process(struct nvme_queue *q)
{
	int n;

	pthread_mutex_lock(&q->lock);
	n = queue_reap(q);
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* ----------------------------------------------------------------- admin */

struct sync_result {
	bool done;
	int status;
	uint32_t dw0;
};

static void sync_done(void *arg, int status, uint32_t dw0)
{
	struct sync_result *r = arg;

	r->done = true;
	r->status = status;
	r->dw0 = dw0;
}

/*
 * Run one admin command and poll for its completion: admin commands are
 * rare, and polling keeps them independent of the interrupt mode.
 * Returns 0, the NVMe status (> 0) or a negative errno.
 */
static int admin_cmd(struct nvme_ctrl *c, struct nvme_sqe *cmd, uint32_t *dw0, const char *what)
{
	struct nvme_queue *aq = &c->admin;
	struct sync_result r = { 0 };
	uint64_t deadline = now_ns() + (uint64_t)NVME_ADMIN_TIMEOUT * 1000000u;
	int ret;

	pthread_mutex_lock(&c->admin_lock);
	ret = queue_submit(aq, cmd, sync_done, &r);
	if (ret) {
		pthread_mutex_unlock(&c->admin_lock);
		return fail(c, ret, "%s: admin queue full", what);
	}
	nvme_queue_ring(aq);
	while (!r.done && now_ns() < deadline) {
		if (!queue_reap(aq))
			usleep(10);
	}
	if (!r.done) {
		/* Forget the command: only a reset (which rebuilds the admin queue) follows. */
		aq->slots[cmd->cid].done = NULL;
		pthread_mutex_unlock(&c->admin_lock);
		return fail(c, -ETIMEDOUT, "%s: no completion within %d ms", what,
			    NVME_ADMIN_TIMEOUT);
	}
	pthread_mutex_unlock(&c->admin_lock);
	if (dw0)
		*dw0 = r.dw0;
	if (r.status)
		return fail(c, r.status, "%s: %s (status 0x%03x)", what, nvme_status_str(r.status),
			    r.status);
	return 0;
}

/* Identify into a 4 KiB carved page (Base 5.17). */
static int identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid, void *page)
{
	struct nvme_sqe cmd = { .opc = NVME_ADMIN_IDENTIFY, .nsid = nsid, .cdw10 = cns };
	int ret = udrv_dma_addr(c->dev, page, &cmd.prp1);

	if (ret)
		return fail(c, ret, "identify: buffer is not DMA memory");
	return admin_cmd(c, &cmd, NULL, cns == NVME_CNS_CTRL ? "Identify Controller" :
					      "Identify Namespace");
}

static void copy_id_string(char *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
	while (len && (dst[len - 1] == ' ' || dst[len - 1] == '\0'))
		dst[--len] = '\0';
}

int nvme_ns_identify(struct nvme_ctrl *c, uint32_t nsid, struct nvme_ns *ns)
{
	uint8_t *page = nvme_dma_alloc(c, NVME_PAGE);
	uint32_t lbaf;
	int ret;

	/* One page per call from the chunks: callers identify a few namespaces. */
	if (!page)
		return -ENOMEM;
	ret = identify(c, NVME_CNS_NS, nsid, page);
	if (ret)
		return ret;
	memcpy(&ns->blocks, page + NVME_ID_NS_NSZE, 8);
	memcpy(&lbaf, page + NVME_ID_NS_LBAF + 4 * (page[NVME_ID_NS_FLBAS] & 0xf), 4);
	ns->nsid = nsid;
	ns->block_size = 1u << ((lbaf >> 16) & 0xff);
	if (!ns->blocks)
		return fail(c, -ENODEV, "namespace %u is not active", nsid);
	return 0;
}

/* snippet: create */
/*
 * Create I/O queue pair @q->qid: the completion queue first, the
 * submission queue bound to it (Base 5.4, 5.5).  Both rings are physically
 * contiguous in one carved buffer; the CQ interrupts on vector q->vec, or
 * not at all when polled.
 */
static int queue_create_hw(struct nvme_ctrl *c, struct nvme_queue *q)
{
	struct nvme_sqe cq = {
		.opc = NVME_ADMIN_CREATE_CQ, .prp1 = q->cq_iova,
		.cdw10 = (q->depth - 1) << 16 | q->qid,
		.cdw11 = (q->vec >= 0 ? (uint32_t)q->vec << 16 | NVME_CQ_IRQ_ENABLED : 0) |
			 NVME_QUEUE_PHYS_CONTIG,
	};
	struct nvme_sqe sq = {
		.opc = NVME_ADMIN_CREATE_SQ, .prp1 = q->sq_iova,
		.cdw10 = (q->depth - 1) << 16 | q->qid,
		.cdw11 = q->qid << 16 | NVME_QUEUE_PHYS_CONTIG,
	};
	int ret = admin_cmd(c, &cq, NULL, "Create I/O Completion Queue");

	return ret ? ret : admin_cmd(c, &sq, NULL, "Create I/O Submission Queue");
}
/* snippet end */

static int queue_delete_hw(struct nvme_ctrl *c, struct nvme_queue *q)
{
	struct nvme_sqe sq = { .opc = NVME_ADMIN_DELETE_SQ, .cdw10 = q->qid };
	struct nvme_sqe cq = { .opc = NVME_ADMIN_DELETE_CQ, .cdw10 = q->qid };
	int ret = admin_cmd(c, &sq, NULL, "Delete I/O Submission Queue");

	return ret ? ret : admin_cmd(c, &cq, NULL, "Delete I/O Completion Queue");
}

/* snippet: vectors */
/*
 * Interrupts: vector 0 for the admin queue and vector i for I/O queue i
 * when MSI-X gives one per queue (VFIO); otherwise the path's one vector
 * (INTx on UIO and udrv_stub: QEMU's nvme has no MSI) for I/O queue 1, the
 * other queues polled.  Without interrupts, or if none can be had, every
 * queue is polled and INTMS masks the device's INTx.
 */
static void setup_interrupts(struct nvme_ctrl *c, bool want)
{
	int ret = -ENOTSUP;

	if (want) {
		ret = udrv_irq_enable(c->dev, UDRV_IRQ_MSIX, 1 + c->info.queues);
		if (ret > 0) {
			c->info.irq = NVME_IRQ_MSIX;
			c->info.vectors = 1 + c->info.queues;
		} else {
			ret = udrv_irq_enable(c->dev, UDRV_IRQ_INTX, 1);
			if (ret > 0) {
				c->info.irq = NVME_IRQ_INTX;
				c->info.vectors = 1;
			}
		}
	}
	c->irq_on = ret > 0;
	if (!c->irq_on)
		c->info.irq = NVME_IRQ_POLL;
	if (c->info.irq != NVME_IRQ_MSIX)
		udrv_write32(c->bar0, NVME_REG_INTMS, c->info.irq == NVME_IRQ_INTX ? ~1u : ~0u);
}
/* snippet end */

/* Number of Queues (Base 5.27.1.5): ask for @want pairs, learn what is granted. */
static int set_queue_count(struct nvme_ctrl *c, unsigned int want)
{
	struct nvme_sqe cmd = {
		.opc = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES,
		.cdw11 = (want - 1) << 16 | (want - 1),
	};
	uint32_t dw0;
	unsigned int nsq, ncq;
	int ret = admin_cmd(c, &cmd, &dw0, "Set Features (Number of Queues)");

	if (ret)
		return ret;
	nsq = (dw0 & 0xffff) + 1;
	ncq = (dw0 >> 16) + 1;
	c->info.queues = want < nsq ? want : nsq;
	if (ncq < c->info.queues)
		c->info.queues = ncq;
	return 0;
}

/* ----------------------------------------------------------- open/close */

static int ctrl_start(struct nvme_ctrl *c, const struct nvme_open_opts *o)
{
	unsigned int want = o && o->queues ? o->queues : 1;
	uint64_t iova;
	int ret;

	if (want > NVME_MAX_QUEUES)
		want = NVME_MAX_QUEUES;
	c->cap = udrv_read64(c->bar0, NVME_REG_CAP);
	c->info.version = udrv_read32(c->bar0, NVME_REG_VS);
	c->info.max_queue_entries = NVME_CAP_MQES(c->cap);
	c->info.timeout_ms = NVME_CAP_TO_MS(c->cap);
	c->db_stride = 4u << NVME_CAP_DSTRD(c->cap);
	if (!NVME_CAP_CSS_NVM(c->cap) || NVME_CAP_MPSMIN(c->cap) != 0)
		return fail(c, -ENOTSUP, "CAP 0x%llx: no NVM command set or no 4 KiB pages",
			    (unsigned long long)c->cap);
	if (c->bar0_size < NVME_REG_DBS + 2 * (want + 1) * c->db_stride)
		return fail(c, -EINVAL, "BAR0 of %zu bytes has no room for the doorbells",
			    c->bar0_size);

	ret = ctrl_disable(c);
	if (!ret)
		ret = queue_init(c, &c->admin, 0, NVME_ADMIN_DEPTH);
	if (!ret)
		ret = ctrl_enable(c);
	if (ret)
		return ret;

	c->id_ctrl = carve(c, NVME_PAGE, &iova);
	if (!c->id_ctrl)
		return -ENOMEM;
	ret = identify(c, NVME_CNS_CTRL, 0, c->id_ctrl);
	if (ret)
		return ret;
	copy_id_string(c->info.model, c->id_ctrl + NVME_ID_CTRL_MN, 40);
	copy_id_string(c->info.serial, c->id_ctrl + NVME_ID_CTRL_SN, 20);
	copy_id_string(c->info.firmware, c->id_ctrl + NVME_ID_CTRL_FR, 8);
	memcpy(&c->info.vid, c->id_ctrl + NVME_ID_CTRL_VID, 2);
	memcpy(&c->info.cntlid, c->id_ctrl + NVME_ID_CTRL_CNTLID, 2);
	memcpy(&c->info.namespaces, c->id_ctrl + NVME_ID_CTRL_NN, 4);
	c->info.max_transfer = NVME_MAX_TRANSFER;
	if (c->id_ctrl[NVME_ID_CTRL_MDTS] &&
	    ((uint64_t)NVME_PAGE << c->id_ctrl[NVME_ID_CTRL_MDTS]) < NVME_MAX_TRANSFER)
		c->info.max_transfer = NVME_PAGE << c->id_ctrl[NVME_ID_CTRL_MDTS];

	ret = set_queue_count(c, want);
	if (ret)
		return ret;
	setup_interrupts(c, o && o->interrupts);
	return 0;
}

int nvme_open(const char *addr, const struct nvme_open_opts *o, struct nvme_ctrl **cp)
{
	struct udrv_open_opts uo = { .backend = o ? o->backend : 0 };
	struct nvme_ctrl *c = calloc(1, sizeof(*c));
	int ret;

	*cp = NULL;
	if (!c)
		return fail(NULL, -ENOMEM, "out of memory");
	pthread_mutex_init(&c->admin_lock, NULL);
	pthread_mutex_init(&c->carve_lock, NULL);
	c->io_timeout_ms = o && o->io_timeout_ms ? o->io_timeout_ms : 5000;
	ret = udrv_open(addr, &uo, &c->dev);
	if (ret) {
		snprintf(last_error, sizeof(last_error), "nvme %s: %s", addr, udrv_last_error());
		free(c);
		return ret;
	}
	ret = udrv_bar_map(c->dev, 0, &c->bar0, &c->bar0_size);
	if (ret)
		ret = fail(c, ret, "mapping BAR0: %s", udrv_last_error());
	/* 64-bit DMA: NVMe addresses are 64 bits wide.  Then let it master. */
	if (!ret && (ret = udrv_dma_set_mask(c->dev, 64)))
		ret = fail(c, ret, "DMA mask: %s", udrv_last_error());
	if (!ret && (ret = udrv_set_bus_master(c->dev, 1)))
		ret = fail(c, ret, "bus mastering: %s", udrv_last_error());
	if (!ret)
		ret = ctrl_start(c, o);
	if (ret) {
		char msg[sizeof(last_error)];

		memcpy(msg, last_error, sizeof(msg));
		nvme_close(c);
		memcpy(last_error, msg, sizeof(msg));
		return ret;
	}
	*cp = c;
	return 0;
}

/* snippet: shutdown */
/*
 * Orderly shutdown (Base 3.6.2): CC.SHN = normal, then wait for CSTS.SHST
 * to say the controller has flushed what it cached.  Power may go (or the
 * device be given to another driver) after that.
 */
static int ctrl_shutdown(struct nvme_ctrl *c)
{
	uint32_t cc = udrv_read32(c->bar0, NVME_REG_CC);

	udrv_write32(c->bar0, NVME_REG_CC, (cc & ~NVME_CC_SHN_MASK) | NVME_CC_SHN_NORMAL);
	return wait_csts(c, NVME_CSTS_SHST_MASK, NVME_CSTS_SHST_DONE, "shutting down");
}
/* snippet end */

int nvme_close(struct nvme_ctrl *c)
{
	struct nvme_chunk *ch, *next;
	unsigned int i;
	int ret = 0;

	if (!c)
		return 0;
	for (i = NVME_MAX_QUEUES; i >= 1; i--)
		nvme_queue_destroy(c->io[i]);
	if (c->enabled) {
		ret = ctrl_shutdown(c);
		if (ret)
			fprintf(stderr, "%s\n", last_error);
		ctrl_disable(c);
	}
	if (c->irq_on)
		udrv_irq_disable(c->dev);
	/* No DMA can be in flight: stop mastering before the memory goes. */
	if (c->bar0)
		udrv_set_bus_master(c->dev, 0);
	for (ch = c->chunks; ch; ch = next) {
		next = ch->next;
		udrv_dma_free(c->dev, ch->dma);
		free(ch);
	}
	free(c->admin.slots);
	udrv_close(c->dev);
	pthread_mutex_destroy(&c->admin_lock);
	pthread_mutex_destroy(&c->carve_lock);
	free(c);
	return ret;
}

const struct nvme_info *nvme_info(const struct nvme_ctrl *c)
{
	return &c->info;
}

struct udrv_device *nvme_udrv(const struct nvme_ctrl *c)
{
	return c->dev;
}

const uint8_t *nvme_identify_page(const struct nvme_ctrl *c)
{
	return c->id_ctrl;
}

/* ------------------------------------------------------------ I/O queues */

int nvme_queue_create(struct nvme_ctrl *c, unsigned int depth, struct nvme_queue **qp)
{
	struct nvme_queue *q;
	unsigned int qid;
	int ret;

	*qp = NULL;
	if (depth < 2 || depth > c->info.max_queue_entries)
		return fail(c, -EINVAL, "queue depth %u: 2..%u (CAP.MQES)", depth,
			    c->info.max_queue_entries);
	pthread_mutex_lock(&c->carve_lock);
	for (qid = 1; qid <= c->info.queues && c->qid_used[qid]; qid++)
		;
	if (qid <= c->info.queues)
		c->qid_used[qid] = true; /* reserve it */
	pthread_mutex_unlock(&c->carve_lock);
	if (qid > c->info.queues)
		return fail(c, -ENOSPC, "the controller granted %u I/O queue(s), all in use",
			    c->info.queues);
	q = calloc(1, sizeof(*q));
	ret = q ? queue_init(c, q, qid, depth) : fail(c, -ENOMEM, "out of memory");
	if (ret) {
		free(q);
		c->qid_used[qid] = false;
		return ret;
	}
	if (c->info.irq == NVME_IRQ_MSIX)
		q->vec = (int)qid;
	else if (c->info.irq == NVME_IRQ_INTX && qid == 1)
		q->vec = 0;
	ret = queue_create_hw(c, q);
	if (ret) {
		free(q->slots);
		free(q);
		c->qid_used[qid] = false;
		return ret;
	}
	pthread_mutex_lock(&c->admin_lock); /* nvme_reset() walks c->io */
	c->io[qid] = q;
	c->nr_io++;
	pthread_mutex_unlock(&c->admin_lock);
	*qp = q;
	return 0;
}

void nvme_queue_destroy(struct nvme_queue *q)
{
	struct nvme_ctrl *c;

	if (!q)
		return;
	c = q->c;
	if (c->enabled && queue_delete_hw(c, q))
		fprintf(stderr, "%s\n", last_error);
	pthread_mutex_lock(&c->admin_lock);
	c->io[q->qid] = NULL;
	c->nr_io--;
	pthread_mutex_unlock(&c->admin_lock);
	c->qid_used[q->qid] = false;
	pthread_mutex_destroy(&q->lock);
	free(q->slots);
	free(q); /* its rings stay carved until nvme_close() */
}

unsigned int nvme_queue_id(const struct nvme_queue *q)
{
	return q->qid;
}

unsigned int nvme_queue_inflight(const struct nvme_queue *q)
{
	return q->inflight;
}

/* snippet: prp */
/*
 * Describe @len bytes at @buf with PRPs (Base 4.1.1): PRP1 is the first
 * byte's address; the data continues at page boundaries.  A transfer that
 * ends in the second page puts that page in PRP2; a longer one puts the
 * address of a PRP list there, one 8-byte entry per further page (the
 * slot's own list: NVME_MAX_TRANSFER needs at most 32 entries, never a
 * chained list).  Carved buffers are contiguous for the device, so page k
 * is at the first address plus k pages.
 */
static int build_prps(struct nvme_queue *q, struct nvme_slot *s, struct nvme_sqe *cmd,
		      const void *buf, size_t len)
{
	uint64_t addr, last;
	size_t first, pages, i;
	int ret = udrv_dma_addr(q->c->dev, buf, &addr);

	if (ret)
		return fail(q->c, ret, "I/O buffer %p is not DMA memory", buf);
	cmd->prp1 = addr;
	first = NVME_PAGE - (addr & (NVME_PAGE - 1)); /* bytes in the first page */
	if (len <= first)
		return 0;
	ret = udrv_dma_addr(q->c->dev, (const char *)buf + len - 1, &last);
	if (ret || last != addr + len - 1)
		return fail(q->c, -EINVAL, "I/O buffer %p+%zu is not one DMA buffer", buf, len);
	pages = (len - first + NVME_PAGE - 1) / NVME_PAGE;
	addr += first; /* now page-aligned */
	if (pages == 1) {
		cmd->prp2 = addr;
		return 0;
	}
	for (i = 0; i < pages; i++)
		s->prp_list[i] = addr + i * NVME_PAGE;
	cmd->prp2 = s->prp_iova;
	return 0;
}
/* snippet end */

int nvme_queue_io(struct nvme_queue *q, uint8_t opcode, const struct nvme_ns *ns, uint64_t lba,
		  uint32_t nlb, void *buf, nvme_done_fn done, void *arg)
{
	struct nvme_ctrl *c = q->c;
	struct nvme_sqe cmd = { .opc = opcode, .nsid = ns->nsid };
	size_t len = (size_t)nlb * ns->block_size;
	unsigned int cid;
	int ret;

	if (opcode != NVME_CMD_FLUSH) {
		if (!nlb || nlb > 65536 || len > c->info.max_transfer)
			return fail(c, -EINVAL, "%u blocks of %u bytes: 1..%u bytes per command", nlb,
				    ns->block_size, c->info.max_transfer);
		cmd.cdw10 = (uint32_t)lba;
		cmd.cdw11 = (uint32_t)(lba >> 32);
		cmd.cdw12 = nlb - 1; /* NLB is 0's based (NVM 3.2.4) */
	}
	pthread_mutex_lock(&q->lock);
	if (q->inflight >= q->depth - 1) {
		pthread_mutex_unlock(&q->lock);
		return -EAGAIN;
	}
	if (opcode != NVME_CMD_FLUSH) {
		/* The slot queue_submit() will take: build its PRP list first. */
		for (cid = q->next_cid; q->slots[cid].busy; cid = (cid + 1) % q->depth)
			;
		ret = build_prps(q, &q->slots[cid], &cmd, buf, len);
		if (ret) {
			pthread_mutex_unlock(&q->lock);
			return ret;
		}
	}
	ret = queue_submit(q, &cmd, done, arg);
	pthread_mutex_unlock(&q->lock);
	return ret;
}

/* ------------------------------------------------------------- timeouts */

/* snippet: timeout */
/*
 * A command older than io_timeout_ms: ask the controller to abort it
 * (Base 5.1); the controller may decline (CQE dw0 bit 0 set, as QEMU
 * always does) or the abort itself may time out.  If the command has not
 * completed one more timeout later, reset the controller: that ends every
 * command in flight, and they complete with -EIO.
 */
static int queue_recover(struct nvme_queue *q, struct nvme_slot *s, unsigned int cid)
{
	struct nvme_ctrl *c = q->c;
	struct nvme_sqe abort = { .opc = NVME_ADMIN_ABORT, .cdw10 = (uint32_t)cid << 16 | q->qid };
	uint32_t dw0 = 1;
	uint32_t csts = udrv_read32(c->bar0, NVME_REG_CSTS);
	int ret;

	/* A controller that is not ready (or failed) cannot abort anything. */
	if (!s->aborted && (csts & (NVME_CSTS_RDY | NVME_CSTS_CFS)) == NVME_CSTS_RDY) {
		s->aborted = true;
		s->t_submit = now_ns(); /* one more timeout for the abort to work */
		fprintf(stderr, "nvme %s: queue %u command %u timed out after %u ms: aborting\n",
			udrv_device_name(c->dev), q->qid, cid, c->io_timeout_ms);
		pthread_mutex_unlock(&q->lock);
		ret = admin_cmd(c, &abort, &dw0, "Abort");
		pthread_mutex_lock(&q->lock);
		if (!ret && !(dw0 & 1))
			return 0; /* aborted: it completes with "Command Abort Requested" */
	}
	fprintf(stderr, "nvme %s: queue %u command %u not aborted (CSTS 0x%x): resetting the "
		"controller\n", udrv_device_name(c->dev), q->qid, cid, csts);
	pthread_mutex_unlock(&q->lock);
	ret = nvme_reset(c);
	pthread_mutex_lock(&q->lock);
	return ret;
}
/* snippet end */

static int queue_check_timeouts(struct nvme_queue *q)
{
	uint64_t limit = (uint64_t)q->c->io_timeout_ms * 1000000u, t = now_ns();
	unsigned int i;

	/* Scanning the slots once a millisecond is enough. */
	if (!q->inflight || t - q->t_check < 1000000)
		return 0;
	q->t_check = t;
	for (i = 0; i < q->depth; i++) {
		struct nvme_slot *s = &q->slots[i];

		if (s->busy && !s->failed && t - s->t_submit > limit)
			return queue_recover(q, s, i);
	}
	return 0;
}

/* snippet: wait */
/*
 * Wait for completions.  Polled: spin on the completion queue (no system
 * call, no interrupt).  With a vector: sleep in udrv_irq_wait() until the
 * device signals, reap, then rearm (INTx needs it after the head doorbell
 * lowered the line; MSI-X does not).
 */
int nvme_queue_wait(struct nvme_queue *q, int timeout_ms)
{
	struct nvme_ctrl *c = q->c;
	uint64_t deadline = now_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000u;
	uint64_t events;
	int n, ret;

	for (;;) {
		pthread_mutex_lock(&q->lock);
		n = queue_deliver_failed(q) + queue_reap(q);
		if (!n)
			ret = queue_check_timeouts(q);
		pthread_mutex_unlock(&q->lock);
		if (n)
			return n;
		if (ret < 0)
			return ret;
		if (!q->inflight || (timeout_ms >= 0 && now_ns() >= deadline))
			return 0;
		if (q->vec < 0)
			continue;
		/* Sleep at most 100 ms, to check the timeouts (and signals). */
		ret = udrv_irq_wait(c->dev, (unsigned int)q->vec, 100, &events);
		if (ret == 0)
			udrv_irq_rearm(c->dev, (unsigned int)q->vec);
		else if (ret != -ETIMEDOUT && ret != -EINTR)
			return fail(c, ret, "waiting for vector %d: %s", q->vec, udrv_last_error());
	}
}
/* snippet end */

int nvme_io_sync(struct nvme_queue *q, uint8_t opcode, const struct nvme_ns *ns, uint64_t lba,
		 uint32_t nlb, void *buf)
{
	struct sync_result r = { 0 };
	int ret = nvme_queue_io(q, opcode, ns, lba, nlb, buf, sync_done, &r);

	if (ret == -EAGAIN)
		return fail(q->c, ret, "queue %u is full", q->qid);
	if (ret)
		return ret;
	nvme_queue_ring(q);
	while (!r.done) {
		ret = nvme_queue_wait(q, -1);
		if (ret < 0)
			return ret;
	}
	if (r.status > 0)
		return fail(q->c, r.status, "%s of %u block(s) at LBA %llu: %s (status 0x%03x)",
			    opcode == NVME_CMD_READ ? "read" : opcode == NVME_CMD_WRITE ? "write" :
			    "flush", nlb, (unsigned long long)lba, nvme_status_str(r.status), r.status);
	if (r.status < 0)
		return fail(q->c, r.status, "%s at LBA %llu: ended by a controller reset",
			    opcode == NVME_CMD_READ ? "read" : "write", (unsigned long long)lba);
	return 0;
}

/* ---------------------------------------------------------------- reset */

/* snippet: reset */
/*
 * Controller reset: disable, enable (the admin queue starts over), then
 * re-create every I/O queue on its old memory.  Commands in flight are
 * lost to the controller; each queue's thread gets them back as -EIO.
 */
int nvme_reset(struct nvme_ctrl *c)
{
	unsigned int i, j;
	int ret;

	pthread_mutex_lock(&c->admin_lock);
	for (i = 1; i <= NVME_MAX_QUEUES; i++)
		if (c->io[i])
			pthread_mutex_lock(&c->io[i]->lock);
	ret = ctrl_disable(c);
	for (j = 0; j < c->admin.depth; j++)
		c->admin.slots[j].busy = false;
	c->admin.inflight = 0;
	if (!ret)
		ret = ctrl_enable(c);
	pthread_mutex_unlock(&c->admin_lock);
	if (!ret && c->info.irq != NVME_IRQ_MSIX)
		udrv_write32(c->bar0, NVME_REG_INTMS, c->info.irq == NVME_IRQ_INTX ? ~1u : ~0u);
	if (!ret)
		ret = set_queue_count(c, c->info.queues);
	for (i = 1; i <= NVME_MAX_QUEUES; i++) {
		struct nvme_queue *q = c->io[i];

		if (!q)
			continue;
		for (j = 0; j < q->depth; j++)
			if (q->slots[j].busy)
				q->slots[j].failed = true;
		queue_reset_rings(q);
		if (!ret)
			ret = queue_create_hw(c, q);
		pthread_mutex_unlock(&q->lock);
	}
	if (ret)
		return fail(c, ret, "controller reset failed: %s", last_error);
	fprintf(stderr, "nvme %s: controller reset, %u I/O queue(s) re-created\n",
		udrv_device_name(c->dev), c->nr_io);
	return 0;
}
/* snippet end */

void nvme_inject_disable(struct nvme_ctrl *c)
{
	udrv_write32(c->bar0, NVME_REG_CC, udrv_read32(c->bar0, NVME_REG_CC) & ~NVME_CC_EN);
}
