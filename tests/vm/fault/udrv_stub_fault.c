// SPDX-License-Identifier: GPL-2.0
/*
 * udrv_stub_fault - planted kernel bugs that prove udrv-vm's log scanner on
 * the debug guest kernel (tests/vm/planted_faults.sh).  Never loaded
 * outside that test.  Its name contains "udrv_stub" so that a kmemleak
 * report of its leak names udrv_stub, as one of the stub's own would.
 *
 *   insmod udrv_stub_fault.ko fault=uaf       KASAN: slab-use-after-free
 *   insmod udrv_stub_fault.ko fault=lockdep   lockdep: circular locking (AB-BA)
 *   insmod udrv_stub_fault.ko fault=dma-api   DMA-API: unmap with a different
 *                                            size (on edu, 1234:11e8)
 *   insmod udrv_stub_fault.ko fault=leak      kmemleak: an unreferenced object
 *   insmod udrv_stub_fault.ko fault=none      nothing (the control run)
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *fault = "none";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault, "uaf, lockdep, dma-api, leak or none");

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);
static void *leaked;

static int plant_uaf(void)
{
	u8 *p = kmalloc(64, GFP_KERNEL);

	if (!p)
		return -ENOMEM;
	kfree(p);
	pr_info("udrv_stub_fault: read after free: %u\n", READ_ONCE(p[8]));
	return 0;
}

static int plant_lockdep(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);
	/* The other order: lockdep sees the possible deadlock at once. */
	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
	return 0;
}

static int plant_dma_api(void)
{
	struct pci_dev *pdev = pci_get_device(0x1234, 0x11e8, NULL);
	dma_addr_t addr;
	void *buf;
	int ret = 0;

	if (!pdev)
		return -ENODEV;
	buf = kmalloc(64, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	addr = dma_map_single(&pdev->dev, buf, 64, DMA_TO_DEVICE);
	if (dma_mapping_error(&pdev->dev, addr)) {
		ret = -EIO;
	} else {
		/* Unmapped with the wrong size: a DMA-API rule broken. */
		dma_unmap_single(&pdev->dev, addr, 32, DMA_TO_DEVICE);
	}
	kfree(buf);
out:
	pci_dev_put(pdev);
	return ret;
}

/* Not __init: the backtrace of the leak then names this module's text. */
static noinline int plant_leak(void)
{
	leaked = kmalloc(128, GFP_KERNEL);
	if (!leaked)
		return -ENOMEM;
	leaked = NULL;	/* the only reference is gone */
	return 0;
}

static int __init udrv_stub_fault_init(void)
{
	if (!strcmp(fault, "uaf"))
		return plant_uaf();
	if (!strcmp(fault, "lockdep"))
		return plant_lockdep();
	if (!strcmp(fault, "dma-api"))
		return plant_dma_api();
	if (!strcmp(fault, "leak"))
		return plant_leak();
	return strcmp(fault, "none") ? -EINVAL : 0;
}

static void __exit udrv_stub_fault_exit(void)
{
}

module_init(udrv_stub_fault_init);
module_exit(udrv_stub_fault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Planted bugs for udrv-vm's debug-kernel log scanner");
