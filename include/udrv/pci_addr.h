/* SPDX-License-Identifier: MIT */
/**
 * DOC: PCI addresses
 *
 * A PCI function is named as lspci -s names it: ``[[domain:]bus:]slot.func``
 * in hexadecimal, e.g. ``0000:00:04.0``, ``00:04.0`` or ``4.0``.  Omitted
 * domain and bus are 0.
 */
#ifndef UDRV_PCI_ADDR_H
#define UDRV_PCI_ADDR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct udrv_pci_addr - location of a PCI function
 * @domain: PCI segment (0..0xffff)
 * @bus:    bus number (0..0xff)
 * @slot:   device number (0..0x1f)
 * @func:   function number (0..7)
 */
struct udrv_pci_addr {
	uint16_t domain;
	uint8_t bus;
	uint8_t slot;
	uint8_t func;
};

/** UDRV_PCI_ADDR_STRLEN - buffer size for udrv_pci_addr_format() ("dddd:bb:ss.f") */
#define UDRV_PCI_ADDR_STRLEN 13

/**
 * udrv_pci_addr_parse() - parse ``[[domain:]bus:]slot.func``
 * @str:  the text; no surrounding white space
 * @addr: where to store the result
 *
 * Return: 0, or -EINVAL (with udrv_last_error() naming the text) when @str is
 * not a PCI address or a field is out of range.
 */
int udrv_pci_addr_parse(const char *str, struct udrv_pci_addr *addr);

/**
 * udrv_pci_addr_format() - canonical sysfs name of a PCI function
 * @addr: the address
 * @buf:  at least UDRV_PCI_ADDR_STRLEN bytes
 * @size: size of @buf
 *
 * Writes ``dddd:bb:ss.f`` (lower-case hex), as /sys/bus/pci/devices names it.
 *
 * Return: @buf.
 */
char *udrv_pci_addr_format(const struct udrv_pci_addr *addr, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_PCI_ADDR_H */
