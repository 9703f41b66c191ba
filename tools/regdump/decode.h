/* SPDX-License-Identifier: MIT */
/*
 * regdump: named registers from a map, with their decoded fields.
 */
#ifndef REGDUMP_DECODE_H
#define REGDUMP_DECODE_H

#include <stdbool.h>
#include <stdio.h>

#include "dump.h"
#include "map.h"

struct rd_show_opts {
	unsigned int width; /* preferred access width in bytes, 0 = the map's widest */
	bool force;         /* also read registers with read side effects (rc) */
};

/*
 * rd_reg_width() - the access width used for @r: @want if the map allows
 * it, else the widest allowed
 */
unsigned int rd_reg_width(const struct rd_reg *r, unsigned int want);

/*
 * rd_reg_read() - read register @r in pieces of rd_reg_width(), lowest
 * address first, each piece once.  0 or the first negative errno.
 */
int rd_reg_read(const struct rd_reg *r, unsigned int want, rd_read_fn read, void *ctx,
		uint64_t *val);

/*
 * rd_map_show() - every register of @map: name, offset, access, value and
 * decoded fields.  Write-only registers and (unless @o->force) read-clear
 * ones are listed but not read.  Return: the number of failed reads, the
 * first errno in *@first_err.
 */
unsigned int rd_map_show(FILE *out, const struct rd_map *map, rd_read_fn read, void *ctx,
			 const struct rd_show_opts *o, int *first_err);

#endif /* REGDUMP_DECODE_H */
