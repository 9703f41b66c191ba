// SPDX-License-Identifier: MIT
/*
 * udrv-bind: show PCI functions with their drivers and IOMMU groups, and
 * move them between kernel drivers (vfio-pci, uio_pci_generic, udrv_stub or
 * any other), like DPDK's dpdk-devbind, on top of libudrv.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/access_path.h>
#include <udrv/bind.h>
#include <udrv/discover.h>
#include <udrv/error.h>

#define EXIT_USAGE 2

static const char usage[] =
	"usage: udrv-bind --status [-v] [-s SLOT] [-d ID]\n"
	"       udrv-bind -b DRIVER ADDR...\n"
	"       udrv-bind -u ADDR...\n"
	"       udrv-bind --paths\n"
	"       udrv-bind --help\n"
	"\n"
	"Show PCI functions and move them between kernel drivers for user-space drivers.\n"
	"\n"
	"  --status          table of PCI functions: address, vendor:device, class,\n"
	"                    revision, bound driver, IOMMU group (- if none) and the\n"
	"                    udrv backend udrv_open() would use (vfio, uio, stub, sysfs;\n"
	"                    vfio with its mode: vfio/iommufd, vfio/type1, vfio/noiommu)\n"
	"  -v, --verbose     with --status: also list each function's BARs\n"
	"  -s SLOT           with --status: only [[[domain]:][bus]:][slot][.[func]]\n"
	"  -d ID             with --status: only [vendor]:[device][:class[:prog-if]]\n"
	"                    (hex, as lspci -s/-d: empty or * = any, x in class = any digit)\n"
	"  -b, --bind DRIVER bind each ADDR to DRIVER (vfio-pci, uio_pci_generic, udrv_stub\n"
	"                    or any PCI driver), loading its module with modprobe if needed;\n"
	"                    driver_override stays set to DRIVER\n"
	"  -u, --unbind      detach each ADDR from its driver (driver_override unchanged)\n"
	"  --paths           libudrv's access paths, one per line after a header line:\n"
	"                    backend name, the driver that offers it, the driver family\n"
	"                    that also selects it, the modules -b loads for that driver\n"
	"                    (comma-separated), what the path gives; - where there is\n"
	"                    none (sysfs works with any driver)\n"
	"  -h, --help        this text\n"
	"\n"
	"ADDR is [[domain:]bus:]slot.func in hex, e.g. 0000:00:04.0 or 00:04.0.\n"
	"Binding needs root. A function whose /dev/uioN or VFIO group a process holds is\n"
	"refused, and so is vfio-pci for a function without an IOMMU group or whose group\n"
	"has functions on host drivers.\n"
	"\n"
	"exit status: 0 success; 1 an operation failed (the reason is printed, the other\n"
	"ADDRs are still processed); 2 usage error.\n"
	"modprobe is run from /sbin, /usr/sbin, /bin or /usr/bin, never from $PATH.\n";

static int usage_error(const char *msg)
{
	if (msg)
		fprintf(stderr, "udrv-bind: %s\n", msg);
	fprintf(stderr, "Try 'udrv-bind --help'.\n");
	return EXIT_USAGE;
}

static void print_bars(const struct udrv_pci_info *p)
{
	unsigned int i;

	for (i = 0; i < UDRV_NUM_BARS; i++) {
		const struct udrv_pci_bar *b = &p->bars[i];

		if (!b->size)
			continue;
		printf("    BAR%u  %s%s at 0x%" PRIx64 ", %" PRIu64 " bytes\n", i,
		       (b->flags & UDRV_BAR_IO) ? "I/O ports" :
		       (b->flags & UDRV_BAR_MEM64) ? "memory, 64-bit" : "memory, 32-bit",
		       (b->flags & UDRV_BAR_PREFETCH) ? ", prefetchable" : "", b->start, b->size);
	}
}

/* The VFIO mode udrv_open() would use for @name ("?" if none: no group...). */
static const char *vfio_mode(const char *name)
{
	int mode = udrv_vfio_mode_for(name, UDRV_VFIO_AUTO);

	return mode < 0 ? "?" : udrv_vfio_mode_name(mode);
}

static int status(const char *slot, const char *id, bool verbose)
{
	struct udrv_pci_filter f;
	struct udrv_pci_info *list;
	size_t n, i;
	char group[16];

	if (udrv_pci_filter_parse(&f, slot, id))
		return usage_error(udrv_last_error());
	if (udrv_pci_scan(&f, &list, &n)) {
		fprintf(stderr, "udrv-bind: %s\n", udrv_last_error());
		return 1;
	}
	printf("%-13s %-9s %-6s %-3s %-16s %-5s %s\n", "ADDRESS", "ID", "CLASS", "REV", "DRIVER",
	       "IOMMU", "BACKEND");
	for (i = 0; i < n; i++) {
		const struct udrv_pci_info *p = &list[i];

		if (p->iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", p->iommu_group);
		else
			snprintf(group, sizeof(group), "-");
		printf("%-13s %04x:%04x %06x %02x  %-16s %-5s %s%s%s\n", p->name, p->vendor,
		       p->device, p->class_code, p->revision, *p->driver ? p->driver : "-", group,
		       udrv_backend_name(p->backend), p->backend == UDRV_BACKEND_VFIO ? "/" : "",
		       p->backend == UDRV_BACKEND_VFIO ? vfio_mode(p->name) : "");
		if (verbose)
			print_bars(p);
	}
	udrv_pci_free(list);
	return 0;
}

static int paths(void)
{
	const struct udrv_access_path *p;
	char mods[128];
	int b, i;

	printf("%-7s %-16s %-6s %-27s %s\n", "BACKEND", "DRIVER", "FAMILY", "MODULES", "GIVES");
	for (b = 1; (p = udrv_access_path((enum udrv_backend)b)); b++) {
		size_t used = 0;

		mods[0] = '\0';
		for (i = 0; i < UDRV_ACCESS_PATH_MAX_MODULES && p->modules[i]; i++)
			used += snprintf(mods + used, used < sizeof(mods) ? sizeof(mods) - used : 0,
					 "%s%s", i ? "," : "", p->modules[i]);
		printf("%-7s %-16s %-6s %-27s %s\n", p->name, p->driver ? p->driver : "-",
		       p->family ? p->family : "-", *mods ? mods : "-", p->summary);
	}
	return 0;
}

static int bind_all(const char *driver, char **addrs, int n)
{
	char name[UDRV_PCI_ADDR_STRLEN];
	struct udrv_bind_state prev;
	struct udrv_pci_addr a;
	int i, rc = 0;

	for (i = 0; i < n; i++) {
		if (udrv_pci_addr_parse(addrs[i], &a) ||
		    (driver ? udrv_bind(addrs[i], driver, &prev) : udrv_unbind(addrs[i]))) {
			fprintf(stderr, "udrv-bind: %s\n", udrv_last_error());
			rc = 1;
			continue;
		}
		udrv_pci_addr_format(&a, name, sizeof(name));
		if (driver && udrv_access_path_for_driver(driver)->backend == UDRV_BACKEND_VFIO)
			printf("%s: %s -> %s (udrv_open() uses vfio/%s)\n", name,
			       *prev.driver ? prev.driver : "none", driver, vfio_mode(name));
		else if (driver)
			printf("%s: %s -> %s\n", name, *prev.driver ? prev.driver : "none", driver);
		else
			printf("%s: unbound\n", name);
	}
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "status", no_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "bind", required_argument, NULL, 'b' },
		{ "unbind", no_argument, NULL, 'u' },
		{ "paths", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *slot = NULL, *id = NULL, *driver = NULL;
	bool show = false, unbind = false, verbose = false, list_paths = false;
	int c;

	while ((c = getopt_long(argc, argv, "vs:d:b:uh", opts, NULL)) != -1) {
		switch (c) {
		case 'S':
			show = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 's':
			slot = optarg;
			break;
		case 'd':
			id = optarg;
			break;
		case 'b':
			driver = optarg;
			break;
		case 'u':
			unbind = true;
			break;
		case 'P':
			list_paths = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return usage_error(NULL); /* getopt said what */
		}
	}
	if (show + unbind + !!driver + list_paths != 1)
		return usage_error("give exactly one of --status, -b DRIVER, -u and --paths");
	if (list_paths) {
		if (optind < argc || slot || id || verbose)
			return usage_error("--paths takes no arguments");
		return paths();
	}
	if (show) {
		if (optind < argc)
			return usage_error("--status takes no addresses (filter with -s SLOT)");
		return status(slot, id, verbose);
	}
	if (slot || id || verbose)
		return usage_error("-s, -d and -v go with --status only");
	if (optind == argc)
		return usage_error("no PCI address given");
	return bind_all(driver, argv + optind, argc - optind);
}
