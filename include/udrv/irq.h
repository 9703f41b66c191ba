/* SPDX-License-Identifier: MIT */
/**
 * DOC: interrupts
 *
 * A device's interrupts arrive as events on file descriptors: one per
 * vector, pollable (put it in your epoll set) or waited on with
 * udrv_irq_wait().  After handling an event — which includes making the
 * device stop asserting it, with whatever register the device defines —
 * call udrv_irq_rearm(): it hides what each access path needs to deliver
 * the next one (VFIO INTx unmask; udrv_stub's irqcontrol write; clearing
 * the Command register's INTx-disable bit for uio_pci_generic; nothing for
 * MSI/MSI-X).
 *
 * ====== ============================= ===================================
 * path   kinds                         event fd
 * ====== ============================= ===================================
 * VFIO   INTx, MSI, MSI-X (N vectors)  one eventfd per vector
 * stub   INTx, MSI, MSI-X (N vectors)  one eventfd per vector
 * UIO    INTx                          /dev/uioN
 * sysfs  none                          -
 * ====== ============================= ===================================
 *
 * How many vectors each kind offers on this device and path:
 * udrv_irq_count().  "The best kind, up to N vectors", as the kernel's
 * pci_alloc_irq_vectors(): udrv_irq_enable_range(), which returns how many
 * were granted.
 *
 * MSI and MSI-X are memory writes by the device: they are delivered only
 * while bus mastering is on, and nothing here turns it on (see
 * <udrv/device.h>, "Bus mastering"): call udrv_set_bus_master(dev, 1).
 * INTx needs no bus mastering.
 *
 * Thread safety: enabling, disabling and re-arming must not race with other
 * interrupt calls on the same device.  Each vector is for one waiting
 * thread at a time: udrv_irq_wait() on different vectors may run in
 * parallel, two threads waiting on the same vector race for its events
 * (and on UIO, with its one vector, for the event count).
 */
#ifndef UDRV_IRQ_H
#define UDRV_IRQ_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_device;

/**
 * enum udrv_irq_type - kind of interrupt
 * @UDRV_IRQ_BEST: MSI-X, else MSI, else INTx, whichever the path offers first
 * @UDRV_IRQ_INTX: legacy pin interrupt (level, possibly shared)
 * @UDRV_IRQ_MSI:  message-signalled interrupts
 * @UDRV_IRQ_MSIX: MSI-X
 */
enum udrv_irq_type {
	UDRV_IRQ_BEST = 0,
	UDRV_IRQ_INTX,
	UDRV_IRQ_MSI,
	UDRV_IRQ_MSIX,
};

/**
 * udrv_irq_type_name() - short name of an interrupt kind
 * @type: a kind
 *
 * Return: "best", "intx", "msi", "msix", or "?" for unknown values.
 */
const char *udrv_irq_type_name(enum udrv_irq_type type);

/**
 * udrv_irq_enable() - start delivering interrupts
 * @dev:  the device
 * @type: kind wanted, or %UDRV_IRQ_BEST
 * @nvec: number of vectors, exactly (1 for INTx; up to the device's count
 *        for MSI/MSI-X)
 *
 * %UDRV_IRQ_BEST takes the first of MSI-X, MSI and INTx that has @nvec
 * vectors; where only INTx is left (uio_pci_generic), @nvec > 1 fails with
 * -EINVAL.  To take what there is, up to a number, use
 * udrv_irq_enable_range().  Bus mastering is not touched.
 *
 * Return: the kind enabled (> 0), or a negative errno: -ENOTSUP when the
 * path cannot deliver that kind (with the kinds it can in the message),
 * -EINVAL for a bad @type or @nvec, -EBUSY if interrupts are already
 * enabled, -EBADF (a handle inherited across fork()), -ENOMEM, or the
 * errno of the kernel's refusal (VFIO_DEVICE_SET_IRQS, udrv_stub's
 * SET_IRQS: -ENOSPC when the platform has no vectors left).
 */
int udrv_irq_enable(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec);

/**
 * udrv_irq_count() - how many vectors a kind of interrupt offers
 * @dev:  the device
 * @type: %UDRV_IRQ_INTX, %UDRV_IRQ_MSI, %UDRV_IRQ_MSIX, or %UDRV_IRQ_BEST
 *        for the count of the first of MSI-X, MSI, INTx that has any
 *
 * What this device offers through this access path, before enabling
 * anything: VFIO asks vfio-pci (VFIO_DEVICE_GET_IRQ_INFO), uio_pci_generic
 * offers INTx only, the others read the interrupt pin and the MSI and
 * MSI-X capabilities.  INTx counts 1 if the device has a pin.
 *
 * Return: the number of vectors (0: none, also on a path without
 * interrupts), or a negative errno: -EINVAL unknown @type, -EBADF (a
 * handle inherited across fork()), or the errors of udrv_config_read().
 */
int udrv_irq_count(struct udrv_device *dev, enum udrv_irq_type type);

/**
 * udrv_irq_enable_range() - enable the best kind, up to a number of vectors
 * @dev:     the device
 * @type:    %UDRV_IRQ_BEST (MSI-X, else MSI, else INTx), or one kind
 * @min_vec: fewest vectors the driver can work with (>= 1)
 * @max_vec: most vectors it wants
 *
 * Like the kernel's pci_alloc_irq_vectors(): takes the first kind that has
 * at least @min_vec vectors and enables as many of them as it has, up to
 * @max_vec (INTx has one).  If the kernel refuses that kind, the next one
 * is tried.  udrv_irq_enabled() tells which kind it was.  On edu, "best,
 * up to 4" grants 1: INTx on uio_pci_generic, MSI elsewhere.
 *
 * Return: the number of vectors enabled (>= @min_vec), or a negative
 * errno: -ENOTSUP (no kind has @min_vec vectors on this path; the message
 * lists what each offers), -EINVAL (@type unknown, @min_vec 0 or above
 * @max_vec), -EBUSY (interrupts already enabled), -EBADF (a handle
 * inherited across fork()), or the errors of udrv_irq_enable() for the
 * last kind tried.
 */
int udrv_irq_enable_range(struct udrv_device *dev, enum udrv_irq_type type, unsigned int min_vec,
			  unsigned int max_vec);

/**
 * udrv_irq_enabled() - which interrupts are enabled
 * @dev:  the device
 * @nvec: set to the number of vectors (0 if none), or NULL
 *
 * Return: the kind enabled, or 0 (%UDRV_IRQ_BEST) if none is.
 */
enum udrv_irq_type udrv_irq_enabled(struct udrv_device *dev, unsigned int *nvec);

/**
 * udrv_irq_disable() - stop delivering interrupts and close their fds
 * @dev: the device; a no-op if interrupts are not enabled
 */
void udrv_irq_disable(struct udrv_device *dev);

/**
 * udrv_irq_fd() - the pollable fd of a vector
 * @dev: the device
 * @vec: vector, 0..nvec-1
 *
 * The fd is owned by libudrv and blocking; it becomes readable (POLLIN) when
 * an event is pending.  Consume events with udrv_irq_wait(dev, vec, 0, &n),
 * not read().
 *
 * Return: the fd, or a negative errno.
 */
int udrv_irq_fd(struct udrv_device *dev, unsigned int vec);

/**
 * udrv_irq_wait() - wait for events on a vector
 * @dev:        the device
 * @vec:        vector
 * @timeout_ms: -1 to wait for ever (one blocking read(), as a hand-written
 *              driver would do; poll() if the fd was made non-blocking), 0
 *              to poll, else milliseconds (poll() first)
 * @events:     set to the number of events since the last wait (>= 1)
 *
 * Return: 0 with @events set; -ETIMEDOUT when nothing arrived in time (with a
 * message like any failure: "no interrupt on vector 0 within 100 ms"); -EINVAL
 * interrupts not enabled or @vec out of range; -EIO the fd reports an error
 * (device unbound?); or the errno of a failed poll() or read().
 */
int udrv_irq_wait(struct udrv_device *dev, unsigned int vec, int timeout_ms, uint64_t *events);

/**
 * udrv_irq_rearm() - let the next interrupt of a vector through
 * @dev: the device
 * @vec: vector
 *
 * Call after the device stopped asserting the interrupt (INTx is level
 * triggered: rearming before that reports the same interrupt again).
 *
 * Return: 0 or a negative errno.
 */
int udrv_irq_rearm(struct udrv_device *dev, unsigned int vec);

/**
 * udrv_irq_trigger() - raise a vector's event from software (VFIO only)
 * @dev: the device
 * @vec: vector
 *
 * Return: 0, -ENOTSUP on other paths, or a negative errno.
 */
int udrv_irq_trigger(struct udrv_device *dev, unsigned int vec);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_IRQ_H */
