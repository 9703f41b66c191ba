/* SPDX-License-Identifier: MIT */
/*
 * regdump --json: the same data as the text output, as JSON.  Keys are
 * documented in docs/regdump.md; register values are "0x..." strings
 * (64-bit values do not fit a JSON number exactly), offsets are numbers.
 */
#ifndef REGDUMP_JSON_H
#define REGDUMP_JSON_H

#include <stdio.h>

#include "decode.h"
#include "dump.h"
#include "map.h"

/* rd_json_string() - @s quoted and escaped, or null */
void rd_json_string(FILE *out, const char *s);

/* rd_json_hex() - @len bytes as one lowercase hex string */
void rd_json_hex(FILE *out, const unsigned char *b, size_t len);

/*
 * rd_dump_json() - [{"offset": N, "value": "0x..."} or {"offset": N,
 * "error": "..."}, ...], each register read once.  Returns as rd_dump().
 */
unsigned int rd_dump_json(FILE *out, uint64_t start, uint64_t size, unsigned int width,
			  rd_read_fn read, void *ctx, int *first_err);

/* rd_map_json() - the registers of @map as a JSON array; returns as rd_map_show() */
unsigned int rd_map_json(FILE *out, const struct rd_map *map, rd_read_fn read, void *ctx,
			 const struct rd_show_opts *o, int *first_err);

#endif /* REGDUMP_JSON_H */
