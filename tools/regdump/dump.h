/* SPDX-License-Identifier: MIT */
/*
 * regdump: memtool-style register dumps and devmem-style single values.
 * Registers are read through a callback, once each, at exactly the width.
 */
#ifndef REGDUMP_DUMP_H
#define REGDUMP_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* rd_read_fn - read @width bytes at @off; 0 or a negative errno */
typedef int (*rd_read_fn)(void *ctx, uint64_t off, unsigned int width, uint64_t *val);

/* rd_format_value() - "0x" and the value zero-padded to @width bytes (devmem) */
void rd_format_value(char *buf, size_t len, uint64_t v, unsigned int width);

/*
 * rd_check_range() - @start and @size must be multiples of @width and
 * inside a region of @limit bytes.  0 or -EINVAL with a message in @err.
 */
int rd_check_range(uint64_t start, uint64_t size, unsigned int width, uint64_t limit,
		   char *err, size_t errlen);

/*
 * rd_dump() - one line per 16 bytes: "OFFSET: WORD WORD ...", offset in
 * 8 hex digits, words zero-padded to @width.  A word that cannot be read
 * prints as '?'s.  Return: the number of failed reads; the first failure's
 * errno in *@first_err (0 if none).
 */
unsigned int rd_dump(FILE *out, uint64_t start, uint64_t size, unsigned int width,
		     rd_read_fn read, void *ctx, int *first_err);

#endif /* REGDUMP_DUMP_H */
