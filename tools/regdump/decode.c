// SPDX-License-Identifier: MIT
/*
 * regdump: decoding registers with a map.
 */
#include <inttypes.h>
#include <string.h>

#include "decode.h"

unsigned int rd_reg_width(const struct rd_reg *r, unsigned int want)
{
	unsigned int w;

	if (want && (r->widths & want))
		return want;
	for (w = 8; w > 1 && !(r->widths & w); w >>= 1)
		;
	return w;
}

int rd_reg_read(const struct rd_reg *r, unsigned int want, rd_read_fn read, void *ctx,
		uint64_t *val)
{
	unsigned int w = rd_reg_width(r, want), i;
	uint64_t v = 0, piece;
	int ret;

	for (i = 0; i < r->size; i += w) {
		ret = read(ctx, r->offset + i, w, &piece);
		if (ret)
			return ret;
		v |= piece << (i * 8);
	}
	*val = v;
	return 0;
}

static void show_fields(FILE *out, const struct rd_reg *r, uint64_t v)
{
	char bits[16], val[96];
	size_t i, j;

	for (i = 0; i < r->n_fields; i++) {
		const struct rd_field *f = &r->fields[i];
		uint64_t x = rd_field_get(f, v);
		const struct rd_enum *e = NULL;

		for (j = 0; j < f->n_enums; j++)
			if (f->enums[j].value == x)
				e = &f->enums[j];
		if (f->hi == f->lo)
			snprintf(bits, sizeof(bits), "[%u]", f->lo);
		else
			snprintf(bits, sizeof(bits), "[%u:%u]", f->hi, f->lo);
		if (e)
			snprintf(val, sizeof(val), "0x%" PRIx64 " (%s)", x, e->name);
		else
			snprintf(val, sizeof(val), "0x%" PRIx64, x);
		fprintf(out, "    %-16s %-8s %s%s%s\n", f->name, bits, val, f->desc ? "  " : "",
			f->desc ? f->desc : "");
	}
}

unsigned int rd_map_show(FILE *out, const struct rd_map *map, rd_read_fn read, void *ctx,
			 const struct rd_show_opts *o, int *first_err)
{
	unsigned int fails = 0;
	size_t i;

	*first_err = 0;
	for (i = 0; i < map->n_regs; i++) {
		const struct rd_reg *r = &map->regs[i];
		char val[24];
		uint64_t v;
		int ret;

		fprintf(out, "%-16s 0x%04" PRIx64 "  %-3s  ", r->name, r->offset,
			rd_access_name(r->access));
		if (r->access == RD_WO) {
			fprintf(out, "%-*s", r->size * 2 + 2, "(write-only, not read)");
		} else if (!rd_reg_readable(r, o->force)) {
			fprintf(out, "%-*s", r->size * 2 + 2,
				"(reading clears it: not read without --force-read)");
		} else {
			ret = rd_reg_read(r, o->width, read, ctx, &v);
			if (ret) {
				fprintf(out, "%-*s", r->size * 2 + 2, "(unreadable)");
				if (!fails++)
					*first_err = ret;
			} else {
				rd_format_value(val, sizeof(val), v, r->size);
				fputs(val, out);
			}
			if (r->desc)
				fprintf(out, "  %s", r->desc);
			fputc('\n', out);
			if (!ret)
				show_fields(out, r, v);
			continue;
		}
		if (r->desc)
			fprintf(out, "  %s", r->desc);
		fputc('\n', out);
	}
	return fails;
}
