// SPDX-License-Identifier: MIT
/*
 * MSI-X, one vector per queue, on QEMU's NVMe controller (1b36:0010),
 * through libudrv only, so the same test runs on udrv_stub and on VFIO:
 * admin queue on vector 0, one I/O queue pair on vector 1.  1000 Identify
 * commands through the admin queue and 1000 one-block reads through the
 * I/O queue, one at a time; each completion must raise exactly one event
 * on its own vector and none on the other.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <udrv/udrv.h>

#define ROUNDS    1000
#define QDEPTH    16
#define REG_CAP   0x00
#define REG_CC    0x14
#define REG_CSTS  0x1c
#define REG_AQA   0x24
#define REG_ASQ   0x28
#define REG_ACQ   0x30

struct sqe {
	uint8_t opc, flags;
	uint16_t cid;
	uint32_t nsid;
	uint64_t rsvd, mptr, prp1, prp2;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct cqe {
	uint32_t dw0, dw1;
	uint16_t sqhd, sqid, cid, status;
};

struct queue {
	unsigned int qid;
	struct udrv_dma *sq, *cq;
	uint16_t tail, head;
	uint8_t phase;
};

static struct udrv_device *dev;
static void *bar0;
static unsigned int dstrd;
static uint16_t next_cid;

static void reg_wait_rdy(uint32_t want)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if ((udrv_read32(bar0, REG_CSTS) & 1) == want)
			return;
		usleep(1000);
	}
	fail_msg("CSTS.RDY did not become %u", want);
}

static struct udrv_dma *alloc(size_t size)
{
	struct udrv_dma *d;

	if (udrv_dma_alloc(dev, size, &d))
		fail_msg("%s", udrv_last_error());
	memset(d->vaddr, 0, size);
	return d;
}

/* Submit one command, wait for its vector's event, check it completed. */
static void run(struct queue *q, struct sqe *cmd, unsigned int vec, unsigned int other,
		uint64_t *counts)
{
	volatile struct cqe *c = (struct cqe *)q->cq->vaddr + q->head;
	uint64_t n;

	cmd->cid = ++next_cid;
	memcpy((struct sqe *)q->sq->vaddr + q->tail, cmd, sizeof(*cmd));
	q->tail = (q->tail + 1) % QDEPTH;
	udrv_write32(bar0, 0x1000 + (2 * q->qid) * (4u << dstrd), q->tail);
	if (udrv_irq_wait(dev, vec, 5000, &n))
		fail_msg("%s", udrv_last_error());
	assert_int_equal(n, 1);
	counts[vec] += n;
	assert_int_equal(c->status & 1, q->phase);
	assert_int_equal(c->cid, cmd->cid);
	assert_int_equal(c->status >> 1, 0);
	q->head = (q->head + 1) % QDEPTH;
	if (!q->head)
		q->phase ^= 1;
	udrv_write32(bar0, 0x1000 + (2 * q->qid + 1) * (4u << dstrd), q->head);
	/* Nothing on the other vector. */
	assert_int_equal(udrv_irq_wait(dev, other, 0, &n), -ETIMEDOUT);
}

static void test_vectors(void **state)
{
	const char *addr = getenv("UDRV_DEV_1b36_0010");
	struct queue aq = { .qid = 0, .phase = 1 }, iq = { .qid = 1, .phase = 1 };
	struct udrv_dma *ident, *data;
	uint64_t cap, counts[2] = { 0, 0 };
	struct timespec t0, t1;
	struct sqe cmd;
	unsigned int i;
	int kind;

	(void)state;
	if (!addr)
		skip();
	if (udrv_open(addr, NULL, &dev) || udrv_bar_map(dev, 0, &bar0, NULL))
		fail_msg("%s", udrv_last_error());
	cap = udrv_read64(bar0, REG_CAP);
	dstrd = (cap >> 32) & 0xf;

	/* Disable, set up the admin queue, enable. */
	udrv_write32(bar0, REG_CC, 0);
	reg_wait_rdy(0);
	aq.sq = alloc(4096);
	aq.cq = alloc(4096);
	iq.sq = alloc(4096);
	iq.cq = alloc(4096);
	ident = alloc(4096);
	data = alloc(4096);
	kind = udrv_irq_enable(dev, UDRV_IRQ_MSIX, 2);
	if (kind < 0)
		fail_msg("%s", udrv_last_error());
	assert_int_equal(kind, UDRV_IRQ_MSIX);
	/* DMA and MSI-X messages are memory writes: bus mastering on, explicitly. */
	if (udrv_set_bus_master(dev, 1))
		fail_msg("%s", udrv_last_error());
	udrv_write32(bar0, REG_AQA, (QDEPTH - 1) << 16 | (QDEPTH - 1));
	udrv_write64(bar0, REG_ASQ, aq.sq->iova);
	udrv_write64(bar0, REG_ACQ, aq.cq->iova);
	udrv_write32(bar0, REG_CC, 4u << 20 | 6u << 16 | 1);	/* IOCQES 16, IOSQES 64, EN */
	reg_wait_rdy(1);

	/* I/O completion queue 1 on vector 1, then submission queue 1. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = 0x05;
	cmd.prp1 = iq.cq->iova;
	cmd.cdw10 = (QDEPTH - 1) << 16 | 1;
	cmd.cdw11 = 1u << 16 | 0x3;	/* IV 1, IEN, PC */
	run(&aq, &cmd, 0, 1, counts);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = 0x01;
	cmd.prp1 = iq.sq->iova;
	cmd.cdw10 = (QDEPTH - 1) << 16 | 1;
	cmd.cdw11 = 1u << 16 | 0x1;	/* CQID 1, PC */
	run(&aq, &cmd, 0, 1, counts);
	counts[0] = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < ROUNDS; i++) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = 0x06;		/* Identify controller */
		cmd.prp1 = ident->iova;
		cmd.cdw10 = 1;
		run(&aq, &cmd, 0, 1, counts);
	}
	assert_int_equal(((uint16_t *)ident->vaddr)[0], 0x1b36);	/* VID */
	for (i = 0; i < ROUNDS; i++) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.opc = 0x02;		/* Read, namespace 1, LBA i, one block */
		cmd.nsid = 1;
		cmd.prp1 = data->iova;
		cmd.cdw10 = i;
		run(&iq, &cmd, 1, 0, counts);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# nvme via %s, MSI-X: vector 0 (admin) %llu events for %d Identify, vector 1 (I/O queue 1) %llu events for %d reads, %.1f s\n",
	       udrv_backend_name(udrv_backend(dev)), (unsigned long long)counts[0], ROUNDS,
	       (unsigned long long)counts[1], ROUNDS,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	assert_int_equal(counts[0], ROUNDS);
	assert_int_equal(counts[1], ROUNDS);

	udrv_write32(bar0, REG_CC, 0);
	reg_wait_rdy(0);
	udrv_set_bus_master(dev, 0);
	udrv_irq_disable(dev);
	udrv_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
	};

	if (!getenv("UDRV_DEV_1b36_0010")) {
		fprintf(stderr, "vm_nvme_vectors: run me in udrv-vm with -device nvme bound (--bind 1b36:0010)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
