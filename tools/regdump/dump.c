// SPDX-License-Identifier: MIT
/*
 * regdump: memtool-style dumps.
 */
#include <errno.h>
#include <inttypes.h>

#include "dump.h"

void rd_format_value(char *buf, size_t len, uint64_t v, unsigned int width)
{
	snprintf(buf, len, "0x%0*" PRIx64, (int)width * 2, v);
}

int rd_check_range(uint64_t start, uint64_t size, unsigned int width, uint64_t limit,
		   char *err, size_t errlen)
{
	if (start % width || size % width) {
		snprintf(err, errlen,
			 "range 0x%" PRIx64 "+0x%" PRIx64 " is not aligned to the %u-bit width: start and size must be multiples of %u",
			 start, size, width * 8, width);
		return -EINVAL;
	}
	if (start >= limit || size > limit - start) {
		snprintf(err, errlen,
			 "range 0x%" PRIx64 "+0x%" PRIx64 " runs past the end (size 0x%" PRIx64 ")",
			 start, size, limit);
		return -EINVAL;
	}
	return 0;
}

unsigned int rd_dump(FILE *out, uint64_t start, uint64_t size, unsigned int width,
		     rd_read_fn read, void *ctx, int *first_err)
{
	unsigned int fails = 0;
	uint64_t off;
	int ret;

	*first_err = 0;
	for (off = start; off - start < size; off += width) {
		uint64_t v;

		if (off == start || !((off - start) % 16))
			fprintf(out, "%s%08" PRIx64 ":", off == start ? "" : "\n", off);
		ret = read(ctx, off, width, &v);
		if (ret) {
			fprintf(out, " %.*s", (int)width * 2, "????????????????");
			if (!fails++)
				*first_err = ret;
		} else {
			fprintf(out, " %0*" PRIx64, (int)width * 2, v);
		}
	}
	if (size)
		fputc('\n', out);
	return fails;
}
