// SPDX-License-Identifier: MIT
/*
 * Enumeration of PCI functions through libpci's sysfs access method.
 *
 * libpci reports fatal errors by calling pci_access->error, which must not
 * return; its default prints and exits.  Ours records the message and
 * longjmp()s back into udrv_pci_scan(), which then releases libpci with
 * pci_cleanup() and returns -EIO.  Two of libpci's fatal errors would leak
 * inside libpci if unwound that way (a malformed device entry name leaves a
 * DIR open, a malformed "resource" line a FILE), and libpci's messages do
 * not say what to do; check_tree() finds these and the other mandatory
 * files first, so on a real sysfs tree libpci's error path is only reached
 * by a race with hot-removal, where unwinding leaks nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discover_internal.h"

#define MAX_RESOURCE_LINES 18 /* what libpci reads: BARs, ROM, IOV, bridge windows */

struct scan_ctx {
	jmp_buf jump;
	char msg[256];
	struct pci_access *pacc;
	struct udrv_pci_info *list;
	size_t count;
	size_t alloc;
};

static __thread struct scan_ctx *current_scan;

static void __attribute__((noreturn, format(printf, 1, 2))) libpci_error(char *fmt, ...)
{
	struct scan_ctx *ctx = current_scan;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	longjmp(ctx->jump, 1);
}

/* Warnings (e.g. an unreadable config file) and debug output are dropped: a library must not print. */
static void __attribute__((format(printf, 1, 2))) libpci_quiet(char *fmt, ...)
{
	(void)fmt;
}

static int devices_dir(char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/bus/pci/devices", udrv_sysfs_root());

	if (n < 0 || (size_t)n >= size)
		return udrv_err(ENAMETOOLONG, "PCI scan: sysfs root '%s' is too long",
				udrv_sysfs_root());
	return 0;
}

static int check_resource(const char *path)
{
	unsigned long long s, e, f;
	char line[256];
	int ret = 0, i;
	FILE *fp = fopen(path, "re");

	if (!fp)
		return udrv_err(errno == ENOENT ? EIO : errno, "PCI scan: cannot read %s: %s",
				path, strerror(errno));
	for (i = 0; i < MAX_RESOURCE_LINES && fgets(line, sizeof(line), fp); i++) {
		if (sscanf(line, "%llx %llx %llx", &s, &e, &f) != 3) {
			ret = udrv_err(EIO, "PCI scan: malformed line %d in %s", i + 1, path);
			break;
		}
	}
	fclose(fp);
	return ret;
}

/* The files libpci treats as mandatory, and entry names it must be able to parse. */
static int check_entry(const char *dir, const char *name)
{
	static const char *const attrs[] = { "vendor", "device", "class" };
	unsigned int dom, bus, dev;
	char path[PATH_MAX];
	size_t i;
	int func;

	if (sscanf(name, "%x:%x:%x.%d", &dom, &bus, &dev, &func) != 4 || dom > 0x7fffffff)
		return udrv_err(EIO,
				"PCI scan: %s/%s is not a PCI function (expected a name like 0000:00:04.0); is %s a sysfs tree?",
				dir, name, udrv_sysfs_root());
	for (i = 0; i <= sizeof(attrs) / sizeof(attrs[0]); i++) {
		const char *attr = i < sizeof(attrs) / sizeof(attrs[0]) ? attrs[i] : "resource";

		if (snprintf(path, sizeof(path), "%s/%s/%s", dir, name, attr) >= (int)sizeof(path))
			return udrv_err(ENAMETOOLONG, "PCI scan: path of %s/%s too long", dir, name);
		if (!strcmp(attr, "resource"))
			return check_resource(path);
		if (access(path, R_OK))
			return udrv_err(EIO, "PCI scan: cannot read %s: %s", path,
					strerror(errno));
	}
	return 0;
}

static int check_tree(const char *dir)
{
	struct dirent *de;
	int ret = 0;
	DIR *d = opendir(dir);

	if (!d)
		return udrv_err(errno, "PCI scan: cannot open %s: %s (is sysfs mounted?)", dir,
				strerror(errno));
	while (!ret && (de = readdir(d)))
		if (de->d_name[0] != '.')
			ret = check_entry(dir, de->d_name);
	closedir(d);
	return ret;
}

static uint32_t bar_flags(struct pci_dev *d, unsigned int i, unsigned int known)
{
	uint64_t rf = d->flags[i];
	uint32_t fl = 0;

	if (!(known & PCI_FILL_IO_FLAGS)) {
		/* No kernel flags: decode the BAR's own low bits. */
		if (d->base_addr[i] & PCI_BASE_ADDRESS_SPACE_IO)
			return UDRV_BAR_IO;
		fl = UDRV_BAR_MEM;
		if ((d->base_addr[i] & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
		    PCI_BASE_ADDRESS_MEM_TYPE_64)
			fl |= UDRV_BAR_MEM64;
		if (d->base_addr[i] & PCI_BASE_ADDRESS_MEM_PREFETCH)
			fl |= UDRV_BAR_PREFETCH;
		return fl;
	}
	if (rf & PCI_IORESOURCE_IO)
		fl |= UDRV_BAR_IO;
	if (rf & PCI_IORESOURCE_MEM)
		fl |= UDRV_BAR_MEM;
	if (rf & PCI_IORESOURCE_MEM_64)
		fl |= UDRV_BAR_MEM64;
	if (rf & PCI_IORESOURCE_PREFETCH)
		fl |= UDRV_BAR_PREFETCH;
	return fl;
}

/* Driver and IOMMU group: symlinks next to the function's attributes. */
static void fill_links(struct udrv_pci_info *info)
{
	int group = udrv_sysfs_iommu_group(info->name);

	udrv_sysfs_driver(info->name, info->driver, sizeof(info->driver));
	info->iommu_group = group >= 0 ? group : -1;
	info->backend = udrv_access_path_for_driver(info->driver)->backend;
}

static void fill_info(struct pci_dev *d, struct udrv_pci_info *info)
{
	unsigned int known, i;

	known = pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT |
			      PCI_FILL_SUBSYS | PCI_FILL_BASES | PCI_FILL_SIZES |
			      PCI_FILL_IO_FLAGS);
	memset(info, 0, sizeof(*info));
	info->addr.domain = d->domain;
	info->addr.bus = d->bus;
	info->addr.slot = d->dev;
	info->addr.func = d->func;
	udrv_pci_addr_format(&info->addr, info->name, sizeof(info->name));
	info->vendor = d->vendor_id;
	info->device = d->device_id;
	info->class_code = (uint32_t)d->device_class << 8;
	if (known & PCI_FILL_CLASS_EXT) {
		info->class_code |= d->prog_if;
		info->revision = d->rev_id;
	}
	if (known & PCI_FILL_SUBSYS) {
		info->subsys_vendor = d->subsys_vendor_id;
		info->subsys_device = d->subsys_id;
	}
	for (i = 0; i < UDRV_NUM_BARS && (known & PCI_FILL_BASES); i++) {
		struct udrv_pci_bar *bar = &info->bars[i];

		bar->size = (known & PCI_FILL_SIZES) ? d->size[i] : 0;
		bar->flags = bar_flags(d, i, known);
		bar->start = d->base_addr[i] &
			     ((bar->flags & UDRV_BAR_IO) ? PCI_ADDR_IO_MASK : PCI_ADDR_MEM_MASK);
		if (!bar->size && !bar->start)
			bar->flags = 0;
	}
}

static int append(struct scan_ctx *ctx)
{
	struct udrv_pci_info *bigger;
	size_t n;

	if (ctx->count < ctx->alloc)
		return 0;
	n = ctx->alloc ? ctx->alloc * 2 : 16;
	bigger = realloc(ctx->list, n * sizeof(*bigger));
	if (!bigger)
		return udrv_err(ENOMEM, "PCI scan: out of memory");
	ctx->list = bigger;
	ctx->alloc = n;
	return 0;
}

/*
 * The part that calls into libpci.  Everything it changes lives in *ctx, so
 * nothing is lost when libpci_error() longjmp()s back here.
 */
static int scan_libpci(struct scan_ctx *ctx, const struct udrv_pci_filter *f)
{
	struct pci_filter pf;
	struct pci_dev *d;
	int ret;

	if (setjmp(ctx->jump))
		return udrv_err(EIO, "PCI scan: libpci failed: %s", ctx->msg);
	pci_init(ctx->pacc);
	pci_scan_bus(ctx->pacc);
	udrv_pci_filter_to_libpci(f, &pf);
	for (d = ctx->pacc->devices; d; d = d->next) {
		if (d->domain > 0xffff || !pci_filter_match(&pf, d))
			continue;
		ret = append(ctx);
		if (ret)
			return ret;
		fill_info(d, &ctx->list[ctx->count]);
		fill_links(&ctx->list[ctx->count]);
		ctx->count++;
	}
	return 0;
}

static void cleanup_libpci(struct scan_ctx *ctx)
{
	/* pci_cleanup() reports no errors; should it, leak rather than loop. */
	if (!setjmp(ctx->jump))
		pci_cleanup(ctx->pacc);
}

static int addr_cmp(const void *a, const void *b)
{
	const struct udrv_pci_addr *x = &((const struct udrv_pci_info *)a)->addr;
	const struct udrv_pci_addr *y = &((const struct udrv_pci_info *)b)->addr;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->bus != y->bus)
		return x->bus < y->bus ? -1 : 1;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->func - y->func;
}

UDRV_EXPORT int udrv_pci_scan(const struct udrv_pci_filter *f, struct udrv_pci_info **list,
			      size_t *count)
{
	char dir[PATH_MAX], bus_path[PATH_MAX];
	struct scan_ctx ctx = { .list = NULL };
	struct scan_ctx *outer;
	int ret;

	if (!list || !count)
		return udrv_err(EINVAL, "udrv_pci_scan: list or count is NULL");
	*list = NULL;
	*count = 0;
	ret = devices_dir(dir, sizeof(dir));
	if (ret)
		return ret;
	ret = check_tree(dir);
	if (ret)
		return ret;

	ctx.pacc = pci_alloc();
	if (!ctx.pacc)
		return udrv_err(ENOMEM, "PCI scan: out of memory");
	ctx.pacc->error = libpci_error;
	ctx.pacc->warning = libpci_quiet;
	ctx.pacc->debug = libpci_quiet;
	ctx.pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	snprintf(bus_path, sizeof(bus_path), "%s/bus/pci", udrv_sysfs_root());
	outer = current_scan;
	current_scan = &ctx;
	if (pci_set_param(ctx.pacc, "sysfs.path", bus_path))
		ret = udrv_err(ENOTSUP, "PCI scan: this libpci has no sysfs access method");
	else
		ret = scan_libpci(&ctx, f);
	cleanup_libpci(&ctx);
	current_scan = outer;

	if (ret) {
		free(ctx.list);
		return ret;
	}
	if (ctx.count) {
		qsort(ctx.list, ctx.count, sizeof(*ctx.list), addr_cmp);
	} else {
		free(ctx.list);
		ctx.list = NULL;
	}
	*list = ctx.list;
	*count = ctx.count;
	return 0;
}

UDRV_EXPORT void udrv_pci_free(struct udrv_pci_info *list)
{
	free(list);
}
