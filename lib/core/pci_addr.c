// SPDX-License-Identifier: MIT
/* Parsing and formatting of PCI addresses, as lspci -s takes them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udrv_internal.h"

/* Parse a run of hex digits ending at @end; no sign, no 0x, no blanks. */
static int parse_hex(const char *s, const char *end, unsigned long max, unsigned long *val)
{
	unsigned long v = 0;

	if (s == end || end - s > 8)
		return -1;
	for (; s < end; s++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	if (v > max)
		return -1;
	*val = v;
	return 0;
}

UDRV_EXPORT int udrv_pci_addr_parse(const char *str, struct udrv_pci_addr *addr)
{
	unsigned long f[4] = { 0 };
	static const unsigned long max[4] = { 0xffff, 0xff, 0x1f, 0x7 };
	const char *colon1, *colon2, *dot, *p;

	if (!str || !addr)
		return udrv_err(EINVAL, "PCI address: missing argument (NULL)");

	dot = strchr(str, '.');
	colon1 = strchr(str, ':');
	colon2 = colon1 ? strchr(colon1 + 1, ':') : NULL;
	if (!dot || (colon2 && strchr(colon2 + 1, ':')) || strchr(dot + 1, '.') ||
	    (colon1 && colon1 > dot))
		goto bad;

	/* Fields are filled right to left: func, slot, then bus, then domain. */
	p = str;
	if (colon2) {
		if (parse_hex(p, colon1, max[0], &f[0]))
			goto bad;
		p = colon1 + 1;
	}
	if (colon1) {
		const char *end = colon2 ? colon2 : colon1;

		if (parse_hex(p, end, max[1], &f[1]))
			goto bad;
		p = end + 1;
	}
	if (parse_hex(p, dot, max[2], &f[2]) ||
	    parse_hex(dot + 1, dot + 1 + strlen(dot + 1), max[3], &f[3]))
		goto bad;

	addr->domain = f[0];
	addr->bus = f[1];
	addr->slot = f[2];
	addr->func = f[3];
	return 0;
bad:
	return udrv_err(EINVAL,
			"'%s' is not a PCI address: expected [[domain:]bus:]slot.func in hex, e.g. 0000:00:04.0 (see lspci -D)",
			str);
}

UDRV_EXPORT char *udrv_pci_addr_format(const struct udrv_pci_addr *addr, char *buf, size_t size)
{
	snprintf(buf, size, "%04x:%02x:%02x.%x", addr->domain, addr->bus, addr->slot, addr->func);
	return buf;
}
