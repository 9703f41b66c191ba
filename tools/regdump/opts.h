/* SPDX-License-Identifier: MIT */
/*
 * regdump: the command line.
 */
#ifndef REGDUMP_OPTS_H
#define REGDUMP_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <udrv/device.h>

#include "range.h"

#define RD_DUMP_CAP 256 /* bytes dumped when no --range is given */

struct rd_opts {
	const char *slot, *id;  /* -s, -d */
	const char *ids;        /* -i pci.ids */
	const char *map_path;   /* --map */
	int hex;                /* number of -x */
	bool domains;           /* -D */
	bool config;            /* --config: registers of config space */
	bool force;             /* --force-read */
	bool json;              /* --json */
	bool have_bar;
	unsigned int bar;
	bool have_range;
	uint64_t start, size;   /* size 0: one register */
	unsigned int width;     /* bytes; 4 unless --width */
	bool width_given;
	struct rd_write writes[RD_MAX_WRITES];
	size_t n_writes;
	enum udrv_backend backend;
};

/* rd_usage() - the --help text */
void rd_usage(FILE *out);

/*
 * rd_parse_opts() - fill @o from argv.  Return: 0, 1 for --help (printed),
 * or 2 for a usage error (printed with the remedy).
 */
int rd_parse_opts(int argc, char **argv, struct rd_opts *o);

/* rd_register_mode() - a BAR or config register operation was asked for */
bool rd_register_mode(const struct rd_opts *o);

#endif /* REGDUMP_OPTS_H */
