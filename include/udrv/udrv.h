/* SPDX-License-Identifier: MIT */
/**
 * DOC: libudrv
 *
 * Umbrella header: everything a user-space PCI driver needs from libudrv.
 * Link with ``pkg-config --libs udrv``.
 */
#ifndef UDRV_UDRV_H
#define UDRV_UDRV_H

#include <udrv/error.h>
#include <udrv/pci_addr.h>
#include <udrv/device.h>
#include <udrv/access_path.h>
#include <udrv/caps.h>
#include <udrv/irq.h>
#include <udrv/dma.h>
#include <udrv/dma_pool.h>
#include <udrv/mmio.h>
#include <udrv/iopoll.h>
#include <udrv/pio.h>
#include <udrv/config.h>
#if UDRV_ADMIN
#include <udrv/discover.h>
#include <udrv/bind.h>
#include <udrv/monitor.h>
#endif

#endif /* UDRV_UDRV_H */
