// SPDX-License-Identifier: MIT
/* Per-thread error messages. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "udrv_internal.h"

static __thread char errbuf[512];
_Static_assert(sizeof(((struct udrv_err_saved *)0)->msg) == sizeof(errbuf), "saved message size");

UDRV_EXPORT const char *udrv_last_error(void)
{
	return errbuf;
}

int udrv_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return err > 0 ? -err : err;
}

void udrv_err_save(struct udrv_err_saved *s)
{
	memcpy(s->msg, errbuf, sizeof(s->msg));
}

void udrv_err_restore(const struct udrv_err_saved *s)
{
	memcpy(errbuf, s->msg, sizeof(errbuf));
}
