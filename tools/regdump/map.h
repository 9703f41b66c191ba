/* SPDX-License-Identifier: MIT */
/*
 * regdump: register description files ("maps"), see docs/regdump.md.
 *
 *   space bar 0 | space config
 *   register NAME OFFSET SIZE ACCESS [widths=W,...] [reset=VALUE] [DESCRIPTION]
 *   field NAME HI:LO|BIT [DESCRIPTION]
 *   value VALUE NAME [DESCRIPTION]
 */
#ifndef REGDUMP_MAP_H
#define REGDUMP_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rd_access {
	RD_RO,  /* read-only */
	RD_RW,  /* read-write */
	RD_WO,  /* write-only: never read */
	RD_RC,  /* read clears (read side effect): read only with --force-read */
	RD_W1C, /* write 1 to clear; reading is harmless */
};

enum rd_space {
	RD_SPACE_ANY,    /* no "space" line */
	RD_SPACE_BAR,
	RD_SPACE_CONFIG,
};

struct rd_enum {
	uint64_t value;
	char *name;
	char *desc;
};

struct rd_field {
	char *name;
	unsigned int hi, lo;
	char *desc;
	struct rd_enum *enums;
	size_t n_enums;
};

struct rd_reg {
	char *name;
	uint64_t offset;
	unsigned int size;   /* bytes: 1, 2, 4, 8 */
	unsigned int widths; /* allowed access widths in bytes, as a mask of 1|2|4|8 */
	enum rd_access access;
	bool has_reset;
	uint64_t reset;
	char *desc;
	struct rd_field *fields;
	size_t n_fields;
	unsigned int line;
};

struct rd_map {
	enum rd_space space;
	unsigned int bar;
	struct rd_reg *regs;
	size_t n_regs;
};

#define RD_MAP_LINE_MAX 1024
#define RD_MAP_NAME_MAX 63

/*
 * rd_map_parse() - parse a description held in memory (@len bytes, any
 * content).  @file names it in messages.  On error *@mapp is NULL and @err
 * holds "FILE:LINE: what is wrong (expected ...)".
 * Return: 0, -EINVAL (syntax) or -ENOMEM.
 */
int rd_map_parse(const char *text, size_t len, const char *file, struct rd_map **mapp, char *err,
		 size_t errlen);

/* rd_map_load() - read and parse a file; -errno if it cannot be read */
int rd_map_load(const char *path, struct rd_map **mapp, char *err, size_t errlen);

void rd_map_free(struct rd_map *map);

/* rd_access_name() - "ro", "rw", "wo", "rc", "w1c" */
const char *rd_access_name(enum rd_access a);

/* rd_reg_readable() - may the register be read (wo never; rc only if @force) */
bool rd_reg_readable(const struct rd_reg *r, bool force);

/* rd_field_get() - the field's value in a register value */
uint64_t rd_field_get(const struct rd_field *f, uint64_t v);

#endif /* REGDUMP_MAP_H */
