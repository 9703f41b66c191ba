/* SPDX-License-Identifier: MIT */
/**
 * DOC: discovery
 *
 * udrv_pci_scan() lists the PCI functions of the system, as lspci does,
 * through libpci's sysfs access method (/sys/bus/pci): address,
 * vendor/device and subsystem ids, 24-bit class code, revision, the six BARs, the bound kernel driver, the IOMMU
 * group and the backend udrv_open() would choose.  Results come in lspci
 * order (domain, bus, device, function).
 *
 * A &struct udrv_pci_filter selects functions with lspci's syntax:
 * ``-s [[[domain]:][bus]:][slot][.[func]]`` and
 * ``-d [vendor]:[device][:class[:prog-if]]``, hexadecimal, where an empty
 * field or ``*`` matches anything and an ``x`` in the class matches any
 * digit (``::02xx`` = every network controller).  Parsing is libpci's own
 * (pci_filter_parse_slot() and pci_filter_parse_id()), so the filters mean
 * exactly what they mean to lspci.
 *
 * libpci reports fatal errors through a callback that by default prints and
 * calls exit(); udrv installs its own handlers, so a broken or unreadable
 * sysfs tree becomes a negative errno and a message, never an exit.
 *
 * Functions in PCI domains above 0xffff (e.g. behind Intel VMD) are not
 * listed: a &struct udrv_pci_addr cannot name them.
 *
 * Scanning needs no privileges and may run in several threads at once.
 */
#ifndef UDRV_DISCOVER_H
#define UDRV_DISCOVER_H

#include <stddef.h>
#include <stdint.h>

#include <udrv/device.h>
#include <udrv/pci_addr.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct udrv_pci_filter - which PCI functions udrv_pci_scan() returns
 * @domain:     PCI domain, or -1 for any
 * @bus:        bus number, or -1 for any
 * @slot:       device number, or -1 for any
 * @func:       function number, or -1 for any
 * @vendor:     vendor id, or -1 for any
 * @device:     device id, or -1 for any
 * @class_id:   16-bit class (base class << 8 | subclass), or -1 for any
 * @class_mask: bits of @class_id that must match (0xff00: base class only)
 * @prog_if:    programming interface, or -1 for any
 *
 * Fill it with udrv_pci_filter_parse(), or by hand after
 * udrv_pci_filter_init().
 */
struct udrv_pci_filter {
	int domain;
	int bus;
	int slot;
	int func;
	int vendor;
	int device;
	int class_id;
	unsigned int class_mask;
	int prog_if;
};

/**
 * udrv_pci_filter_init() - make a filter that matches every function
 * @f: the filter
 */
void udrv_pci_filter_init(struct udrv_pci_filter *f);

/**
 * udrv_pci_filter_parse() - build a filter from lspci's -s and -d arguments
 * @f:    filled in (reset first); unchanged on error
 * @slot: ``[[[domain]:][bus]:][slot][.[func]]``, or NULL/"" for any
 * @id:   ``[vendor]:[device][:class[:prog-if]]``, or NULL/"" for any
 *
 * Return: 0, or -EINVAL with udrv_last_error() naming the bad argument,
 * what is wrong with it and the expected syntax.
 */
int udrv_pci_filter_parse(struct udrv_pci_filter *f, const char *slot, const char *id);

/** UDRV_DRIVER_NAME_MAX - buffer size for a kernel driver name */
#define UDRV_DRIVER_NAME_MAX 64

/**
 * struct udrv_pci_bar - one BAR as the kernel assigned it
 * @start: CPU physical (or I/O port) address; 0 if unassigned
 * @size:  length in bytes; 0 if the BAR is not implemented
 * @flags: UDRV_BAR_MEM, UDRV_BAR_IO, UDRV_BAR_MEM64, UDRV_BAR_PREFETCH
 *         (never UDRV_BAR_MMAP: that depends on the backend)
 */
struct udrv_pci_bar {
	uint64_t start;
	uint64_t size;
	uint32_t flags;
};

/**
 * struct udrv_pci_info - one PCI function
 * @addr:          its address
 * @name:          canonical address, "0000:00:04.0"
 * @vendor:        vendor id
 * @device:        device id
 * @subsys_vendor: subsystem vendor id (0 if the function has none)
 * @subsys_device: subsystem id (0 if the function has none)
 * @class_code:    24-bit class code: base class, subclass, programming interface
 * @revision:      revision id
 * @bars:          the six standard BARs
 * @driver:        kernel driver it is bound to, "" if none
 * @iommu_group:   IOMMU group number, -1 if none
 * @backend:       the backend udrv_open() would use with the current driver
 */
struct udrv_pci_info {
	struct udrv_pci_addr addr;
	char name[UDRV_PCI_ADDR_STRLEN];
	uint16_t vendor;
	uint16_t device;
	uint16_t subsys_vendor;
	uint16_t subsys_device;
	uint32_t class_code;
	uint8_t revision;
	struct udrv_pci_bar bars[UDRV_NUM_BARS];
	char driver[UDRV_DRIVER_NAME_MAX];
	int iommu_group;
	enum udrv_backend backend;
};

/**
 * udrv_pci_scan() - list the PCI functions that match a filter
 * @f:     filter, or NULL for every function
 * @list:  set to a new array (free it with udrv_pci_free()); NULL if none match
 * @count: set to the number of entries
 *
 * Needs no privileges.  The list is a snapshot: functions come and go with
 * hot-plug (see <udrv/monitor.h>) and drivers change with binding.
 *
 * Return: 0 (also when nothing matches), or a negative errno: -ENOENT no PCI
 * sysfs tree, -EIO a malformed entry in it (the message names the file),
 * -ENOMEM, -EINVAL for NULL @list or @count.
 */
int udrv_pci_scan(const struct udrv_pci_filter *f, struct udrv_pci_info **list, size_t *count);

/**
 * udrv_pci_free() - free a list from udrv_pci_scan()
 * @list: the array, or NULL (no-op)
 */
void udrv_pci_free(struct udrv_pci_info *list);

#ifdef __cplusplus
}
#endif

#endif /* UDRV_DISCOVER_H */
