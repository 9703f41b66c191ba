// SPDX-License-Identifier: MIT
/*
 * regdump: JSON output.
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void rd_json_string(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void rd_json_hex(FILE *out, const unsigned char *b, size_t len)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < len; i++)
		fprintf(out, "%02x", b[i]);
	fputc('"', out);
}

static void value(FILE *out, uint64_t v, unsigned int width)
{
	char buf[24];

	rd_format_value(buf, sizeof(buf), v, width);
	rd_json_string(out, buf);
}

unsigned int rd_dump_json(FILE *out, uint64_t start, uint64_t size, unsigned int width,
			  rd_read_fn read, void *ctx, int *first_err)
{
	unsigned int fails = 0;
	uint64_t off, v;
	int ret;

	*first_err = 0;
	fputc('[', out);
	for (off = start; off - start < size; off += width) {
		fprintf(out, "%s{\"offset\": %" PRIu64 ", ", off == start ? "" : ", ", off);
		ret = read(ctx, off, width, &v);
		if (ret) {
			fputs("\"error\": ", out);
			rd_json_string(out, strerror(-ret));
			if (!fails++)
				*first_err = ret;
		} else {
			fputs("\"value\": ", out);
			value(out, v, width);
		}
		fputc('}', out);
	}
	fputc(']', out);
	return fails;
}

static void fields(FILE *out, const struct rd_reg *r, uint64_t v)
{
	size_t i, j;

	fputs(", \"fields\": [", out);
	for (i = 0; i < r->n_fields; i++) {
		const struct rd_field *f = &r->fields[i];
		uint64_t x = rd_field_get(f, v);
		const char *e = NULL;

		for (j = 0; j < f->n_enums; j++)
			if (f->enums[j].value == x)
				e = f->enums[j].name;
		fprintf(out, "%s{\"name\": ", i ? ", " : "");
		rd_json_string(out, f->name);
		fprintf(out, ", \"hi\": %u, \"lo\": %u, \"value\": \"0x%" PRIx64 "\", \"enum\": ",
			f->hi, f->lo, x);
		rd_json_string(out, e);
		fputs(", \"description\": ", out);
		rd_json_string(out, f->desc);
		fputc('}', out);
	}
	fputc(']', out);
}

unsigned int rd_map_json(FILE *out, const struct rd_map *map, rd_read_fn read, void *ctx,
			 const struct rd_show_opts *o, int *first_err)
{
	unsigned int fails = 0;
	size_t i;

	*first_err = 0;
	fputc('[', out);
	for (i = 0; i < map->n_regs; i++) {
		const struct rd_reg *r = &map->regs[i];
		uint64_t v;
		int ret;

		fprintf(out, "%s{\"name\": ", i ? ", " : "");
		rd_json_string(out, r->name);
		fprintf(out, ", \"offset\": %" PRIu64 ", \"size\": %u, \"access\": \"%s\", \"description\": ",
			r->offset, r->size * 8, rd_access_name(r->access));
		rd_json_string(out, r->desc);
		if (!rd_reg_readable(r, o->force)) {
			fprintf(out, ", \"value\": null, \"not_read\": \"%s\"}",
				r->access == RD_WO ? "write-only" : "read-clears");
			continue;
		}
		ret = rd_reg_read(r, o->width, read, ctx, &v);
		if (ret) {
			fputs(", \"value\": null, \"error\": ", out);
			rd_json_string(out, strerror(-ret));
			fputc('}', out);
			if (!fails++)
				*first_err = ret;
			continue;
		}
		fprintf(out, ", \"width\": %u, \"value\": ", rd_reg_width(r, o->width) * 8);
		value(out, v, r->size);
		fields(out, r, v);
		fputc('}', out);
	}
	fputc(']', out);
	return fails;
}
