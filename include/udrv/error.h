/* SPDX-License-Identifier: MIT */
/**
 * DOC: errors
 *
 * Every libudrv function that can fail returns a negative errno value and
 * records a human-readable message for the calling thread; no function
 * returns NULL for an error or sets errno.  The message names the device or
 * argument at fault and, where there is one, the remedy.  Timeouts are
 * failures like the others: -ETIMEDOUT from udrv_irq_wait(), -EAGAIN from
 * udrv_monitor_read(), each with its message.  Success leaves the message
 * as it was, and so do the functions that release things (udrv_close(),
 * udrv_irq_disable(), udrv_bar_unmap(), udrv_pci_free(),
 * udrv_monitor_close()), so a failure's message survives the cleanup after
 * it; the one exception is udrv_dma_free() of a buffer that could not be
 * released, which says so.  Functions that cannot fail (udrv_backend_name(),
 * udrv_access_path()...) return a documented value and set no message.
 * The library never calls exit() or abort(), and never prints.
 */
#ifndef UDRV_ERROR_H
#define UDRV_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * udrv_last_error() - message of the calling thread's most recent failure
 *
 * Return: a NUL-terminated string owned by the library, valid until the next
 * libudrv call on this thread; "" if nothing has failed yet on this thread.
 */
const char *udrv_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_ERROR_H */
