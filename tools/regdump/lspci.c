// SPDX-License-Identifier: MIT
/*
 * regdump: config space and device titles through libpci, as lspci.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>
#include <udrv/pci_addr.h>

#include "lspci.h"

struct rd_pci {
	struct pci_access *acc;
};

static void pci_vsay(char *msg, va_list ap)
{
	fputs("regdump: libpci: ", stderr);
	vfprintf(stderr, msg, ap);
	fputc('\n', stderr);
}

static void PCI_NONRET pci_fatal(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	pci_vsay(msg, ap);
	va_end(ap);
	/* A tool, not the library: libpci cannot continue after a fatal error. */
	exit(1);
}

static void pci_warn(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	pci_vsay(msg, ap);
	va_end(ap);
}

static void pci_quiet(char *msg, ...)
{
	(void)msg;
}

struct rd_pci *rd_pci_open(const char *ids)
{
	struct rd_pci *pci = calloc(1, sizeof(*pci));

	if (!pci)
		return NULL;
	pci->acc = pci_alloc();
	pci->acc->error = pci_fatal;
	pci->acc->warning = pci_warn;
	pci->acc->debug = pci_quiet;
	if (ids)
		pci_set_name_list_path(pci->acc, (char *)ids, 0);
	pci_init(pci->acc);
	pci_scan_bus(pci->acc);
	return pci;
}

void rd_pci_close(struct rd_pci *pci)
{
	if (!pci)
		return;
	pci_cleanup(pci->acc);
	free(pci);
}

bool rd_pci_any_domain(struct rd_pci *pci)
{
	struct pci_dev *p;

	for (p = pci->acc->devices; p; p = p->next)
		if (p->domain)
			return true;
	return false;
}

static struct pci_dev *find(struct rd_pci *pci, const struct udrv_pci_addr *a)
{
	struct pci_dev *p;

	for (p = pci->acc->devices; p; p = p->next)
		if (p->domain == (int)a->domain && p->bus == a->bus && p->dev == a->slot &&
		    p->func == a->func)
			return p;
	return NULL;
}

int rd_pci_config(struct rd_pci *pci, const struct udrv_pci_addr *a, int level, uint8_t *buf,
		  size_t *len, char *err, size_t errlen)
{
	struct pci_dev *p = find(pci, a);
	size_t n = 64;

	if (!p) {
		snprintf(err, errlen, "%04x:%02x:%02x.%x: libpci does not list this function",
			 a->domain, a->bus, a->slot, a->func);
		return -ENODEV;
	}
	if (!pci_read_block(p, 0, buf, 64)) {
		snprintf(err, errlen,
			 "Unable to read the standard configuration space header of device %04x:%02x:%02x.%d",
			 a->domain, a->bus, a->slot, a->func);
		return -EIO;
	}
	/* lspci reads a CardBus bridge's second 64 bytes for its full header. */
	if ((buf[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_CARDBUS &&
	    pci_read_block(p, 64, buf + 64, 64))
		n = 128;
	if (level >= 3 && pci_read_block(p, n, buf + n, 256 - n)) {
		n = 256;
		if (level >= 4 && pci_read_block(p, 256, buf + 256, 4096 - 256))
			n = 4096;
	}
	*len = n;
	return 0;
}

void rd_pci_title(struct rd_pci *pci, const struct udrv_pci_addr *a, bool domain,
		  const uint8_t *cfg, char *buf, size_t len)
{
	struct pci_dev *p = find(pci, a);
	char classbuf[128], devbuf[128], rev[16] = "";
	unsigned int vendor = cfg[0] | cfg[1] << 8, device = cfg[2] | cfg[3] << 8;
	unsigned int class = cfg[PCI_CLASS_DEVICE] | cfg[PCI_CLASS_DEVICE + 1] << 8;
	char slot[32];

	if (p) {
		pci_fill_info(p, PCI_FILL_IDENT | PCI_FILL_CLASS);
		vendor = p->vendor_id;
		device = p->device_id;
		class = p->device_class;
	}
	if (domain)
		snprintf(slot, sizeof(slot), "%04x:%02x:%02x.%d", a->domain, a->bus, a->slot, a->func);
	else
		snprintf(slot, sizeof(slot), "%02x:%02x.%d", a->bus, a->slot, a->func);
	if (cfg[PCI_REVISION_ID])
		snprintf(rev, sizeof(rev), " (rev %02x)", cfg[PCI_REVISION_ID]);
	snprintf(buf, len, "%s %s: %s%s", slot,
		 pci_lookup_name(pci->acc, classbuf, sizeof(classbuf), PCI_LOOKUP_CLASS, class),
		 pci_lookup_name(pci->acc, devbuf, sizeof(devbuf),
				 PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE, vendor, device),
		 rev);
}

void rd_hex_lines(FILE *out, const uint8_t *cfg, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i & 15))
			fprintf(out, "%02zx:", i);
		fprintf(out, " %02x", cfg[i]);
		if ((i & 15) == 15)
			fputc('\n', out);
	}
}

int rd_pci_read(struct rd_pci *pci, const struct udrv_pci_addr *a, uint64_t off,
		unsigned int width, uint64_t *val)
{
	struct pci_dev *p = find(pci, a);
	uint8_t b[8];
	unsigned int i;

	if (!p)
		return -ENODEV;
	if (width > 4 || off % width || off + width > 4096)
		return -EINVAL;
	/* One pread of exactly @width bytes: the kernel does one config access. */
	if (!pci_read_block(p, off, b, width))
		return -EIO;
	*val = 0;
	for (i = 0; i < width; i++)
		*val |= (uint64_t)b[i] << (8 * i);
	return 0;
}
