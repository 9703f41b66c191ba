// SPDX-License-Identifier: MIT
/*
 * regdump: config space and registers of any PCI function.  Config space
 * is shown exactly as lspci shows it (libpci); registers are read through
 * libudrv's checked accessors, once each, at exactly the asked width.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/udrv.h>

#include "decode.h"
#include "dump.h"
#include "json.h"
#include "lspci.h"
#include "map.h"
#include "opts.h"

struct target {
	const struct rd_opts *o;
	struct rd_pci *pci;
	const struct udrv_pci_info *info;
	struct udrv_device *dev; /* BAR access; NULL for config space */
	unsigned int bar;
	uint64_t limit;          /* size of the BAR or of config space */
	char error[512];         /* first error, for --json */
	bool shown_config;       /* registers unavailable: config space shown instead */
};

/* Print a message to stderr; the first one per device also goes into the JSON. */
static int report(struct target *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "regdump: %s\n", msg);
	if (!t->error[0])
		snprintf(t->error, sizeof(t->error), "%s", msg);
	return 1;
}

static int read_reg(void *ctx, uint64_t off, unsigned int width, uint64_t *val)
{
	struct target *t = ctx;

	if (t->dev)
		return udrv_bar_read(t->dev, t->bar, off, width, val);
	return rd_pci_read(t->pci, &t->info->addr, off, width, val);
}

static const char *read_error(struct target *t, int err)
{
	static char buf[RD_ERR_MAX];

	if (t->dev)
		return udrv_last_error();
	snprintf(buf, sizeof(buf), "%s: config space read failed: %s%s", t->info->name,
		 strerror(-err), err == -EIO ? " (past 64 bytes needs root)" : "");
	return buf;
}

/*
 * lspci's output: the title line (if @title) and, with -x (@hex > 0), the
 * hex dump and a blank line.
 */
static int show_config(struct target *t, bool domains, int hex, bool title_line)
{
	static uint8_t cfg[4096];
	char title[512], err[RD_ERR_MAX];
	size_t len;

	if (rd_pci_config(t->pci, &t->info->addr, hex, cfg, &len, err, sizeof(err)))
		return report(t, "%s", err);
	rd_pci_title(t->pci, &t->info->addr, domains || t->o->domains, cfg, title, sizeof(title));
	if (t->o->json) {
		if (title_line) {
			fputs(", \"title\": ", stdout);
			rd_json_string(stdout, title);
		}
		if (hex) {
			printf(", \"config\": {\"length\": %zu, \"hex\": ", len);
			rd_json_hex(stdout, cfg, len);
			putchar('}');
		}
		return 0;
	}
	if (title_line)
		printf("%s\n", title);
	if (hex) {
		rd_hex_lines(stdout, cfg, len);
		putchar('\n');
	}
	return 0;
}

static int do_writes(struct target *t)
{
	const struct rd_opts *o = t->o;
	char a[24], b[24];
	uint64_t v;
	size_t i;
	int rc = 0;

	if (o->json)
		fputs(", \"writes\": [", stdout);
	for (i = 0; i < o->n_writes; i++) {
		const struct rd_write *w = &o->writes[i];

		if (udrv_bar_write(t->dev, t->bar, w->offset, o->width, w->value) ||
		    udrv_bar_read(t->dev, t->bar, w->offset, o->width, &v)) {
			rc = report(t, "%s", udrv_last_error());
			break;
		}
		rd_format_value(a, sizeof(a), w->value, o->width);
		rd_format_value(b, sizeof(b), v, o->width);
		if (o->json)
			printf("%s{\"offset\": %" PRIu64 ", \"value\": \"%s\", \"read_back\": \"%s\"}",
			       i ? ", " : "", w->offset, a, b);
		else
			printf("%08" PRIx64 ": wrote %s, read back %s\n", w->offset, a, b);
	}
	if (o->json)
		putchar(']');
	return rc;
}

static int do_range(struct target *t)
{
	const struct rd_opts *o = t->o;
	uint64_t start = 0, size = t->limit < RD_DUMP_CAP ? t->limit : RD_DUMP_CAP, v;
	char err[RD_ERR_MAX], val[24];
	unsigned int fails;
	int first;

	if (o->have_range) {
		start = o->start;
		size = o->size ? o->size : o->width;
	} else if (o->n_writes) {
		return 0;
	} else if (size < t->limit) {
		fprintf(stderr, "regdump: %s: showing the first %" PRIu64 " of %" PRIu64
			" bytes; use --range for more\n", t->info->name, size, t->limit);
	}
	if (rd_check_range(start, size, o->width, t->limit, err, sizeof(err)))
		return report(t, "%s: %s", t->info->name, err);
	if (o->json) {
		fputs(", \"registers\": ", stdout);
		fails = rd_dump_json(stdout, start, size, o->width, read_reg, t, &first);
	} else if (size == o->width && o->have_range) {
		/* One register: its value alone, like devmem. */
		first = read_reg(t, start, o->width, &v);
		fails = !!first;
		if (!first) {
			rd_format_value(val, sizeof(val), v, o->width);
			printf("%s\n", val);
		}
	} else {
		fails = rd_dump(stdout, start, size, o->width, read_reg, t, &first);
	}
	if (fails)
		return report(t, "%u register(s) unreadable; first: %s", fails, read_error(t, first));
	return 0;
}

static int do_map(struct target *t, const struct rd_map *map)
{
	struct rd_show_opts so = {
		.width = t->o->width_given ? t->o->width : 0,
		.force = t->o->force,
	};
	unsigned int fails;
	int first;
	size_t i;

	for (i = 0; i < map->n_regs; i++) {
		if (map->regs[i].offset + map->regs[i].size > t->limit)
			return report(t, "%s: register %s (line %u of %s) is past the end (0x%" PRIx64 " bytes)",
				      t->info->name, map->regs[i].name, map->regs[i].line,
				      t->o->map_path, t->limit);
	}
	if (t->o->json) {
		fputs(", \"map\": ", stdout);
		rd_json_string(stdout, t->o->map_path);
		fputs(", \"registers\": ", stdout);
		fails = rd_map_json(stdout, map, read_reg, t, &so, &first);
	} else {
		fails = rd_map_show(stdout, map, read_reg, t, &so, &first);
	}
	if (fails)
		return report(t, "%u register(s) unreadable; first: %s", fails, read_error(t, first));
	return 0;
}

static int open_bar(struct target *t, unsigned int bar)
{
	struct udrv_open_opts oo = { .backend = t->o->backend };
	struct udrv_range ranges[UDRV_BAR_MAX_RANGES];
	struct udrv_bar_info bi;
	unsigned int n;

	if (udrv_open(t->info->name, &oo, &t->dev))
		return -1;
	/* Map a memory BAR now, so that a refusal is said once, before any dump. */
	if (udrv_bar_info(t->dev, bar, &bi) ||
	    ((bi.flags & UDRV_BAR_MEM) && udrv_bar_ranges(t->dev, bar, ranges, &n))) {
		udrv_close(t->dev);
		t->dev = NULL;
		return -1;
	}
	t->bar = bar;
	t->limit = bi.size;
	return 0;
}

static void json_access(struct target *t, bool config)
{
	if (config)
		printf(", \"space\": \"config\"");
	else
		printf(", \"space\": \"bar\", \"bar\": %u, \"backend\": \"%s\", \"size\": %" PRIu64,
		       t->bar, udrv_backend_name(udrv_backend(t->dev)), t->limit);
	printf(", \"width\": %u", t->o->width * 8);
}

static int registers(struct target *t, const struct rd_map *map, bool domains, bool several)
{
	const struct rd_opts *o = t->o;
	bool config = o->config || (!o->have_bar && map && map->space == RD_SPACE_CONFIG);
	unsigned int bar = o->have_bar ? o->bar : map ? map->bar : 0;
	int rc = 0;

	if (config) {
		t->limit = 4096;
	} else if (open_bar(t, bar)) {
		rc = report(t, "%s: registers unavailable: %s", t->info->name, udrv_last_error());
		/* Still show the config space, as -x (the title may be out already). */
		if (!o->hex) {
			show_config(t, domains, 1, !several && !o->json);
			t->shown_config = true;
		}
		return rc;
	}
	if (o->json)
		json_access(t, config);
	if (t->dev && o->n_writes)
		rc |= do_writes(t);
	if (map)
		rc |= do_map(t, map);
	else if (!rc)
		rc |= do_range(t);
	udrv_close(t->dev);
	t->dev = NULL;
	return rc;
}

static int do_device(const struct rd_opts *o, struct rd_pci *pci, const struct udrv_pci_info *p,
		     const struct rd_map *map, bool domains, bool several)
{
	struct target t = { .o = o, .pci = pci, .info = p };
	bool regs = rd_register_mode(o);
	int rc = 0;

	if (o->json) {
		fputs("{\"address\": ", stdout);
		rd_json_string(stdout, p->name);
	}
	if (o->hex || !regs || several || o->json)
		rc = show_config(&t, domains, o->hex, true);
	if (regs && !rc) {
		rc = registers(&t, map, domains, several);
		if (several && !o->json && !t.shown_config)
			putchar('\n'); /* -x output ends with one already */
	}
	if (o->json) {
		fputs(", \"error\": ", stdout);
		rd_json_string(stdout, t.error[0] ? t.error : NULL);
		putchar('}');
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct udrv_pci_info *list = NULL;
	struct rd_map *map = NULL;
	char err[RD_ERR_MAX];
	struct udrv_pci_filter f;
	struct rd_opts o;
	struct rd_pci *pci;
	size_t n, i;
	int rc = 0;

	rc = rd_parse_opts(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (udrv_pci_filter_parse(&f, o.slot, o.id)) {
		fprintf(stderr, "regdump: %s\nTry 'regdump --help'.\n", udrv_last_error());
		return 2;
	}
	if (o.map_path) {
		if (rd_map_load(o.map_path, &map, err, sizeof(err))) {
			fprintf(stderr, "regdump: %s\n", err);
			return 2;
		}
		if (!o.have_bar && !o.config && map->space == RD_SPACE_ANY) {
			fprintf(stderr, "regdump: %s has no 'space' line: say --bar N or --config\n",
				o.map_path);
			rd_map_free(map);
			return 2;
		}
	}
	if (udrv_pci_scan(&f, &list, &n)) {
		fprintf(stderr, "regdump: %s\n", udrv_last_error());
		rd_map_free(map);
		return 1;
	}
	if (!n && rd_register_mode(&o)) {
		fprintf(stderr, "regdump: no PCI function matches%s%s%s%s (list them with lspci -D)\n",
			o.slot ? " -s " : "", o.slot ? o.slot : "", o.id ? " -d " : "",
			o.id ? o.id : "");
		rc = 1;
	}
	pci = rd_pci_open(o.ids);
	if (o.json)
		fputs("{\"devices\": [", stdout);
	for (i = 0; i < n; i++) {
		if (o.json && i)
			fputs(", ", stdout);
		rc |= do_device(&o, pci, &list[i], map, rd_pci_any_domain(pci), n > 1);
	}
	if (o.json)
		fputs("]}\n", stdout);
	rd_pci_close(pci);
	udrv_pci_free(list);
	rd_map_free(map);
	return rc;
}
