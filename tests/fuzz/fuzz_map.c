// SPDX-License-Identifier: MIT
/*
 * Fuzz target: regdump's register description parser.  Any byte string must
 * give a map or a line-numbered error, never a crash, a leak or undefined
 * behaviour.  Built with libFuzzer (clang -fsanitize=fuzzer) by
 * tests/fuzz/run.sh, or with replay.c to run a corpus as a plain test.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../tools/regdump/decode.h"
#include "../../tools/regdump/map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int zero_read(void *ctx, uint64_t off, unsigned int width, uint64_t *val)
{
	(void)ctx;
	*val = off * 0x9e3779b97f4a7c15ull >> (64 - width * 8);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd_show_opts o = { .width = size ? 1u << (data[0] & 3) : 0, .force = true };
	struct rd_map *m;
	char err[256];
	FILE *null;
	int first;

	if (rd_map_parse((const char *)data, size, "fuzz.map", &m, err, sizeof(err))) {
		assert(!m);
		assert(!strncmp(err, "fuzz.map", 8));
		return 0;
	}
	/* A parsed map must also print: every field within its register. */
	null = fopen("/dev/null", "w");
	if (null) {
		rd_map_show(null, m, zero_read, NULL, &o, &first);
		fclose(null);
	}
	rd_map_free(m);
	return 0;
}
