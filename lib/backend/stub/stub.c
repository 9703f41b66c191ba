// SPDX-License-Identifier: MIT
/*
 * udrv_stub backend.  The device is /dev/uioN (uio/uio_dev.c) with every
 * memory BAR exported; interrupts are the one mode the stub chose at probe
 * (MSI or INTx), masked by its handler and unmasked with a write of 1 to
 * /dev/uioN (UIO's irqcontrol).  DMA buffers come from the control device
 * (dma.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stub.h"

static int stub_open(struct udrv_device *dev)
{
	struct udrv_stub *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return udrv_err(ENOMEM, "%s: out of memory", dev->name);
	s->ctl_fd = -1;
	ret = udrv_uio_open(dev, &s->uio, "udrv_stub");
	if (ret) {
		free(s);
		return ret;
	}
	dev->priv = s;
	return 0;
}

static void stub_close(struct udrv_device *dev)
{
	struct udrv_stub *s = udrv_stub(dev);

	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	udrv_uio_close(&s->uio);
	free(s);
}

static int stub_irqcontrol(struct udrv_device *dev, int32_t on)
{
	struct udrv_uio *u = &udrv_stub(dev)->uio;

	if (write(u->fd, &on, sizeof(on)) != sizeof(on))
		return udrv_err(errno, "%s: irqcontrol write to /dev/uio%d: %s", dev->name, u->num,
				strerror(errno));
	return 0;
}

static int stub_irq_enable(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec)
{
	char path[PATH_MAX], mode[16];
	enum udrv_irq_type have;
	int ret;

	ret = udrv_sysfs_dev_path(dev, "udrv_stub/irq_mode", path, sizeof(path));
	if (!ret)
		ret = udrv_sysfs_read_str(path, mode, sizeof(mode));
	if (ret)
		return udrv_err(-ret, "%s: cannot read %s", dev->name, path);
	have = !strcmp(mode, "msi") ? UDRV_IRQ_MSI : !strcmp(mode, "intx") ? UDRV_IRQ_INTX : 0;
	if (!have)
		return udrv_err(ENOTSUP, "%s: udrv_stub found no usable interrupt (mode %s)",
				dev->name, mode);
	if (type != UDRV_IRQ_BEST && type != have)
		return udrv_err(ENOTSUP,
				"%s: udrv_stub runs this device in %s mode; for %s set /sys/module/udrv_stub/parameters/irq_mode and rebind",
				dev->name, mode, udrv_irq_type_name(type));
	if (nvec != 1)
		return udrv_err(EINVAL, "%s: udrv_stub delivers one vector, %u asked for", dev->name,
				nvec);
	ret = udrv_uio_irq_setup(dev, have);
	if (ret)
		return ret;
	return stub_irqcontrol(dev, 1);
}

static void stub_irq_disable(struct udrv_device *dev)
{
	stub_irqcontrol(dev, 0);
}

static int stub_irq_rearm(struct udrv_device *dev, unsigned int vec)
{
	(void)vec;
	return stub_irqcontrol(dev, 1);
}

const struct udrv_backend_ops udrv_stub_ops = {
	.path = {
		.backend = UDRV_BACKEND_STUB,
		.name = "stub",
		.driver = "udrv_stub",
		.modules = { "udrv_stub" },
		.remedy = "install udrv_stub.ko (DKMS: kmod/dkms.conf) or load it by hand (insmod build/kmod/udrv_stub.ko)",
		.summary = "/dev/uioN of udrv_stub.ko: every BAR kind, MSI or INTx, coherent and streaming DMA buffers",
	},
	.open = stub_open,
	.close = stub_close,
	UDRV_UIO_DEVICE_OPS,
	.irq_enable = stub_irq_enable,
	.irq_disable = stub_irq_disable,
	.irq_rearm = stub_irq_rearm,
	.dma_alloc = udrv_stub_dma_alloc,
	.dma_free = udrv_stub_dma_free,
	.dma_set_mask = udrv_stub_dma_set_mask,
	.dma_sync = udrv_stub_dma_sync,
};
