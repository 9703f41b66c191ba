// SPDX-License-Identifier: GPL-2.0
/*
 * udrv_stub - the device's interrupt, delivered through read() on /dev/uioN.
 *
 * The mode is chosen at probe by the irq_mode module parameter (auto: MSI
 * if the function has an MSI capability, else INTx) and can be read back
 * from /sys/bus/pci/devices/<bdf>/udrv_stub/irq_mode.
 *
 * The UIO core does the plumbing: it request_irq()s info.irq, calls our
 * info.handler from its hard interrupt handler and, when that returns
 * IRQ_HANDLED, bumps an event counter and wakes readers.  A write() of a
 * 32-bit value to /dev/uioN calls info.irqcontrol with that value.
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
 * "none" - no usable interrupt (no pin and no MSI, or INTx that cannot be
 *   masked): read() and write() fail with EIO.
 *
 * The first open() of /dev/uioN re-arms the interrupt as a write of 1
 * would, so a user that died with it masked does not wedge the next one; a
 * request still pending from before is then reported as an event.
 * poll()/select()/epoll on the fd report POLLIN when read() would not block.
 */

#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/string.h>
#include <linux/uio_driver.h>

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
		 "Interrupt mode for devices bound from now on: auto (MSI if available, else INTx), intx, msi");

/**
 * udrv_stub_irq_kind_name() - name of an interrupt mode, as sysfs shows it
 * @kind: the mode
 *
 * Return: "none", "intx" or "msi".
 */
const char *udrv_stub_irq_kind_name(enum udrv_stub_irq_kind kind)
{
	switch (kind) {
	case UDRV_STUB_IRQ_INTX:
		return "intx";
	case UDRV_STUB_IRQ_MSI:
		return "msi";
	default:
		return "none";
	}
}

/*
 * INTx: the line may be shared with other devices, so first find out
 * whether ours is asserting it.  pci_check_and_mask_intx() reads the
 * status register's Interrupt Status bit and, if set, sets Interrupt
 * Disable, both under the PCI config lock.  While masked we claim nothing:
 * an interrupt on a shared line then belongs to someone else.
 */
static irqreturn_t udrv_stub_intx_handler(int irq, struct uio_info *info)
{
	struct udrv_stub_dev *sdev = to_udrv_stub_dev(info);
	irqreturn_t ret = IRQ_NONE;

	spin_lock(&sdev->irq_lock);
	if (!sdev->irq_masked && pci_check_and_mask_intx(sdev->pdev)) {
		sdev->irq_masked = 1;
		ret = IRQ_HANDLED;	/* the UIO core wakes the readers */
	}
	spin_unlock(&sdev->irq_lock);
	return ret;
}

/*
 * MSI: never shared, and an edge: each message is exactly one interrupt
 * of ours and nothing stays asserted, so there is nothing to check or mask.
 */
static irqreturn_t udrv_stub_msi_handler(int irq, struct uio_info *info)
{
	return IRQ_HANDLED;
}

static void udrv_stub_intx_control(struct udrv_stub_dev *sdev, bool on)
{
	bool notify = false;
	unsigned long flags;

	spin_lock_irqsave(&sdev->irq_lock, flags);
	if (on && sdev->irq_masked) {
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
		uio_event_notify(&sdev->info);
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
		enable_irq(sdev->info.irq);
		sdev->irq_masked = 0;
	} else if (!on && !sdev->irq_masked) {
		disable_irq_nosync(sdev->info.irq);
		sdev->irq_masked = 1;
	}
	spin_unlock_irqrestore(&sdev->irq_lock, flags);
}

/* uio_info.irqcontrol: write(fd, &(s32){0 or 1}, 4) ends up here. */
static int udrv_stub_irqcontrol(struct uio_info *info, s32 irq_on)
{
	struct udrv_stub_dev *sdev = to_udrv_stub_dev(info);

	if (sdev->irq_kind == UDRV_STUB_IRQ_INTX)
		udrv_stub_intx_control(sdev, irq_on);
	else
		udrv_stub_msi_control(sdev, irq_on);
	return 0;
}

/**
 * udrv_stub_irq_rearm() - unmask the interrupt, as a write of 1 would
 * @sdev: device state
 *
 * Used when /dev/uioN is first opened.
 */
void udrv_stub_irq_rearm(struct udrv_stub_dev *sdev)
{
	if (sdev->irq_kind != UDRV_STUB_IRQ_NONE)
		udrv_stub_irqcontrol(&sdev->info, 1);
}

static int udrv_stub_try_msi(struct udrv_stub_dev *sdev)
{
	int ret;

	ret = pci_alloc_irq_vectors(sdev->pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0)
		return ret;
	sdev->irq_kind = UDRV_STUB_IRQ_MSI;
	sdev->info.irq_flags = 0;
	sdev->info.handler = udrv_stub_msi_handler;
	return 0;
}

static int udrv_stub_try_intx(struct udrv_stub_dev *sdev)
{
	struct pci_dev *pdev = sdev->pdev;
	int ret;

	if (!pdev->irq || pdev->irq == IRQ_NOTCONNECTED) {
		pci_info(pdev, "no INTx line routed\n");
		return -ENODEV;
	}
	/* Without a working Interrupt Disable bit we could not mask. */
	if (!pci_intx_mask_supported(pdev)) {
		pci_warn(pdev, "INTx cannot be masked at the device\n");
		return -ENODEV;
	}

	/* Also clears Interrupt Disable, in case a previous user left it set. */
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_INTX);
	if (ret < 0)
		return ret;
	sdev->irq_kind = UDRV_STUB_IRQ_INTX;
	sdev->info.irq_flags = IRQF_SHARED;
	sdev->info.handler = udrv_stub_intx_handler;
	return 0;
}

/**
 * udrv_stub_irq_init() - pick the interrupt mode and fill the uio_info
 * @sdev: device state
 *
 * Sets info.irq to the Linux IRQ number, so that uio_register_device()
 * requests it with info.handler, and info.irqcontrol.  A device without a
 * usable interrupt gets UIO_IRQ_NONE and is still bound for its BARs.
 *
 * Return: 0, or a negative errno if irq_mode=msi and MSI is unavailable.
 */
int udrv_stub_irq_init(struct udrv_stub_dev *sdev)
{
	struct pci_dev *pdev = sdev->pdev;
	int mode = READ_ONCE(irq_mode);
	int ret = -ENODEV;

	spin_lock_init(&sdev->irq_lock);
	sdev->irq_kind = UDRV_STUB_IRQ_NONE;
	sdev->irq_masked = 0;

	if (mode != UDRV_STUB_IRQ_MODE_INTX &&
	    pci_find_capability(pdev, PCI_CAP_ID_MSI))
		ret = udrv_stub_try_msi(sdev);

	if (mode == UDRV_STUB_IRQ_MODE_MSI && ret) {
		pci_err(pdev, "irq_mode=msi but MSI is unavailable (%d)\n", ret);
		return ret;
	}

	if (ret)
		ret = udrv_stub_try_intx(sdev);

	if (ret) {
		pci_info(pdev, "no usable interrupt, mapping BARs only\n");
		sdev->info.irq = UIO_IRQ_NONE;
		return 0;
	}

	sdev->info.irq = pci_irq_vector(pdev, 0);
	sdev->info.irqcontrol = udrv_stub_irqcontrol;
	return 0;
}

/**
 * udrv_stub_irq_fini() - release the interrupt vectors
 * @sdev: device state
 *
 * Called after uio_unregister_device() has freed the handler (free_irq()
 * shuts the line down whatever its disable depth), or when registration
 * failed.  Leaves INTx disabled at the device, so that an unhandled level
 * interrupt cannot bother whoever shares the line; pci_enable_device() by
 * the next driver clears the bit again.
 */
void udrv_stub_irq_fini(struct udrv_stub_dev *sdev)
{
	if (sdev->irq_kind != UDRV_STUB_IRQ_NONE)
		pci_free_irq_vectors(sdev->pdev);
	pci_intx(sdev->pdev, 0);
	sdev->irq_kind = UDRV_STUB_IRQ_NONE;
}
