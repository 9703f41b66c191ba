// SPDX-License-Identifier: MIT
/*
 * Fuzz target: regdump's command-line syntax (numbers, ranges, widths,
 * writes).  Whatever the input, a parser accepts it with consistent output
 * or rejects it with a message naming it.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/regdump/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd_write w[RD_MAX_WRITES];
	char err[RD_ERR_MAX], *s;
	uint64_t a, b;
	unsigned int width;
	size_t n = 0;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!rd_parse_range(s, &a, &b, err, sizeof(err)))
		assert(!b || b - 1 <= UINT64_MAX - a);
	else
		assert(err[0]);
	rd_parse_u64(s, &a, err, sizeof(err));
	if (!rd_parse_width(s, &width, err, sizeof(err)))
		assert(width == 1 || width == 2 || width == 4 || width == 8);
	if (!rd_parse_writes(s, w, RD_MAX_WRITES, &n, err, sizeof(err)))
		assert(n >= 1 && n <= RD_MAX_WRITES);
	free(s);
	return 0;
}
