/* SPDX-License-Identifier: MIT */
/*
 * Discovery internals: the glue between udrv's filter and libpci's.
 */
#ifndef UDRV_DISCOVER_INTERNAL_H
#define UDRV_DISCOVER_INTERNAL_H

#include <pci/pci.h>

#include "udrv_internal.h"
#include <udrv/discover.h>

/* pci_filter.c: NULL @f means "match everything". */
void udrv_pci_filter_to_libpci(const struct udrv_pci_filter *f, struct pci_filter *pf);
void udrv_pci_filter_from_libpci(struct udrv_pci_filter *f, const struct pci_filter *pf);

#endif /* UDRV_DISCOVER_INTERNAL_H */
