// SPDX-License-Identifier: MIT
/*
 * uio_pci_generic backend.  The device is /dev/uioN (uio_dev.c).
 * uio_pci_generic only exports 32-bit non-prefetchable memory BARs; others
 * fall back to sysfs resourceN (root only).  Interrupts are INTx only:
 * uio_pci_generic's handler masks them with the Command register's
 * INTx-disable bit, and re-arming clears it.  DMA is dma.c.
 */
#include <errno.h>
#include <stdlib.h>

#include <linux/pci_regs.h>

#include "uio_dev.h"

static int uio_open(struct udrv_device *dev)
{
	struct udrv_uio *u = calloc(1, sizeof(*u));
	int ret;

	if (!u)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	ret = udrv_uio_open(dev, u, "uio_pci_generic");
	if (ret) {
		free(u);
		return ret;
	}
	dev->priv = u;
	return 0;
}

static void uio_close(struct udrv_device *dev)
{
	udrv_uio_close(dev->priv);
	free(dev->priv);
}

/* A forked child's copy of the parent's handle: close the child's copies of the fds. */
static void uio_forget(struct udrv_device *dev)
{
	uio_close(dev);
}

/* uio_pci_generic: INTx only, if the device has a pin. */
static int uio_irq_count(struct udrv_device *dev, enum udrv_irq_type type)
{
	uint8_t pin;
	int ret;

	if (type != UDRV_IRQ_INTX)
		return 0;
	ret = udrv_config_read8(dev, PCI_INTERRUPT_PIN, &pin);
	return ret ? ret : pin ? 1 : 0;
}

static int intx_disable(struct udrv_device *dev, bool disable)
{
	return disable ? udrv_update_command(dev, PCI_COMMAND_INTX_DISABLE, 0) :
			 udrv_update_command(dev, 0, PCI_COMMAND_INTX_DISABLE);
}

static int uio_irq_enable(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec)
{
	uint8_t pin;
	int ret;

	if (type != UDRV_IRQ_BEST && type != UDRV_IRQ_INTX)
		return udrv_err(ENOTSUP,
				"%s: uio_pci_generic delivers INTx only; bind the device to udrv_stub or vfio-pci for %s",
				dev->name, udrv_irq_type_name(type));
	if (nvec != 1)
		return udrv_err(EINVAL, "%s: INTx has one vector, %u asked for", dev->name, nvec);
	ret = udrv_config_read8(dev, PCI_INTERRUPT_PIN, &pin);
	if (ret)
		return ret;
	if (!pin)
		return udrv_err(ENOTSUP, "%s: has no INTx pin, and uio_pci_generic has no MSI",
				dev->name);
	ret = udrv_uio_irq_setup(dev, UDRV_IRQ_INTX);
	if (ret)
		return ret;
	return intx_disable(dev, false);
}

static void uio_irq_disable(struct udrv_device *dev)
{
	intx_disable(dev, true);
}

static int uio_irq_rearm(struct udrv_device *dev, unsigned int vec)
{
	(void)vec;
	return intx_disable(dev, false);
}

const struct udrv_backend_ops udrv_uio_ops = {
	.path = {
		.backend = UDRV_BACKEND_UIO,
		.name = "uio",
		.driver = "uio_pci_generic",
		.modules = { "uio_pci_generic" },
		.remedy = "load it by hand (modprobe uio_pci_generic), or use a kernel with CONFIG_UIO_PCI_GENERIC",
		.summary = "/dev/uioN of uio_pci_generic: 32-bit memory BARs, INTx, DMA to huge pages without an IOMMU",
	},
	.open = uio_open,
	.close = uio_close,
	UDRV_UIO_DEVICE_OPS,
	.irq_count = uio_irq_count,
	.irq_enable = uio_irq_enable,
	.irq_disable = uio_irq_disable,
	.irq_rearm = uio_irq_rearm,
	.dma_alloc = udrv_uio_dma_alloc,
	.dma_free = udrv_uio_dma_free,
	.forget = uio_forget,
};
