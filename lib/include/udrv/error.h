/* SPDX-License-Identifier: MIT */
/**
 * DOC: errors
 *
 * Every libudrv function that can fail returns a negative errno value (or
 * NULL with errno set) and records a human-readable message for the calling
 * thread.  The message names the device or argument at fault and, where there
 * is one, the remedy.  The library never calls exit() or abort().
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
