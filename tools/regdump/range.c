// SPDX-License-Identifier: MIT
/*
 * regdump: command-line numbers, ranges, widths and writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "range.h"

/* Parse a number ending at @end (exclusive); suffixes k and M. */
static int parse_num(const char *s, const char *end, uint64_t *v)
{
	char buf[64], *e;
	size_t len = end - s;
	uint64_t mul = 1, x;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[len - 1] == 'k' || buf[len - 1] == 'K') {
		mul = 1024;
		buf[--len] = '\0';
	} else if (buf[len - 1] == 'M') {
		mul = 1024 * 1024;
		buf[--len] = '\0';
	}
	if (!len || buf[0] == '-' || buf[0] == '+' || buf[0] == ' ')
		return -EINVAL;
	errno = 0;
	x = strtoull(buf, &e, 0);
	if (errno || *e || e == buf)
		return -EINVAL;
	if (x > UINT64_MAX / mul)
		return -EINVAL;
	*v = x * mul;
	return 0;
}

int rd_parse_u64(const char *s, uint64_t *v, char *err, size_t errlen)
{
	if (parse_num(s, s + strlen(s), v)) {
		snprintf(err, errlen,
			 "bad number '%s': expected decimal or 0x-hex, optional k or M suffix", s);
		return -EINVAL;
	}
	return 0;
}

int rd_parse_range(const char *s, uint64_t *start, uint64_t *size, char *err, size_t errlen)
{
	const char *sep = strpbrk(s, "+-");
	uint64_t a, b;

	if (!sep) {
		if (parse_num(s, s + strlen(s), &a))
			goto bad;
		*start = a;
		*size = 0;
		return 0;
	}
	if (parse_num(s, sep, &a) || parse_num(sep + 1, sep + 1 + strlen(sep + 1), &b))
		goto bad;
	if (*sep == '+') {
		if (!b) {
			snprintf(err, errlen, "bad range '%s': the size is 0", s);
			return -EINVAL;
		}
		if (b - 1 > UINT64_MAX - a) {
			snprintf(err, errlen, "bad range '%s': it runs past 2^64", s);
			return -EINVAL;
		}
	} else {
		if (b < a) {
			snprintf(err, errlen, "bad range '%s': the end is below the start", s);
			return -EINVAL;
		}
		if (b - a == UINT64_MAX) {
			snprintf(err, errlen, "bad range '%s': too large", s);
			return -EINVAL;
		}
		b = b - a + 1;
	}
	*start = a;
	*size = b;
	return 0;
bad:
	snprintf(err, errlen,
		 "bad range '%s': expected START, START+SIZE or START-END (END inclusive), e.g. 0x10+0x20",
		 s);
	return -EINVAL;
}

int rd_parse_width(const char *s, unsigned int *bytes, char *err, size_t errlen)
{
	static const char *const names[] = { "8", "16", "32", "64" };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(s, names[i])) {
			*bytes = 1u << i;
			return 0;
		}
	}
	snprintf(err, errlen, "bad width '%s': expected 8, 16, 32 or 64 (bits)", s);
	return -EINVAL;
}

int rd_parse_writes(const char *s, struct rd_write *w, size_t max, size_t *n, char *err,
		    size_t errlen)
{
	const char *p = s;

	for (;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *eq = memchr(p, '=', end - p);
		struct rd_write x;

		if (!eq || parse_num(p, eq, &x.offset) || parse_num(eq + 1, end, &x.value)) {
			snprintf(err, errlen, "bad write '%.*s' in '%s': expected OFFSET=VALUE[,...]",
				 (int)(end - p), p, s);
			return -EINVAL;
		}
		if (*n >= max) {
			snprintf(err, errlen, "too many writes (at most %zu)", max);
			return -EINVAL;
		}
		w[(*n)++] = x;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}
