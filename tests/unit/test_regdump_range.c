// SPDX-License-Identifier: MIT
/* regdump's command-line numbers, ranges, widths and writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/regdump/range.h"

static void test_numbers(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 }, { "16", 16 }, { "0x10", 16 }, { "0X1f", 31 }, { "4k", 4096 },
		{ "4K", 4096 }, { "0x10k", 0x4000 }, { "1M", 1 << 20 }, { "010", 8 },
		{ "0xffffffffffffffff", UINT64_MAX }, { "16777215M", UINT64_C(16777215) << 20 },
	};
	static const char *const bad[] = {
		"", "k", "M", "x", "0x", "-1", "+1", " 1", "1 ", "1m", "1G", "12q", "0x1g",
		"18446744073709551616", "17592186044416M", "0x10kk", "099",
	};
	char err[RD_ERR_MAX];
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(rd_parse_u64(good[i].s, &v, err, sizeof(err)), 0);
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (rd_parse_u64(bad[i], &v, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	}
	rd_parse_u64("1G", &v, err, sizeof(err));
	assert_string_equal(err,
			    "bad number '1G': expected decimal or 0x-hex, optional k or M suffix");
}

static void range_ok(const char *s, uint64_t start, uint64_t size)
{
	char err[RD_ERR_MAX];
	uint64_t a = 1, b = 1;

	if (rd_parse_range(s, &a, &b, err, sizeof(err)))
		fail_msg("'%s': %s", s, err);
	assert_int_equal(a, start);
	assert_int_equal(b, size);
}

static void range_bad(const char *s, const char *msg)
{
	char err[RD_ERR_MAX];
	uint64_t a, b;

	if (rd_parse_range(s, &a, &b, err, sizeof(err)) != -EINVAL)
		fail_msg("'%s' accepted", s);
	assert_string_equal(err, msg);
}

static void test_ranges(void **state)
{
	(void)state;
	range_ok("0x04", 4, 0);
	range_ok("0x04+4", 4, 4);
	range_ok("0+1k", 0, 1024);
	range_ok("0x10-0x1f", 0x10, 0x10);
	range_ok("8-8", 8, 1);
	range_ok("1M+4", 1 << 20, 4);
	range_ok("0-0xfffffffffffffffe", 0, UINT64_MAX);
	range_ok("0xfffffffffffffff0+0x10", UINT64_C(0xfffffffffffffff0), 0x10);
	range_bad("0x10+0", "bad range '0x10+0': the size is 0");
	range_bad("0x20-0x1f", "bad range '0x20-0x1f': the end is below the start");
	range_bad("0xfffffffffffffff0+0x11", "bad range '0xfffffffffffffff0+0x11': it runs past 2^64");
	range_bad("0-0xffffffffffffffff", "bad range '0-0xffffffffffffffff': too large");
	range_bad("", "bad range '': expected START, START+SIZE or START-END (END inclusive), e.g. 0x10+0x20");
	range_bad("+4", "bad range '+4': expected START, START+SIZE or START-END (END inclusive), e.g. 0x10+0x20");
	range_bad("4+", "bad range '4+': expected START, START+SIZE or START-END (END inclusive), e.g. 0x10+0x20");
	range_bad("4+-1", "bad range '4+-1': expected START, START+SIZE or START-END (END inclusive), e.g. 0x10+0x20");
	range_bad("1-2-3", "bad range '1-2-3': expected START, START+SIZE or START-END (END inclusive), e.g. 0x10+0x20");
	range_bad("a+b", "bad range 'a+b': expected START, START+SIZE or START-END (END inclusive), e.g. 0x10+0x20");
}

static void test_widths(void **state)
{
	char err[RD_ERR_MAX];
	unsigned int w;

	(void)state;
	assert_int_equal(rd_parse_width("8", &w, err, sizeof(err)), 0);
	assert_int_equal(w, 1);
	assert_int_equal(rd_parse_width("16", &w, err, sizeof(err)), 0);
	assert_int_equal(w, 2);
	assert_int_equal(rd_parse_width("32", &w, err, sizeof(err)), 0);
	assert_int_equal(w, 4);
	assert_int_equal(rd_parse_width("64", &w, err, sizeof(err)), 0);
	assert_int_equal(w, 8);
	assert_int_equal(rd_parse_width("4", &w, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad width '4': expected 8, 16, 32 or 64 (bits)");
	assert_int_equal(rd_parse_width("032", &w, err, sizeof(err)), -EINVAL);
	assert_int_equal(rd_parse_width("", &w, err, sizeof(err)), -EINVAL);
}

static void test_writes(void **state)
{
	struct rd_write w[3];
	char err[RD_ERR_MAX];
	size_t n = 0;

	(void)state;
	assert_int_equal(rd_parse_writes("4=0x12345678,0x8=5", w, 3, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(w[0].offset, 4);
	assert_int_equal(w[0].value, 0x12345678);
	assert_int_equal(w[1].offset, 8);
	assert_int_equal(w[1].value, 5);
	assert_int_equal(rd_parse_writes("1k=1", w, 3, &n, err, sizeof(err)), 0);
	assert_int_equal(w[2].offset, 1024);
	assert_int_equal(rd_parse_writes("0=0", w, 3, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "too many writes (at most 3)");
	n = 0;
	assert_int_equal(rd_parse_writes("4=1,8", w, 3, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad write '8' in '4=1,8': expected OFFSET=VALUE[,...]");
	n = 0;
	assert_int_equal(rd_parse_writes("4=", w, 3, &n, err, sizeof(err)), -EINVAL);
	n = 0;
	assert_int_equal(rd_parse_writes("=4", w, 3, &n, err, sizeof(err)), -EINVAL);
	n = 0;
	assert_int_equal(rd_parse_writes("4=1,", w, 3, &n, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad write '' in '4=1,': expected OFFSET=VALUE[,...]");
	n = 0;
	assert_int_equal(rd_parse_writes("4=1=2", w, 3, &n, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
