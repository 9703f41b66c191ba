// SPDX-License-Identifier: GPL-2.0
/*
 * udrv_stub - give user space a PCI device's BARs and interrupt via UIO.
 *
 * uio_pci_generic exposes only 32-bit, non-prefetchable memory BARs and
 * legacy INTx.  udrv_stub exposes every BAR (32/64-bit, prefetchable or
 * not, I/O ports) and uses MSI when the device has it.
 *
 * The driver has no ID table: it binds only to devices it is told about.
 *
 *   echo udrv_stub > /sys/bus/pci/devices/0000:00:04.0/driver_override
 *   echo 0000:00:04.0 > /sys/bus/pci/drivers/<old driver>/unbind   (if bound)
 *   echo 0000:00:04.0 > /sys/bus/pci/drivers_probe
 *
 * What user space then finds:
 *
 *   /dev/uioN                         mmap() a BAR, read() interrupts
 *   /dev/udrv/<bdf>                   ioctls: DMA buffers as dma-buf fds,
 *                                     DMA mask, bus mastering, interrupt
 *                                     vectors with eventfds, INTx ack
 *                                     program; mmap() of BARs, uncached
 *                                     or write-combining (<linux/udrv_stub.h>,
 *                                     udrv_stub_ctl.c, udrv_stub_dmabuf.c)
 *   /sys/class/uio/uioN/name          "udrv_stub"
 *   /sys/class/uio/uioN/maps/mapK/    memory BARs in BAR order:
 *       name    "BAR<n>"  (K is not n: I/O and 64-bit BARs shift the count)
 *       addr    physical address of the BAR (as lspci shows it)
 *       offset  addr % PAGE_SIZE: where the BAR starts inside the mapping
 *       size    length of the BAR in bytes
 *   /sys/class/uio/uioN/portio/portK/ I/O-port BARs (name, start, size)
 *   /sys/bus/pci/devices/<bdf>/udrv_stub/
 *       irq_mode   "msi", "msix", "intx" or "none": the type in use
 *                  (see udrv_stub_irq.c)
 *       dma_bits   DMA mask width in force
 *       mappings   number of live BAR mappings (debugging aid)
 *       dma_buffers  number of live DMA buffers (debugging aid)
 *
 * To map BAR n: find K with maps/mapK/name == "BAR<n>", then
 *   p = mmap(NULL, round_up(offset + size, PAGE_SIZE), PROT_READ | PROT_WRITE,
 *            MAP_SHARED, fd, K * PAGE_SIZE);
 * and the BAR's first register is at p + offset.
 *
 * Bus mastering (needed for MSI and DMA) is never turned on implicitly:
 * user space asks for it with the SET_MASTER ioctl, through which the stub
 * sees every enable.  It is cleared again on the last close of /dev/uioN.
 * That alone does not make a dead driver's device harmless: a transfer may
 * still be pending in the device and proceed as soon as mastering is back
 * on.  So DMA buffers released while the device may still use them are
 * quarantined until the device has been quiesced (reset, or a drain with
 * mastering off): see udrv_stub_dma_quiesce() and udrv_stub_dmabuf.c.
 *
 * This file holds probe/remove and the module glue; the BARs and their
 * mmap path live in udrv_stub_mmap.c, interrupts in udrv_stub_irq.c, the
 * control device in udrv_stub_ctl.c and the DMA buffers in
 * udrv_stub_dmabuf.c.
 */

#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uio_driver.h>

#include <linux/udrv_stub.h>

#include "udrv_stub.h"

#define UDRV_STUB_DMA_BITS_MIN	24
#define UDRV_STUB_DMA_BITS_MAX	64

static unsigned int dma_bits = UDRV_STUB_DMA_BITS_MAX;

static int dma_bits_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, UDRV_STUB_DMA_BITS_MIN,
				     UDRV_STUB_DMA_BITS_MAX);
}

static const struct kernel_param_ops dma_bits_ops = {
	.set = dma_bits_set,
	.get = param_get_uint,
};

module_param_cb(dma_bits, &dma_bits_ops, &dma_bits, 0644);
MODULE_PARM_DESC(dma_bits,
		 "DMA address width to request at probe, 24-64 (default 64; a refused width above 32 falls back to 32)");

static void udrv_stub_release(struct kref *ref)
{
	struct udrv_stub_dev *sdev = container_of(ref, struct udrv_stub_dev, ref);

	pci_dev_put(sdev->pdev);
	mutex_destroy(&sdev->irq_mutex);
	mutex_destroy(&sdev->dma_lock);
	mutex_destroy(&sdev->lock);
	kfree(sdev);
}

/**
 * udrv_stub_get() - take a reference on the per-device state
 * @sdev: device state
 */
void udrv_stub_get(struct udrv_stub_dev *sdev)
{
	kref_get(&sdev->ref);
}

/**
 * udrv_stub_put() - drop a reference; the last one frees the state
 * @sdev: device state
 *
 * Context: process context (may sleep in pci_dev_put()).
 */
void udrv_stub_put(struct udrv_stub_dev *sdev)
{
	kref_put(&sdev->ref, udrv_stub_release);
}

static unsigned int quiesce_ms = 1000;

static int quiesce_ms_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, 60000);
}

static const struct kernel_param_ops quiesce_ms_ops = {
	.set = quiesce_ms_set,
	.get = param_get_uint,
};

module_param_cb(quiesce_ms, &quiesce_ms_ops, &quiesce_ms, 0644);
MODULE_PARM_DESC(quiesce_ms,
		 "How long bus mastering stays off before the DMA memory of a device that cannot be reset is freed, in ms, 0-60000 (default 1000)");

/* Mark the device quiet and free its quarantine.  Caller holds sdev->lock. */
static unsigned int udrv_stub_set_quiet(struct udrv_stub_dev *sdev)
{
	unsigned int n = 0;

	mutex_lock(&sdev->dma_lock);
	sdev->dma_quiet = 1;
	if (udrv_stub_dma_quiet(sdev))	/* also checks the Command register */
		n = udrv_stub_free_quarantine(sdev);
	mutex_unlock(&sdev->dma_lock);
	return n;
}

/*
 * The drain of a device that could not be reset: if bus mastering stayed
 * off for the whole period (not turned on, no other quiesce since),
 * whatever the device had pending was dropped, and its quarantine can go.
 * Opening /dev/uioN does not matter: it no longer turns mastering on, and
 * mastering set through config space is seen by udrv_stub_dma_quiet().
 */
static void udrv_stub_drain_fn(struct work_struct *work)
{
	struct udrv_stub_dev *sdev = container_of(to_delayed_work(work),
						  struct udrv_stub_dev, drain);
	unsigned int n = 0;

	mutex_lock(&sdev->lock);
	if (sdev->drain_gen == sdev->quiesce_gen) {
		sdev->drain_queued = 0;
		if (!sdev->revoked)
			n = udrv_stub_set_quiet(sdev);
	}
	mutex_unlock(&sdev->lock);
	if (n)
		dev_dbg(&sdev->pdev->dev, "drained: %u quarantined buffer(s) freed\n",
			n);
	udrv_stub_put(sdev);	/* the reference of the queued work */
}

/**
 * udrv_stub_dma_quiesce() - stop the device's DMA, free what it may target
 * @sdev: device state; caller holds sdev->lock
 * @mode: how to wait for a device that cannot be reset
 * @how: out, optional: UDRV_STUB_QUIESCED_* (what made the device quiet)
 *
 * Clears bus mastering and, if any DMA buffer exists (live or
 * quarantined), waits for the transactions the function reports pending
 * and resets it where it can be reset (as vfio-pci does on its last
 * close).  A device without a reset method may still hold a transfer it
 * will perform once mastering is back on, so it is only quiet after a
 * drain of quiesce_ms with mastering off: in the background
 * (UDRV_STUB_DRAIN_ASYNC; the next open cancels it), or here
 * (UDRV_STUB_DRAIN_SYNC, interruptible).  Once quiet, the quarantine is
 * freed.  Bus mastering stays off; the caller turns it on again.
 *
 * Return: 0, or -EINTR if a synchronous drain was interrupted.
 */
int udrv_stub_dma_quiesce(struct udrv_stub_dev *sdev,
			  enum udrv_stub_drain mode, u32 *how)
{
	struct pci_dev *pdev = sdev->pdev;
	unsigned int ms = READ_ONCE(quiesce_ms);
	bool busy;
	int ret;

	lockdep_assert_held(&sdev->lock);
	pci_clear_master(pdev);
	sdev->master = 0;
	sdev->drain_queued = 0;
	sdev->quiesce_gen++;	/* a drain still queued is out of date */

	mutex_lock(&sdev->dma_lock);
	busy = (sdev->nr_buffers || sdev->nr_quarantined) &&
	       !udrv_stub_dma_quiet(sdev);
	mutex_unlock(&sdev->dma_lock);
	if (!busy) {
		if (how)
			*how = UDRV_STUB_QUIESCED_IDLE;
		udrv_stub_set_quiet(sdev);
		return 0;
	}

	if (!pci_wait_for_pending_transaction(pdev))
		pci_warn(pdev, "transactions still pending after clearing bus mastering\n");

	if (mode == UDRV_STUB_DRAIN_REMOVE)
		ret = pci_reset_function_locked(pdev);
	else
		ret = pci_try_reset_function(pdev);
	if (!ret) {
		if (how)
			*how = UDRV_STUB_QUIESCED_RESET;
		udrv_stub_set_quiet(sdev);
		return 0;
	}

	if (how)
		*how = UDRV_STUB_QUIESCED_DRAINED;
	if (mode == UDRV_STUB_DRAIN_ASYNC) {
		if (sdev->revoked)
			return 0;
		sdev->drain_gen = sdev->quiesce_gen;
		sdev->drain_queued = 1;
		/* A queued or running work holds its own reference. */
		if (!mod_delayed_work(system_wq, &sdev->drain,
				      msecs_to_jiffies(ms)))
			udrv_stub_get(sdev);
		return 0;
	}
	if (mode == UDRV_STUB_DRAIN_REMOVE)
		msleep(ms);
	else if (msleep_interruptible(ms))
		return -EINTR;
	udrv_stub_set_quiet(sdev);
	return 0;
}

/**
 * udrv_stub_master_on() - turn bus mastering on; the device is no longer quiet
 * @sdev: device state; caller holds sdev->lock, the device is not revoked
 *
 * Turning mastering on ends the quiet state: buffers released from then on
 * are quarantined.  Once remove() has begun (revoked), mastering stays off.
 */
void udrv_stub_master_on(struct udrv_stub_dev *sdev)
{
	lockdep_assert_held(&sdev->lock);
	sdev->quiesce_gen++;	/* cancels a drain in progress */
	sdev->drain_queued = 0;
	mutex_lock(&sdev->dma_lock);
	sdev->dma_quiet = 0;
	mutex_unlock(&sdev->dma_lock);
	pci_set_master(sdev->pdev);
	sdev->master = 1;
}

/**
 * udrv_stub_set_master() - SET_MASTER: bus mastering on or off
 * @sdev: device state
 * @on: turn it on (true) or off
 * @freed: out: quarantined buffers freed by a drain completed first
 *
 * Turning it on while a drain queued by a previous user's last close is
 * still running completes that drain first (synchronously, as QUIESCE
 * does), rather than cancelling it: what that user left pending in the
 * device must not reach memory the quarantine gives back.
 *
 * Return: 0, -EINTR (a signal ended the drain; mastering stays off) or
 * -ENODEV (device unbound).
 */
int udrv_stub_set_master(struct udrv_stub_dev *sdev, bool on, u32 *freed)
{
	unsigned int before;
	int ret = 0;

	*freed = 0;
	mutex_lock(&sdev->lock);
	if (sdev->revoked) {
		ret = -ENODEV;
	} else if (!on) {
		pci_clear_master(sdev->pdev);
		sdev->master = 0;
	} else if (!sdev->master) {
		if (sdev->drain_queued && sdev->drain_gen == sdev->quiesce_gen) {
			before = READ_ONCE(sdev->nr_quarantined);
			ret = udrv_stub_dma_quiesce(sdev, UDRV_STUB_DRAIN_SYNC,
						    NULL);
			*freed = before - READ_ONCE(sdev->nr_quarantined);
		}
		if (!ret)
			udrv_stub_master_on(sdev);
	}
	mutex_unlock(&sdev->lock);
	return ret;
}

/*
 * uio_info.open/.release run under the UIO core's info_lock for every
 * open()/last close() of /dev/uioN.  The first opener gets a re-armed
 * interrupt (a previous user may have died with it masked), but not bus
 * mastering (SET_MASTER); the last close stops the device from issuing
 * DMA or MSI writes and quiesces it (udrv_stub_dma_quiesce()).
 */
static int udrv_stub_open(struct uio_info *info, struct inode *inode)
{
	struct udrv_stub_dev *sdev = to_udrv_stub_dev(info);

	mutex_lock(&sdev->lock);
	if (sdev->open_count++ == 0 && !sdev->revoked)
		udrv_stub_irq_rearm(sdev);
	mutex_unlock(&sdev->lock);
	return 0;
}

static int udrv_stub_uio_release(struct uio_info *info, struct inode *inode)
{
	struct udrv_stub_dev *sdev = to_udrv_stub_dev(info);

	mutex_lock(&sdev->lock);
	if (--sdev->open_count == 0 && !sdev->revoked)
		udrv_stub_dma_quiesce(sdev, UDRV_STUB_DRAIN_ASYNC, NULL);
	mutex_unlock(&sdev->lock);
	return 0;
}

static int udrv_stub_set_dma_mask(struct udrv_stub_dev *sdev)
{
	struct device *dev = &sdev->pdev->dev;
	unsigned int bits = READ_ONCE(dma_bits);
	int ret;

	ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(bits));
	if (ret && bits > 32) {
		dev_info(dev, "%u-bit DMA refused, falling back to 32-bit\n",
			 bits);
		bits = 32;
		ret = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(bits));
	}
	if (ret) {
		dev_err(dev, "no usable DMA mask (%d)\n", ret);
		return ret;
	}
	sdev->dma_bits = bits;

	/*
	 * The PCI core's default DMA segment limit is 64 KiB.  User space
	 * gets the segment list and splits it as its device needs, so let
	 * an IOMMU merge a streaming buffer into one segment.
	 */
	dma_set_max_seg_size(dev, UINT_MAX);
	return 0;
}

static int udrv_stub_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct udrv_stub_dev *sdev;
	int ret;

	/* Like vfio-pci: a bridge's windows and bus numbers are not ours. */
	if (pdev->hdr_type != PCI_HEADER_TYPE_NORMAL) {
		pci_err(pdev, "not a type 0 function (a bridge?): udrv_stub does not bind it\n");
		return -EINVAL;
	}

	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL);
	if (!sdev)
		return -ENOMEM;
	kref_init(&sdev->ref);
	sdev->pdev = pci_dev_get(pdev);
	mutex_init(&sdev->lock);
	INIT_LIST_HEAD(&sdev->files);
	mutex_init(&sdev->dma_lock);
	mutex_init(&sdev->irq_mutex);
	spin_lock_init(&sdev->irq_lock);
	INIT_LIST_HEAD(&sdev->buffers);
	INIT_LIST_HEAD(&sdev->quarantine);
	sdev->dma_quiet = 1;	/* no buffer of ours exists yet */
	INIT_DELAYED_WORK(&sdev->drain, udrv_stub_drain_fn);
	sdev->old_max_seg = dma_get_max_seg_size(&pdev->dev);
	atomic_set(&sdev->nr_mappings, 0);
	pci_set_drvdata(pdev, sdev);

	ret = pci_enable_device(pdev);
	if (ret) {
		dev_err(&pdev->dev, "cannot enable device (%d)\n", ret);
		goto err_put;
	}

	ret = udrv_stub_set_dma_mask(sdev);
	if (ret)
		goto err_disable;

	ret = udrv_stub_bars_init(sdev);
	if (ret)
		goto err_disable;

	/* Claim exactly the BARs we expose; they show up in /proc/iomem. */
	ret = pci_request_selected_regions(pdev, sdev->bar_mask, UDRV_STUB_NAME);
	if (ret) {
		dev_err(&pdev->dev, "BARs busy (%d)\n", ret);
		goto err_bars;
	}

	ret = udrv_stub_irq_init(sdev);
	if (ret)
		goto err_regions;

	sdev->info.name = UDRV_STUB_NAME;
	sdev->info.version = UDRV_STUB_VERSION;
	sdev->info.mmap = udrv_stub_mmap;
	sdev->info.open = udrv_stub_open;
	sdev->info.release = udrv_stub_uio_release;

	/*
	 * Not the devm_ variant: remove() must revoke the BAR mappings and
	 * free the IRQ handlers (which notify the UIO device) before the
	 * UIO device goes away, so it does the steps in order itself.
	 */
	ret = uio_register_device(&pdev->dev, &sdev->info);
	if (ret) {
		dev_err(&pdev->dev, "cannot register UIO device (%d)\n", ret);
		goto err_irq;
	}

	/* The handlers notify the UIO device: request them once it exists. */
	ret = udrv_stub_irq_start(sdev);
	if (ret)
		goto err_uio;

	ret = udrv_stub_ctl_init(sdev);
	if (ret)
		goto err_uio;

	dev_info(&pdev->dev, "uio%d, /dev/%s: %u memory BAR(s), irq %s, %u-bit DMA\n",
		 sdev->info.uio_dev->minor, sdev->ctl_nodename, sdev->nr_maps,
		 udrv_stub_irq_kind_name(sdev->irq_kind), sdev->dma_bits);
	return 0;

err_uio:
	/* Mappings made since uio_register_device() must not outlive the BARs. */
	udrv_stub_mmap_revoke(sdev);
	udrv_stub_irq_fini(sdev);
	uio_unregister_device(&sdev->info);
	goto err_regions;
err_irq:
	udrv_stub_irq_fini(sdev);
err_regions:
	pci_release_selected_regions(pdev, sdev->bar_mask);
err_bars:
	udrv_stub_bars_fini(sdev);
err_disable:
	dma_set_max_seg_size(&pdev->dev, sdev->old_max_seg);
	pci_disable_device(pdev);
err_put:
	pci_set_drvdata(pdev, NULL);
	udrv_stub_put(sdev);
	return ret;
}

static void udrv_stub_remove(struct pci_dev *pdev)
{
	struct udrv_stub_dev *sdev = pci_get_drvdata(pdev);

	/*
	 * 0. Stop the device from reaching memory before anything else; from
	 *    now on nothing turns bus mastering back on (udrv_stub_open()
	 *    checks "revoked") and no drain runs.
	 */
	mutex_lock(&sdev->lock);
	sdev->revoked = 1;
	pci_clear_master(pdev);
	sdev->master = 0;
	sdev->drain_queued = 0;
	sdev->quiesce_gen++;
	mutex_unlock(&sdev->lock);
	if (cancel_delayed_work_sync(&sdev->drain))
		udrv_stub_put(sdev);

	/*
	 * 0b. Remove /dev/udrv/<address>; ioctls on open files now fail with
	 *     ENODEV and no buffer is allocated any more.  Quiesce the device
	 *     (reset, or drain with mastering off), then take every buffer
	 *     away from it and from user space, freeing all DMA memory while
	 *     the driver is still bound: no DMA API call after remove().
	 */
	udrv_stub_ctl_fini(sdev);
	mutex_lock(&sdev->lock);
	udrv_stub_dma_quiesce(sdev, UDRV_STUB_DRAIN_REMOVE, NULL);
	mutex_unlock(&sdev->lock);
	udrv_stub_bufs_revoke(sdev);

	/*
	 * 1. Take the BARs away from user space: zap every mapping's page
	 *    table entries and make later faults raise SIGBUS.  Done first,
	 *    while uioN (and thus the device node's inode) is still ours.
	 */
	udrv_stub_mmap_revoke(sdev);

	/*
	 * 2. Free every IRQ handler (they notify the UIO device) and vector,
	 *    unmap the ack program's registers, silence INTx.  Control files
	 *    that owned vectors find nothing left to release.
	 */
	udrv_stub_irq_fini(sdev);

	/*
	 * 3. The UIO core drops its pointer to sdev->info (read/write/mmap on
	 *    open fds now fail) and wakes readers blocked in read()/poll().
	 */
	uio_unregister_device(&sdev->info);

	/* 4. Nothing can reach the BARs any more: release them. */
	pci_release_selected_regions(pdev, sdev->bar_mask);
	udrv_stub_bars_fini(sdev);

	/* 5. Bus mastering is already off. */
	dma_set_max_seg_size(&pdev->dev, sdev->old_max_seg);
	pci_disable_device(pdev);

	pci_set_drvdata(pdev, NULL);
	/*
	 * Freed now, or by the last munmap() of a revoked BAR mapping, close
	 * of the control device or release of a (now empty) DMA buffer.
	 */
	udrv_stub_put(sdev);
}

static ssize_t mappings_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct udrv_stub_dev *sdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", atomic_read(&sdev->nr_mappings));
}
static DEVICE_ATTR_RO(mappings);

static ssize_t irq_mode_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct udrv_stub_dev *sdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n",
			  udrv_stub_irq_kind_name(READ_ONCE(sdev->irq_kind)));
}
static DEVICE_ATTR_RO(irq_mode);

static ssize_t dma_bits_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct udrv_stub_dev *sdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(sdev->dma_bits));
}
static DEVICE_ATTR_RO(dma_bits);

static ssize_t dma_buffers_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct udrv_stub_dev *sdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(sdev->nr_buffers));
}
static DEVICE_ATTR_RO(dma_buffers);

static ssize_t dma_quarantined_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	struct udrv_stub_dev *sdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(sdev->nr_quarantined));
}
static DEVICE_ATTR_RO(dma_quarantined);

static ssize_t dma_pinned_kb_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct udrv_stub_dev *sdev = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%llu\n", READ_ONCE(sdev->pinned) >> 10);
}
static DEVICE_ATTR_RO(dma_pinned_kb);

static struct attribute *udrv_stub_attrs[] = {
	&dev_attr_mappings.attr,
	&dev_attr_irq_mode.attr,
	&dev_attr_dma_bits.attr,
	&dev_attr_dma_buffers.attr,
	&dev_attr_dma_quarantined.attr,
	&dev_attr_dma_pinned_kb.attr,
	NULL
};

/* Created by the driver core after probe(), removed before remove(). */
static const struct attribute_group udrv_stub_group = {
	.name = UDRV_STUB_NAME,
	.attrs = udrv_stub_attrs,
};

static const struct attribute_group *udrv_stub_groups[] = {
	&udrv_stub_group,
	NULL
};

/* Reboot and kexec: the next kernel must not inherit a mastering device. */
static void udrv_stub_shutdown(struct pci_dev *pdev)
{
	pci_clear_master(pdev);
}

static struct pci_driver udrv_stub_driver = {
	.name = UDRV_STUB_NAME,
	.id_table = NULL,	/* bound through driver_override only */
	.probe = udrv_stub_probe,
	.remove = udrv_stub_remove,
	.shutdown = udrv_stub_shutdown,
	.dev_groups = udrv_stub_groups,
};

/*
 * No state is left at unload: every buffer, open file and VMA holds the
 * module, and remove() cancels the drain work.
 */
module_pci_driver(udrv_stub_driver);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("udrv developers");
MODULE_DESCRIPTION("Expose a PCI device's BARs, MSI/INTx interrupt and DMA buffers (dma-buf) to user space");
MODULE_VERSION(UDRV_STUB_VERSION);
