// SPDX-License-Identifier: GPL-2.0
/*
 * udrv_stub - the device's interrupts: vector 0 through read() on
 * /dev/uioN, every vector through its own eventfd.
 *
 * At probe the irq_mode module parameter picks one vector (auto: MSI if
 * the function has an MSI capability, else INTx); the type in use can be
 * read back from /sys/bus/pci/devices/<bdf>/udrv_stub/irq_mode.  The
 * control device's SET_IRQS ioctl (include/uapi/linux/udrv_stub.h) replaces it with N
 * vectors of INTx, MSI or MSI-X, each signalling its own eventfd, as
 * VFIO_DEVICE_SET_IRQS does; closing the control file that did so (or the
 * death of its process), or unbinding, restores the probe's vector.
 *
 * The stub requests its IRQs itself (info.irq is UIO_IRQ_CUSTOM) and calls
 * uio_event_notify() for vector 0, which bumps the UIO event counter and
 * wakes readers.  A write() of a 32-bit value to /dev/uioN calls
 * info.irqcontrol with that value.
 *
 * What user space does, per mode ("ack" means: make the device stop
 * requesting the interrupt, with whatever register the device defines;
 * for QEMU's edu device: status = bar0[0x24 / 4]; bar0[0x64 / 4] = status;)
 *
 * "intx" - legacy INTx: level-triggered, and the line may be shared.
 *   The handler claims the interrupt only if the device's Interrupt Status
 *   bit is set, and then sets the Interrupt Disable bit in its command
 *   register: the line is masked at the device, so the still-asserted level
 *   cannot fire again (an interrupt storm) before user space has acked it.
 *     1. s32 n; read(fd, &n, 4);     blocks until an interrupt; n is the
 *                                    total number of events so far
 *     2. ack the device              its INTx line drops
 *     3. s32 one = 1; write(fd, &one, 4);
 *                                    unmask.  If the device still requests
 *                                    the interrupt (not acked, or a new
 *                                    one), it stays masked and a new event
 *                                    is reported at once, so the next
 *                                    read() returns immediately: nothing
 *                                    is lost, whatever the order.
 *   Until step 3 no further event is reported.  Skipping step 3 leaves the
 *   interrupt masked for good.
 *
 * "msi" - one MSI vector: an edge, a message the device writes once per
 *   interrupt.  There is no level to storm, so the handler masks nothing.
 *     1. read(fd, &n, 4);            as above
 *     2. ack the device              as the device requires (edu: same
 *                                    write; it clears edu's status register
 *                                    and is not needed to get the next MSI)
 *     3. write(fd, &one, 4);         optional, a no-op unless delivery was
 *                                    switched off (see below)
 *
 * Both modes: write(fd, &(s32){0}, 4) switches delivery off until the next
 * write of 1 (INTx: the Interrupt Disable bit; MSI: disable_irq_nosync(),
 * after which the IRQ core no longer calls the handler and, if the device
 * has per-vector mask bits, masks the vector).  An interrupt that arrives
 * meanwhile is not lost: it is reported on the write of 1.
 * So one loop fits both modes: read, ack the device, write 1.
 *
 * read() and write() take exactly 4 bytes (else EINVAL); a non-blocking
 * read() with no new event fails with EAGAIN.
 *
 * "intx" with an ack program (SET_INTX_ACK): for a function without the
 *   INTx disable bit, or whose driver prefers it.  The handler reads the
 *   device's status register through a pci_iomap() of its BAR, returns
 *   IRQ_NONE if the status says "not mine", else writes the device's
 *   acknowledge register (the line drops) and reports the event.  The
 *   INTx disable bit is never touched; a write of 1 is a no-op, a write of
 *   0 holds events back (still acked) until the next write of 1.
 *
 * "msix" - N vectors set through SET_IRQS; like "msi", per vector.
 *
 * MSI and MSI-X messages are memory writes: the device sends them only
 * while bus mastering is on, which the stub never turns on by itself (the
 * SET_MASTER ioctl does).
 *
 * "none" - no usable interrupt (no pin and no MSI, or INTx that cannot be
 *   masked): read() and write() fail with EIO.
 *
 * The first open() of /dev/uioN re-arms the interrupt as a write of 1
 * would, so a user that died with it masked does not wedge the next one; a
 * request still pending from before is then reported as an event.
 * poll()/select()/epoll on the fd report POLLIN when read() would not block.
 */

#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio_driver.h>

#include <linux/udrv_stub.h>

#include "udrv_stub.h"

enum udrv_stub_irq_mode {
	UDRV_STUB_IRQ_MODE_AUTO,
	UDRV_STUB_IRQ_MODE_INTX,
	UDRV_STUB_IRQ_MODE_MSI,
};

static const char * const irq_mode_names[] = {
	[UDRV_STUB_IRQ_MODE_AUTO] = "auto",
	[UDRV_STUB_IRQ_MODE_INTX] = "intx",
	[UDRV_STUB_IRQ_MODE_MSI] = "msi",
};

static int irq_mode = UDRV_STUB_IRQ_MODE_AUTO;

static int irq_mode_set(const char *val, const struct kernel_param *kp)
{
	int mode = sysfs_match_string(irq_mode_names, val);

	if (mode < 0)
		return mode;
	WRITE_ONCE(*(int *)kp->arg, mode);
	return 0;
}

static int irq_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", irq_mode_names[READ_ONCE(*(int *)kp->arg)]);
}

static const struct kernel_param_ops irq_mode_ops = {
	.set = irq_mode_set,
	.get = irq_mode_get,
};

module_param_cb(irq_mode, &irq_mode_ops, &irq_mode, 0644);
MODULE_PARM_DESC(irq_mode,
		 "Interrupt vector 0 for devices bound from now on: auto (MSI if available, else INTx), intx, msi; SET_IRQS picks others at run time");

/* eventfd_signal() lost its count argument in 6.8. */
static void udrv_stub_signal(struct eventfd_ctx *trigger)
{
#ifdef UDRV_STUB_HAVE_EVENTFD_SIGNAL_COUNT
	eventfd_signal(trigger, 1);
#else
	eventfd_signal(trigger);
#endif
}

/**
 * udrv_stub_irq_kind_name() - name of an interrupt type, as sysfs shows it
 * @kind: UDRV_STUB_IRQ_*
 *
 * Return: "none", "intx", "msi" or "msix".
 */
const char *udrv_stub_irq_kind_name(unsigned int kind)
{
	switch (kind) {
	case UDRV_STUB_IRQ_INTX:
		return "intx";
	case UDRV_STUB_IRQ_MSI:
		return "msi";
	case UDRV_STUB_IRQ_MSIX:
		return "msix";
	default:
		return "none";
	}
}

/* Report one event of @vec: vector 0 to UIO readers, and its eventfd. */
static void udrv_stub_report(struct udrv_stub_vec *vec)
{
	if (vec->index == 0)
		uio_event_notify(&vec->sdev->info);
	if (vec->trigger)
		udrv_stub_signal(vec->trigger);
}

static u32 udrv_stub_ack_read(const struct udrv_stub_ack *ack)
{
	switch (ack->width) {
	case 1:
		return ioread8(ack->status);
	case 2:
		return ioread16(ack->status);
	default:
		return ioread32(ack->status);
	}
}

static void udrv_stub_ack_write(const struct udrv_stub_ack *ack, u32 val)
{
	switch (ack->width) {
	case 1:
		iowrite8(val, ack->ack);
		break;
	case 2:
		iowrite16(val, ack->ack);
		break;
	default:
		iowrite32(val, ack->ack);
	}
}

/*
 * INTx: the line may be shared with other devices, so first find out
 * whether ours is asserting it.
 *
 * With an ack program: read the device's status register; zero under the
 * mask means not ours.  Else acknowledge at the device, which drops the
 * line, and report (or remember, while user space has delivery off).
 *
 * Without one: pci_check_and_mask_intx() reads the status register's
 * Interrupt Status bit and, if set, sets Interrupt Disable, both under the
 * PCI config lock.  While masked we claim nothing: an interrupt on a
 * shared line then belongs to someone else.
 */
static irqreturn_t udrv_stub_intx_handler(int irq, void *arg)
{
	struct udrv_stub_vec *vec = arg;
	struct udrv_stub_dev *sdev = vec->sdev;
	const struct udrv_stub_ack *ack;
	irqreturn_t ret = IRQ_NONE;
	bool report = false;

	spin_lock(&sdev->irq_lock);
	ack = sdev->ack;
	if (ack) {
		u32 status = udrv_stub_ack_read(ack) & ack->mask;

		if (status) {
			udrv_stub_ack_write(ack, ack->flags & UDRV_STUB_ACK_WRITE_STATUS ?
					    status : ack->value);
			ret = IRQ_HANDLED;
			if (sdev->irq_masked)
				sdev->irq_pending = 1;
			else
				report = true;
		}
	} else if (!sdev->irq_masked && pci_check_and_mask_intx(sdev->pdev)) {
		sdev->irq_masked = 1;
		ret = IRQ_HANDLED;
		report = true;
	}
	spin_unlock(&sdev->irq_lock);
	if (report)
		udrv_stub_report(vec);
	return ret;
}

/*
 * MSI and MSI-X: never shared, and an edge: each message is exactly one
 * interrupt of ours and nothing stays asserted, so there is nothing to
 * check or mask.
 */
static irqreturn_t udrv_stub_msi_handler(int irq, void *arg)
{
	udrv_stub_report(arg);
	return IRQ_HANDLED;
}

static void udrv_stub_intx_control(struct udrv_stub_dev *sdev, bool on)
{
	bool notify = false;
	unsigned long flags;

	spin_lock_irqsave(&sdev->irq_lock, flags);
	if (sdev->ack) {
		/* The device is acked by the handler: only hold events back. */
		if (on && sdev->irq_masked) {
			sdev->irq_masked = 0;
			notify = sdev->irq_pending;
			sdev->irq_pending = 0;
		} else if (!on) {
			sdev->irq_masked = 1;
		}
	} else if (on && sdev->irq_masked) {
		/* Unmask only if the device is not requesting an interrupt. */
		if (pci_check_and_unmask_intx(sdev->pdev))
			sdev->irq_masked = 0;
		else
			notify = true;	/* still pending: stay masked, report */
	} else if (!on && !sdev->irq_masked) {
		pci_intx(sdev->pdev, 0);
		sdev->irq_masked = 1;
	}
	spin_unlock_irqrestore(&sdev->irq_lock, flags);

	if (notify)
		udrv_stub_report(&sdev->vecs[0]);
}

/*
 * MSI has no device-independent mask bit in config space that is always
 * there (per-vector masking is optional), so use the IRQ core:
 * disable_irq_nosync() marks the interrupt disabled; the MSI irq_chip masks
 * the vector when the device supports it.  An interrupt arriving while
 * disabled is recorded as pending and replayed by enable_irq() (edge
 * interrupts are resent), so nothing is lost.  The _nosync variant is
 * enough: a handler still running on another CPU only counts an event.
 */
static void udrv_stub_msi_control(struct udrv_stub_dev *sdev, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&sdev->irq_lock, flags);
	if (on && sdev->irq_masked) {
		enable_irq(sdev->vecs[0].irq);
		sdev->irq_masked = 0;
	} else if (!on && !sdev->irq_masked) {
		disable_irq_nosync(sdev->vecs[0].irq);
		sdev->irq_masked = 1;
	}
	spin_unlock_irqrestore(&sdev->irq_lock, flags);
}

/*
 * uio_info.irqcontrol: write(fd, &(s32){0 or 1}, 4) ends up here, under
 * the UIO core's info_lock.  It acts on vector 0.
 */
static int udrv_stub_irqcontrol(struct uio_info *info, s32 irq_on)
{
	struct udrv_stub_dev *sdev = to_udrv_stub_dev(info);
	int ret = 0;

	mutex_lock(&sdev->irq_mutex);
	if (!sdev->nr_vecs)
		ret = -EIO;
	else if (sdev->irq_kind == UDRV_STUB_IRQ_INTX)
		udrv_stub_intx_control(sdev, irq_on);
	else
		udrv_stub_msi_control(sdev, irq_on);
	mutex_unlock(&sdev->irq_mutex);
	return ret;
}

/**
 * udrv_stub_irq_rearm() - unmask vector 0, as a write of 1 would
 * @sdev: device state
 *
 * Used when /dev/uioN is first opened.
 */
void udrv_stub_irq_rearm(struct udrv_stub_dev *sdev)
{
	udrv_stub_irqcontrol(&sdev->info, 1);
}

/* Free the vectors in use.  Caller holds irq_mutex. */
static void udrv_stub_vecs_free(struct udrv_stub_dev *sdev)
{
	unsigned int i;

	lockdep_assert_held(&sdev->irq_mutex);
	for (i = 0; i < sdev->nr_vecs; i++) {
		struct udrv_stub_vec *vec = &sdev->vecs[i];

		/* free_irq() shuts the line down whatever its disable depth. */
		free_irq(vec->irq, vec);
		if (vec->trigger)
			eventfd_ctx_put(vec->trigger);
	}
	if (sdev->irq_kind != UDRV_STUB_IRQ_NONE)
		pci_free_irq_vectors(sdev->pdev);
	kfree(sdev->vecs);
	sdev->vecs = NULL;
	sdev->nr_vecs = 0;
	sdev->irq_kind = UDRV_STUB_IRQ_NONE;
	sdev->irq_masked = 0;
	sdev->irq_pending = 0;
}

static unsigned int udrv_stub_pci_irq_flag(unsigned int type)
{
	switch (type) {
	case UDRV_STUB_IRQ_INTX:
		return PCI_IRQ_INTX;
	case UDRV_STUB_IRQ_MSI:
		return PCI_IRQ_MSI;
	default:
		return PCI_IRQ_MSIX;
	}
}

/*
 * Allocate @count vectors of @type and request a handler for each, which
 * signals triggers[i] (may be NULL).  On success the triggers belong to
 * the vectors; on failure the caller still owns them.  Caller holds
 * irq_mutex; no vectors are in use.
 */
static int udrv_stub_vecs_alloc(struct udrv_stub_dev *sdev, unsigned int type,
				unsigned int count, struct eventfd_ctx **triggers)
{
	struct pci_dev *pdev = sdev->pdev;
	struct udrv_stub_vec *vecs;
	unsigned int i;
	int ret;

	lockdep_assert_held(&sdev->irq_mutex);
	vecs = kcalloc(count, sizeof(*vecs), GFP_KERNEL);
	if (!vecs)
		return -ENOMEM;
	ret = pci_alloc_irq_vectors(pdev, count, count, udrv_stub_pci_irq_flag(type));
	if (ret < 0) {
		kfree(vecs);
		return ret == -EINVAL && type == UDRV_STUB_IRQ_MSI ? -ENOSPC : ret;
	}

	sdev->irq_masked = 0;
	sdev->irq_pending = 0;
	for (i = 0; i < count; i++) {
		struct udrv_stub_vec *vec = &vecs[i];

		vec->sdev = sdev;
		vec->index = i;
		vec->irq = pci_irq_vector(pdev, i);
		vec->trigger = triggers ? triggers[i] : NULL;
		snprintf(vec->name, sizeof(vec->name), "udrv_stub[%s]-%s-%u",
			 pci_name(pdev), udrv_stub_irq_kind_name(type), i);
		if (type == UDRV_STUB_IRQ_INTX)
			ret = request_irq(vec->irq, udrv_stub_intx_handler,
					  IRQF_SHARED, vec->name, vec);
		else
			ret = request_irq(vec->irq, udrv_stub_msi_handler, 0,
					  vec->name, vec);
		if (ret)
			goto err;
	}
	sdev->vecs = vecs;
	sdev->nr_vecs = count;
	sdev->irq_kind = type;
	return 0;

err:
	while (i--)
		free_irq(vecs[i].irq, &vecs[i]);
	pci_free_irq_vectors(pdev);
	kfree(vecs);
	return ret;
}

/* INTx can be used if it can be masked: INTx disable bit or ack program. */
static bool udrv_stub_intx_usable(struct udrv_stub_dev *sdev)
{
	return sdev->intx_maskable || sdev->ack;
}

/* Back to the probe's one vector without an eventfd.  Holds irq_mutex. */
static void udrv_stub_vecs_default(struct udrv_stub_dev *sdev)
{
	int ret;

	udrv_stub_vecs_free(sdev);
	sdev->irq_owner = NULL;
	if (sdev->irq_gone || sdev->irq_default == UDRV_STUB_IRQ_NONE)
		return;
	ret = udrv_stub_vecs_alloc(sdev, sdev->irq_default, 1, NULL);
	if (ret)
		pci_warn(sdev->pdev, "cannot restore the %s interrupt (%d)\n",
			 udrv_stub_irq_kind_name(sdev->irq_default), ret);
}

/**
 * udrv_stub_irq_info() - GET_IRQ_INFO: what the device offers
 * @sdev: device state
 * @info: in: type; out: count and flags (or the type in use, for NONE)
 *
 * Return: 0, -EINVAL for an unknown type, -ENODEV after unbind.
 */
int udrv_stub_irq_info(struct udrv_stub_dev *sdev, struct udrv_stub_irq_info *info)
{
	struct pci_dev *pdev = sdev->pdev;
	int n = 0, ret = 0;

	mutex_lock(&sdev->irq_mutex);
	info->flags = 0;
	if (sdev->irq_gone) {
		ret = -ENODEV;
		goto out;
	}
	switch (info->type) {
	case UDRV_STUB_IRQ_NONE:
		info->type = sdev->irq_kind;
		info->count = sdev->nr_vecs;
		if (sdev->nr_vecs)
			info->flags |= UDRV_STUB_IRQ_INFO_ACTIVE;
		goto out;
	case UDRV_STUB_IRQ_INTX:
		n = pdev->irq && pdev->irq != IRQ_NOTCONNECTED &&
		    pdev->pin ? 1 : 0;
		if (sdev->intx_maskable)
			info->flags |= UDRV_STUB_IRQ_INFO_MASKABLE;
		if (sdev->ack)
			info->flags |= UDRV_STUB_IRQ_INFO_ACK;
		break;
	case UDRV_STUB_IRQ_MSI:
		n = pdev->msi_cap ? pci_msi_vec_count(pdev) : 0;
		break;
	case UDRV_STUB_IRQ_MSIX:
		n = pdev->msix_cap ? pci_msix_vec_count(pdev) : 0;
		break;
	default:
		ret = -EINVAL;
		goto out;
	}
	info->count = max(n, 0);
	if (sdev->irq_kind == info->type)
		info->flags |= UDRV_STUB_IRQ_INFO_ACTIVE;
out:
	mutex_unlock(&sdev->irq_mutex);
	return ret;
}

/**
 * udrv_stub_set_irqs() - SET_IRQS: replace the vectors in use
 * @sdev: device state
 * @owner: the control file asking; it owns the new vectors
 * @type: UDRV_STUB_IRQ_INTX, _MSI or _MSIX (ignored if @count is 0)
 * @count: vectors wanted; 0 releases them (back to the probe's vector)
 * @fds: @count eventfd descriptors (-1: none), from user space
 *
 * Return: 0 or a negative errno (see struct udrv_stub_irq_set).  On
 * failure the probe's vector is back in use.
 */
int udrv_stub_set_irqs(struct udrv_stub_dev *sdev, struct file *owner,
		       unsigned int type, unsigned int count, const s32 *fds)
{
	struct udrv_stub_irq_info info = { .type = type };
	struct eventfd_ctx **triggers = NULL;
	unsigned int i;
	int ret;

	if (count) {
		ret = udrv_stub_irq_info(sdev, &info);
		if (ret)
			return ret;
		if (type == UDRV_STUB_IRQ_NONE || count > info.count)
			return -EINVAL;
		triggers = kcalloc(count, sizeof(*triggers), GFP_KERNEL);
		if (!triggers)
			return -ENOMEM;
		for (i = 0; i < count; i++) {
			if (fds[i] < 0)
				continue;
			triggers[i] = eventfd_ctx_fdget(fds[i]);
			if (IS_ERR(triggers[i])) {
				ret = PTR_ERR(triggers[i]);
				triggers[i] = NULL;
				goto out;
			}
		}
	}

	mutex_lock(&sdev->irq_mutex);
	if (sdev->irq_gone) {
		ret = -ENODEV;
	} else if (sdev->irq_owner && sdev->irq_owner != owner) {
		ret = -EBUSY;
	} else if (!count) {
		ret = 0;
		if (sdev->irq_owner)
			udrv_stub_vecs_default(sdev);
	} else if (type == UDRV_STUB_IRQ_INTX && !udrv_stub_intx_usable(sdev)) {
		ret = -EOPNOTSUPP;
	} else {
		udrv_stub_vecs_free(sdev);
		ret = udrv_stub_vecs_alloc(sdev, type, count, triggers);
		if (ret) {
			udrv_stub_vecs_default(sdev);
		} else {
			sdev->irq_owner = owner;
			kfree(triggers);	/* the vectors hold the contexts now */
			triggers = NULL;
			pci_dbg(sdev->pdev, "%u %s vector(s) set\n", count,
				udrv_stub_irq_kind_name(type));
		}
	}
	mutex_unlock(&sdev->irq_mutex);
out:
	if (triggers) {
		for (i = 0; i < count; i++)
			if (triggers[i])
				eventfd_ctx_put(triggers[i]);
		kfree(triggers);
	}
	return ret;
}

/* Swap the ack program under irq_lock; returns the old one. */
static struct udrv_stub_ack *udrv_stub_ack_swap(struct udrv_stub_dev *sdev,
						struct udrv_stub_ack *ack)
{
	struct udrv_stub_ack *old;
	unsigned long flags;

	spin_lock_irqsave(&sdev->irq_lock, flags);
	old = sdev->ack;
	/*
	 * Masking state of one method means nothing to the other: INTx
	 * masked with the disable bit is unmasked before the program takes
	 * over (it never sets the bit).
	 */
	if (!old && ack && sdev->irq_kind == UDRV_STUB_IRQ_INTX &&
	    sdev->irq_masked)
		pci_intx(sdev->pdev, 1);
	sdev->ack = ack;
	sdev->irq_pending = 0;
	sdev->irq_masked = 0;
	spin_unlock_irqrestore(&sdev->irq_lock, flags);
	return old;
}

/* Unmap and free an ack program no handler can see any more. */
static void udrv_stub_ack_free(struct udrv_stub_dev *sdev,
			       struct udrv_stub_ack *ack)
{
	if (!ack)
		return;
	pci_iounmap(sdev->pdev, ack->base);
	kfree(ack);
}

/* Check an ack program and map its registers: the textbook iomap flow. */
static struct udrv_stub_ack *udrv_stub_ack_new(struct udrv_stub_dev *sdev,
					       const struct udrv_stub_intx_ack *arg)
{
	struct pci_dev *pdev = sdev->pdev;
	u64 len, hi, start;
	struct udrv_stub_ack *ack;
	unsigned long flags;

	if (arg->width != 1 && arg->width != 2 && arg->width != 4)
		return ERR_PTR(-EINVAL);
	if (!IS_ALIGNED(arg->status_off, arg->width) ||
	    !IS_ALIGNED(arg->ack_off, arg->width))
		return ERR_PTR(-EINVAL);
	if (!arg->mask || (arg->width < 4 && arg->mask >> (8 * arg->width)) ||
	    (arg->width < 4 && arg->ack_value >> (8 * arg->width)))
		return ERR_PTR(-EINVAL);
	if (arg->bar >= PCI_STD_NUM_BARS || !(sdev->bar_mask & BIT(arg->bar)))
		return ERR_PTR(-ENXIO);
	flags = pci_resource_flags(pdev, arg->bar);
	if (!(flags & (IORESOURCE_MEM | IORESOURCE_IO)))
		return ERR_PTR(-ENXIO);
	len = pci_resource_len(pdev, arg->bar);
	if (arg->status_off >= len || len - arg->status_off < arg->width ||
	    arg->ack_off >= len || len - arg->ack_off < arg->width)
		return ERR_PTR(-ERANGE);

	ack = kzalloc(sizeof(*ack), GFP_KERNEL);
	if (!ack)
		return ERR_PTR(-ENOMEM);
	/*
	 * The region is ours (pci_request_selected_regions() at probe); map
	 * only what the program touches: from the lower register to the end
	 * of the higher one.
	 */
	start = min(arg->status_off, arg->ack_off);
	hi = max(arg->status_off, arg->ack_off) + arg->width;
	ack->base = pci_iomap_range(pdev, arg->bar, start, hi - start);
	if (!ack->base) {
		kfree(ack);
		return ERR_PTR(-ENOMEM);
	}
	ack->status = ack->base + (arg->status_off - start);
	ack->ack = ack->base + (arg->ack_off - start);
	ack->width = arg->width;
	ack->flags = arg->flags & UDRV_STUB_ACK_WRITE_STATUS;
	ack->mask = arg->mask;
	ack->value = arg->ack_value;
	ack->bar = arg->bar;
	return ack;
}

/**
 * udrv_stub_set_intx_ack() - SET_INTX_ACK: install or remove an ack program
 * @sdev: device state
 * @owner: the control file asking; it owns the program
 * @arg: the program
 *
 * Return: 0 or a negative errno (see struct udrv_stub_intx_ack).
 */
int udrv_stub_set_intx_ack(struct udrv_stub_dev *sdev, struct file *owner,
			   const struct udrv_stub_intx_ack *arg)
{
	struct udrv_stub_ack *ack = NULL, *old = NULL;
	bool remove = arg->flags & UDRV_STUB_ACK_REMOVE;
	int ret = 0;

	if (arg->flags & ~(UDRV_STUB_ACK_WRITE_STATUS | UDRV_STUB_ACK_REMOVE))
		return -EINVAL;
	if (!remove) {
		ack = udrv_stub_ack_new(sdev, arg);
		if (IS_ERR(ack))
			return PTR_ERR(ack);
	}

	mutex_lock(&sdev->irq_mutex);
	if (sdev->irq_gone) {
		ret = -ENODEV;
	} else if (sdev->ack_owner && sdev->ack_owner != owner) {
		ret = -EBUSY;
	} else if (remove && sdev->irq_kind == UDRV_STUB_IRQ_INTX &&
		   !sdev->intx_maskable) {
		ret = -EBUSY;
	} else {
		old = udrv_stub_ack_swap(sdev, ack);
		sdev->ack_owner = remove ? NULL : owner;
		ack = NULL;
	}
	mutex_unlock(&sdev->irq_mutex);
	/* Handlers run under irq_lock: none uses @old any more. */
	udrv_stub_ack_free(sdev, old);
	udrv_stub_ack_free(sdev, ack);
	return ret;
}

/**
 * udrv_stub_irq_release() - a control file is closed: drop what it owns
 * @sdev: device state
 * @owner: the file
 *
 * Its vectors give way to the probe's vector, its ack program is removed
 * (after the vectors: INTx that needs the program is gone by then).
 */
void udrv_stub_irq_release(struct udrv_stub_dev *sdev, struct file *owner)
{
	struct udrv_stub_ack *old = NULL;

	mutex_lock(&sdev->irq_mutex);
	if (sdev->irq_owner == owner)
		udrv_stub_vecs_default(sdev);
	if (sdev->ack_owner == owner) {
		sdev->ack_owner = NULL;
		if (sdev->irq_kind == UDRV_STUB_IRQ_INTX && !sdev->intx_maskable)
			udrv_stub_vecs_free(sdev);
		old = udrv_stub_ack_swap(sdev, NULL);
	}
	mutex_unlock(&sdev->irq_mutex);
	udrv_stub_ack_free(sdev, old);
}

static bool udrv_stub_intx_routed(struct pci_dev *pdev)
{
	return pdev->pin && pdev->irq && pdev->irq != IRQ_NOTCONNECTED;
}

/**
 * udrv_stub_irq_init() - pick the probe's interrupt type, fill the uio_info
 * @sdev: device state
 *
 * Sets info.irq to UIO_IRQ_CUSTOM (the stub requests its IRQs itself, in
 * udrv_stub_irq_start() once the UIO device exists) if the function has
 * any interrupt, else UIO_IRQ_NONE; the device is bound for its BARs then.
 *
 * Return: 0, or -ENODEV if irq_mode=msi and the function has no MSI.
 */
int udrv_stub_irq_init(struct udrv_stub_dev *sdev)
{
	struct pci_dev *pdev = sdev->pdev;
	int mode = READ_ONCE(irq_mode);

	sdev->irq_kind = UDRV_STUB_IRQ_NONE;
	sdev->irq_default = UDRV_STUB_IRQ_NONE;
	sdev->intx_maskable = udrv_stub_intx_routed(pdev) &&
			      pci_intx_mask_supported(pdev);

	if (mode == UDRV_STUB_IRQ_MODE_MSI && !pdev->msi_cap) {
		/* Followed literally, this binds the device. */
		pci_err(pdev, "irq_mode=msi but the function has no MSI capability; to bind it: echo auto > /sys/module/udrv_stub/parameters/irq_mode; echo %s > /sys/bus/pci/drivers_probe\n",
			pci_name(pdev));
		return -ENODEV;
	}

	if (mode != UDRV_STUB_IRQ_MODE_INTX && pdev->msi_cap)
		sdev->irq_default = UDRV_STUB_IRQ_MSI;
	else if (sdev->intx_maskable)
		sdev->irq_default = UDRV_STUB_IRQ_INTX;
	else if (udrv_stub_intx_routed(pdev))
		pci_info(pdev, "INTx cannot be masked at the device: install an ack program (SET_INTX_ACK) to use it\n");

	if (sdev->irq_default == UDRV_STUB_IRQ_NONE && !pdev->msix_cap &&
	    !pdev->msi_cap && !udrv_stub_intx_routed(pdev)) {
		pci_info(pdev, "no interrupt, mapping BARs only\n");
		sdev->info.irq = UIO_IRQ_NONE;
		return 0;
	}
	sdev->info.irq = UIO_IRQ_CUSTOM;
	sdev->info.irqcontrol = udrv_stub_irqcontrol;
	return 0;
}

/**
 * udrv_stub_irq_start() - request the probe's vector
 * @sdev: device state; the UIO device is registered
 *
 * Return: 0 (a device whose vector cannot be set up is still bound, with
 * type "none"), or -ENOMEM.
 */
int udrv_stub_irq_start(struct udrv_stub_dev *sdev)
{
	int ret = 0;

	mutex_lock(&sdev->irq_mutex);
	if (sdev->irq_default != UDRV_STUB_IRQ_NONE) {
		ret = udrv_stub_vecs_alloc(sdev, sdev->irq_default, 1, NULL);
		if (ret && ret != -ENOMEM) {
			pci_info(sdev->pdev, "%s interrupt unavailable (%d)\n",
				 udrv_stub_irq_kind_name(sdev->irq_default), ret);
			sdev->irq_default = UDRV_STUB_IRQ_NONE;
			ret = 0;
		}
	}
	mutex_unlock(&sdev->irq_mutex);
	return ret;
}

/**
 * udrv_stub_irq_fini() - free every vector and the ack program
 * @sdev: device state
 *
 * Called in remove() before uio_unregister_device() (the handlers notify
 * the UIO device), or when probe fails.  Leaves INTx disabled at the
 * device, so that an unhandled level interrupt cannot bother whoever
 * shares the line; pci_enable_device() by the next driver clears the bit
 * again.  Files that owned vectors or the program find nothing to release.
 */
void udrv_stub_irq_fini(struct udrv_stub_dev *sdev)
{
	struct udrv_stub_ack *old;

	mutex_lock(&sdev->irq_mutex);
	sdev->irq_gone = 1;
	udrv_stub_vecs_free(sdev);
	sdev->irq_owner = NULL;
	sdev->ack_owner = NULL;
	old = udrv_stub_ack_swap(sdev, NULL);
	mutex_unlock(&sdev->irq_mutex);
	udrv_stub_ack_free(sdev, old);
	pci_intx(sdev->pdev, 0);
}
