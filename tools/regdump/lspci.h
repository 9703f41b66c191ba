/* SPDX-License-Identifier: MIT */
/*
 * regdump: config space the way lspci shows it.  libpci reads the config
 * space and looks up the names, exactly as lspci does, so that
 * `regdump -x`, `-xxx` and `-xxxx` print what `lspci -x`, `-xxx` and
 * `-xxxx` print for the same device, byte for byte.
 */
#ifndef REGDUMP_LSPCI_H
#define REGDUMP_LSPCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct udrv_pci_addr;
struct rd_pci;

/* rd_pci_open() - libpci handle; @ids: pci.ids path or NULL for libpci's default */
struct rd_pci *rd_pci_open(const char *ids);
void rd_pci_close(struct rd_pci *pci);

/* rd_pci_any_domain() - true if some function is in a nonzero domain (lspci then shows domains) */
bool rd_pci_any_domain(struct rd_pci *pci);

/*
 * rd_pci_config() - read config space as lspci -x (@level 1..2), -xxx (3)
 * or -xxxx (4) would: 64 bytes (128 for a CardBus bridge), then 256 and
 * 4096 if the kernel gives them.  @len is set to the bytes read.
 * Return: 0, or -ENODEV / -EIO with a message in @err.
 */
int rd_pci_config(struct rd_pci *pci, const struct udrv_pci_addr *a, int level, uint8_t *buf,
		  size_t *len, char *err, size_t errlen);

/* rd_pci_title() - lspci's one-line description ("00:02.0 Unclassified device [00ff]: ...") */
void rd_pci_title(struct rd_pci *pci, const struct udrv_pci_addr *a, bool domain,
		  const uint8_t *cfg, char *buf, size_t len);

/*
 * rd_pci_read() - one config register of @width (1, 2, 4) bytes at @off.
 * Return: 0, -EIO if the kernel gives fewer bytes (not root, past the end).
 */
int rd_pci_read(struct rd_pci *pci, const struct udrv_pci_addr *a, uint64_t off,
		unsigned int width, uint64_t *val);

/* rd_hex_lines() - lspci's hex dump lines for @len bytes of @cfg */
void rd_hex_lines(FILE *out, const uint8_t *cfg, size_t len);

#endif /* REGDUMP_LSPCI_H */
