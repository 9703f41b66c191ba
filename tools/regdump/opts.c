// SPDX-License-Identifier: MIT
/*
 * regdump: option parsing and --help.
 */
#include <getopt.h>
#include <string.h>

#include <udrv/access_path.h>

#include "opts.h"

void rd_usage(FILE *out)
{
	fputs("usage: regdump [-s SLOT] [-d ID] [-D] [-i FILE] [-x|-xxx|-xxxx]\n"
	      "       regdump -s SLOT --bar N [--range R | --reg OFF] [--width W] [--write OFF=VAL,...]\n"
	      "       regdump -s SLOT [--bar N | --config] --map FILE [--width W] [--force-read]\n"
	      "       regdump -s SLOT --config [--range R | --reg OFF] [--width W]\n"
	      "\n"
	      "Show the config space and registers of PCI functions, bound to any driver or none.\n"
	      "\n"
	      "Selection (as lspci; several matches are shown one after another, in lspci order):\n"
	      "  -s [[[domain]:][bus]:][slot][.[func]]   functions in these slots (hex)\n"
	      "  -d [vendor]:[device][:class[:prog-if]]  functions with these ids (hex)\n"
	      "\n"
	      "Config space, as lspci:\n"
	      "  -x          lspci's one-line description and 64 bytes of config space\n"
	      "  -xxx        256 bytes (root only: others get 64, as from lspci)\n"
	      "  -xxxx       4096 bytes (root only; 256 without extended config space)\n"
	      "  -D          always show the PCI domain\n"
	      "  -i FILE     PCI id database (default: libpci's, usually /usr/share/misc/pci.ids)\n"
	      "  without -x and a register option: the one-line description only\n"
	      "\n"
	      "Registers (through libudrv: VFIO, UIO, udrv_stub or sysfs, from the bound driver):\n"
	      "  --bar N           BAR N (0-5), memory or I/O\n"
	      "  --config          config space registers instead of a BAR\n"
	      "  --range R         START, START+SIZE or START-END (END inclusive); numbers in\n"
	      "                    decimal or 0x-hex with optional k/M suffix; default: the whole\n"
	      "                    BAR, at most 256 bytes\n"
	      "  --reg OFF         one register, printed as 0x + value (like devmem)\n"
	      "  --width W         access width in bits: 8, 16, 32 (default) or 64; each register\n"
	      "                    is read once, with one access of exactly that width\n"
	      "  --write OFF=VAL[,OFF=VAL...]\n"
	      "                    write VAL at OFF (at --width), then read it back and print both\n"
	      "  -b, --backend B   force the access path: vfio, uio, stub or sysfs\n"
	      "\n"
	      "Named registers (description file format: docs/regdump.md):\n"
	      "  --map FILE        show each register of FILE with its value and decoded fields;\n"
	      "                    the BAR (or config space) comes from FILE's 'space' line\n"
	      "                    unless --bar or --config is given; --width is used where\n"
	      "                    FILE allows it\n"
	      "  --force-read      also read registers whose read has side effects (rc)\n"
	      "\n"
	      "  --json            JSON output (keys: docs/regdump.md)\n"
	      "  -h, --help        this text\n"
	      "\n"
	      "exit status: 0 success; 1 a device or register could not be read or written\n"
	      "(the reason is printed; config space is still shown); 2 usage error.\n",
	      out);
}

static int usage_error(const char *fmt, const char *arg)
{
	fputs("regdump: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'regdump --help'.\n", stderr);
	return 2;
}

static int parse_backend(const char *s, enum udrv_backend *b)
{
	const struct udrv_access_path *p = udrv_access_path_by_name(s);

	if (!p)
		return -1;
	*b = p->backend;
	return 0;
}

bool rd_register_mode(const struct rd_opts *o)
{
	return o->have_bar || o->config || o->map_path || o->have_range || o->n_writes;
}

int rd_parse_opts(int argc, char **argv, struct rd_opts *o)
{
	enum { O_BAR = 256, O_RANGE, O_REG, O_WIDTH, O_WRITE, O_MAP, O_CONFIG, O_FORCE, O_JSON };
	static const struct option longopts[] = {
		{ "bar", required_argument, NULL, O_BAR },
		{ "range", required_argument, NULL, O_RANGE },
		{ "reg", required_argument, NULL, O_REG },
		{ "width", required_argument, NULL, O_WIDTH },
		{ "write", required_argument, NULL, O_WRITE },
		{ "map", required_argument, NULL, O_MAP },
		{ "config", no_argument, NULL, O_CONFIG },
		{ "force-read", no_argument, NULL, O_FORCE },
		{ "json", no_argument, NULL, O_JSON },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char err[RD_ERR_MAX];
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->width = 4;
	while ((c = getopt_long(argc, argv, "s:d:Di:xb:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->slot = optarg;
			break;
		case 'd':
			o->id = optarg;
			break;
		case 'D':
			o->domains = true;
			break;
		case 'i':
			o->ids = optarg;
			break;
		case 'x':
			o->hex++;
			break;
		case 'b':
			if (parse_backend(optarg, &o->backend))
				return usage_error("unknown backend '%s' (vfio, uio, stub or sysfs)",
						   optarg);
			break;
		case O_BAR:
			if (rd_parse_u64(optarg, &v, err, sizeof(err)) || v > 5)
				return usage_error("--bar '%s': expected a BAR number, 0 to 5", optarg);
			o->have_bar = true;
			o->bar = v;
			break;
		case O_RANGE:
		case O_REG:
			if (o->have_range)
				return usage_error("%s", "give one --range or --reg");
			if (c == O_RANGE ? rd_parse_range(optarg, &o->start, &o->size, err, sizeof(err)) :
			    rd_parse_u64(optarg, &o->start, err, sizeof(err)))
				return usage_error("%s", err);
			if (c == O_REG)
				o->size = 0;
			o->have_range = true;
			break;
		case O_WIDTH:
			if (rd_parse_width(optarg, &o->width, err, sizeof(err)))
				return usage_error("--width: %s", err);
			o->width_given = true;
			break;
		case O_WRITE:
			if (rd_parse_writes(optarg, o->writes, RD_MAX_WRITES, &o->n_writes, err,
					    sizeof(err)))
				return usage_error("--write: %s", err);
			break;
		case O_MAP:
			o->map_path = optarg;
			break;
		case O_CONFIG:
			o->config = true;
			break;
		case O_FORCE:
			o->force = true;
			break;
		case O_JSON:
			o->json = true;
			break;
		case 'h':
			rd_usage(stdout);
			return 1;
		default:
			return usage_error("%s", "bad option"); /* getopt said which */
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s' (select devices with -s or -d)",
				   argv[optind]);
	if (o->have_bar && o->config)
		return usage_error("%s", "--bar and --config exclude each other");
	if ((o->have_range || o->n_writes) && !o->have_bar && !o->config)
		return usage_error("%s", "--range, --reg and --write need --bar N or --config");
	if (o->n_writes && o->config)
		return usage_error("%s", "--write works on BARs only (use setpci for config space)");
	if (o->map_path && (o->have_range || o->n_writes))
		return usage_error("%s", "--map shows the map's registers: drop --range/--reg/--write");
	if (o->config && o->width > 4)
		return usage_error("%s", "config space registers are 8, 16 or 32 bits wide");
	if (rd_register_mode(o) && !o->slot && !o->id)
		return usage_error("%s", "register options need -s SLOT or -d ID");
	return 0;
}
