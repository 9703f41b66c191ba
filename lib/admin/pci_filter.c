// SPDX-License-Identifier: MIT
/*
 * lspci's -s and -d filters, parsed by libpci itself so that they mean
 * exactly what they mean to lspci, and converted to libpci's filter for
 * matching in udrv_pci_scan().
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover_internal.h"

UDRV_EXPORT void udrv_pci_filter_init(struct udrv_pci_filter *f)
{
	struct pci_filter pf;

	if (!f)
		return;
	pci_filter_init(NULL, &pf);
	udrv_pci_filter_from_libpci(f, &pf);
}

void udrv_pci_filter_to_libpci(const struct udrv_pci_filter *f, struct pci_filter *pf)
{
	pci_filter_init(NULL, pf);
	if (!f)
		return;
	pf->domain = f->domain;
	pf->bus = f->bus;
	pf->slot = f->slot;
	pf->func = f->func;
	pf->vendor = f->vendor;
	pf->device = f->device;
	pf->device_class = f->class_id;
	pf->device_class_mask = f->class_mask;
	pf->prog_if = f->prog_if;
}

void udrv_pci_filter_from_libpci(struct udrv_pci_filter *f, const struct pci_filter *pf)
{
	f->domain = pf->domain;
	f->bus = pf->bus;
	f->slot = pf->slot;
	f->func = pf->func;
	f->vendor = pf->vendor;
	f->device = pf->device;
	f->class_id = pf->device_class;
	f->class_mask = pf->device_class_mask;
	f->prog_if = pf->prog_if;
}

/*
 * Run one libpci parser on a private copy of @arg (libpci's prototypes take
 * a non-const string); on failure, return -EINVAL with libpci's reason.
 */
static int parse_one(struct pci_filter *pf, const char *arg, bool is_slot)
{
	char *copy, reason[64];
	const char *err;

	if (!arg || !*arg)
		return 0;
	copy = strdup(arg);
	if (!copy)
		return udrv_err(ENOMEM, "PCI filter: out of memory");
	err = is_slot ? pci_filter_parse_slot(pf, copy) : pci_filter_parse_id(pf, copy);
	free(copy);
	if (!err)
		return 0;
	snprintf(reason, sizeof(reason), "%s", err);
	reason[0] = tolower((unsigned char)reason[0]);
	if (is_slot)
		return udrv_err(EINVAL,
				"bad slot filter '%s': %s (expected [[[domain]:][bus]:][slot][.[func]] in hex, e.g. 0000:00:04.0, 00:04 or 4.0; an empty field or * matches any)",
				arg, reason);
	return udrv_err(EINVAL,
			"bad device ID filter '%s': %s (expected [vendor]:[device][:class[:prog-if]] in hex, e.g. 8086:, 1234:11e8 or ::02xx; an empty field or * matches any, x in the class any digit)",
			arg, reason);
}

UDRV_EXPORT int udrv_pci_filter_parse(struct udrv_pci_filter *f, const char *slot, const char *id)
{
	struct pci_filter pf;
	int ret;

	if (!f)
		return udrv_err(EINVAL, "udrv_pci_filter_parse: the filter is NULL");
	pci_filter_init(NULL, &pf);
	ret = parse_one(&pf, slot, true);
	if (!ret)
		ret = parse_one(&pf, id, false);
	if (!ret)
		udrv_pci_filter_from_libpci(f, &pf);
	return ret;
}
