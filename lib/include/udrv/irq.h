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
 * stub   the one udrv_stub chose       /dev/uioN (MSI or INTx)
 * UIO    INTx                          /dev/uioN
 * sysfs  none                          -
 * ====== ============================= ===================================
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
 * @nvec: number of vectors (1 for INTx; up to the device's count for MSI/MSI-X)
 *
 * Return: the kind enabled (> 0), or a negative errno: -ENOTSUP when the
 * path cannot deliver that kind (with the kinds it can in the message),
 * -EINVAL for a bad @nvec, -EBUSY if interrupts are already enabled.
 */
int udrv_irq_enable(struct udrv_device *dev, enum udrv_irq_type type, unsigned int nvec);

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
