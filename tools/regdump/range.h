/* SPDX-License-Identifier: MIT */
/*
 * regdump: parsing of numbers, ranges, widths and writes given on the
 * command line.  Every parser fills @err with a message naming the bad
 * text and the expected syntax, and returns -EINVAL.
 */
#ifndef REGDUMP_RANGE_H
#define REGDUMP_RANGE_H

#include <stddef.h>
#include <stdint.h>

#define RD_ERR_MAX 256

/* rd_parse_u64() - "0x1f", "31", "4k", "1M" (k = 1024, M = 1024 * 1024) */
int rd_parse_u64(const char *s, uint64_t *v, char *err, size_t errlen);

/*
 * rd_parse_range() - "START", "START+SIZE" or "START-END" (END inclusive).
 * A bare START sets *size to 0: one register at the access width.
 */
int rd_parse_range(const char *s, uint64_t *start, uint64_t *size, char *err, size_t errlen);

/* rd_parse_width() - "8", "16", "32" or "64" bits; *bytes set to 1, 2, 4, 8 */
int rd_parse_width(const char *s, unsigned int *bytes, char *err, size_t errlen);

struct rd_write {
	uint64_t offset;
	uint64_t value;
};

#define RD_MAX_WRITES 64

/* rd_parse_writes() - "OFF=VAL[,OFF=VAL...]", appended to @w (capacity @max) */
int rd_parse_writes(const char *s, struct rd_write *w, size_t max, size_t *n, char *err,
		    size_t errlen);

#endif /* REGDUMP_RANGE_H */
