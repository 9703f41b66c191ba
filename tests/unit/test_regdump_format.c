// SPDX-License-Identifier: MIT
/*
 * regdump's output: devmem values, memtool dumps, named registers with
 * fields, and which registers are read (once each, at which width).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/regdump/decode.h"
#include "../../tools/regdump/dump.h"
#include "../../tools/regdump/json.h"
#include "../../tools/regdump/map.h"
#include "../../tools/regdump/range.h"

/* A fake device: value = offset * 0x01010101..., and a log of accesses. */
struct fake {
	char log[1024];
	uint64_t fail_at; /* offset whose read fails, or UINT64_MAX */
};

static int fake_read(void *ctx, uint64_t off, unsigned int width, uint64_t *val)
{
	struct fake *f = ctx;
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, "%s%u@%llx", n ? " " : "", width * 8,
		 (unsigned long long)off);
	if (off == f->fail_at)
		return -EFAULT;
	*val = (off & 0xff) * UINT64_C(0x0101010101010101);
	if (width < 8)
		*val &= (UINT64_C(1) << (width * 8)) - 1;
	return 0;
}

static char *capture_dump(uint64_t start, uint64_t size, unsigned int width, struct fake *f,
			  unsigned int *fails, int *first)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	*fails = rd_dump(out, start, size, width, fake_read, f, first);
	fclose(out);
	return buf;
}

static void test_values(void **state)
{
	char buf[32];

	(void)state;
	rd_format_value(buf, sizeof(buf), 0xed, 4);
	assert_string_equal(buf, "0x000000ed");
	rd_format_value(buf, sizeof(buf), 0xed, 1);
	assert_string_equal(buf, "0xed");
	rd_format_value(buf, sizeof(buf), 0x1234, 2);
	assert_string_equal(buf, "0x1234");
	rd_format_value(buf, sizeof(buf), 1, 8);
	assert_string_equal(buf, "0x0000000000000001");
}

static void test_dump32(void **state)
{
	struct fake f = { .fail_at = UINT64_MAX };
	unsigned int fails;
	int first;
	char *s;

	(void)state;
	s = capture_dump(0x10, 0x18, 4, &f, &fails, &first);
	assert_string_equal(s, "00000010: 10101010 14141414 18181818 1c1c1c1c\n"
			       "00000020: 20202020 24242424\n");
	assert_string_equal(f.log, "32@10 32@14 32@18 32@1c 32@20 32@24");
	assert_int_equal(fails, 0);
	assert_int_equal(first, 0);
	free(s);
}

static void test_dump_widths(void **state)
{
	struct fake f = { .fail_at = UINT64_MAX };
	unsigned int fails;
	int first;
	char *s;

	(void)state;
	s = capture_dump(0, 16, 1, &f, &fails, &first);
	assert_string_equal(s, "00000000: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n");
	free(s);
	f.log[0] = '\0';
	s = capture_dump(2, 4, 2, &f, &fails, &first);
	assert_string_equal(s, "00000002: 0202 0404\n");
	assert_string_equal(f.log, "16@2 16@4");
	free(s);
	f.log[0] = '\0';
	s = capture_dump(0x80, 0x18, 8, &f, &fails, &first);
	assert_string_equal(s, "00000080: 8080808080808080 8888888888888888\n"
			       "00000090: 9090909090909090\n");
	free(s);
	s = capture_dump(0, 0, 4, &f, &fails, &first);
	assert_string_equal(s, "");
	free(s);
}

static void test_dump_holes(void **state)
{
	struct fake f = { .fail_at = 4 };
	unsigned int fails;
	int first;
	char *s;

	(void)state;
	s = capture_dump(0, 12, 4, &f, &fails, &first);
	assert_string_equal(s, "00000000: 00000000 ???????? 08080808\n");
	assert_int_equal(fails, 1);
	assert_int_equal(first, -EFAULT);
	free(s);
}

static void test_check_range(void **state)
{
	char err[RD_ERR_MAX];

	(void)state;
	assert_int_equal(rd_check_range(0, 0x100, 4, 0x1000, err, sizeof(err)), 0);
	assert_int_equal(rd_check_range(0xffc, 4, 4, 0x1000, err, sizeof(err)), 0);
	assert_int_equal(rd_check_range(2, 4, 4, 0x1000, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "range 0x2+0x4 is not aligned to the 32-bit width: start and size must be multiples of 4");
	assert_int_equal(rd_check_range(0, 6, 4, 0x1000, err, sizeof(err)), -EINVAL);
	assert_int_equal(rd_check_range(0xffc, 8, 4, 0x1000, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "range 0xffc+0x8 runs past the end (size 0x1000)");
	assert_int_equal(rd_check_range(0x1000, 4, 4, 0x1000, err, sizeof(err)), -EINVAL);
	assert_int_equal(rd_check_range(UINT64_MAX - 3, 8, 4, UINT64_MAX, err, sizeof(err)),
			 -EINVAL);
}

static const char map_text[] =
	"space bar 0\n"
	"register ident 0x00 32 ro Identification\n"
	"field magic 7:0\nvalue 0xed edu\nvalue 0x00 zero\n"
	"field major 31:24 major version\n"
	"register wide 0x08 64 rw widths=32,64\n"
	"register clr 0x10 32 rc\n"
	"register go 0x14 32 wo Doorbell\n"
	"register half 0x18 16 ro widths=8,16\n";

static char *capture_map(const struct rd_show_opts *o, struct fake *f, unsigned int *fails)
{
	char err[256], *buf = NULL;
	struct rd_map *m;
	size_t len = 0;
	FILE *out;
	int first;

	assert_int_equal(rd_map_parse(map_text, strlen(map_text), "t.map", &m, err, sizeof(err)), 0);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	*fails = rd_map_show(out, m, fake_read, f, o, &first);
	fclose(out);
	rd_map_free(m);
	return buf;
}

static void test_map_show(void **state)
{
	struct rd_show_opts o = { 0 };
	struct fake f = { .fail_at = UINT64_MAX };
	unsigned int fails;
	char *s;

	(void)state;
	s = capture_map(&o, &f, &fails);
	assert_string_equal(s,
		"ident            0x0000  ro   0x00000000  Identification\n"
		"    magic            [7:0]    0x0 (zero)\n"
		"    major            [31:24]  0x0  major version\n"
		"wide             0x0008  rw   0x0808080808080808\n"
		"clr              0x0010  rc   (reading clears it: not read without --force-read)\n"
		"go               0x0014  wo   (write-only, not read)  Doorbell\n"
		"half             0x0018  ro   0x1818\n");
	/* Each readable register once, at its widest allowed width; rc and wo untouched. */
	assert_string_equal(f.log, "32@0 64@8 16@18");
	assert_int_equal(fails, 0);
	free(s);
}

static void test_map_widths(void **state)
{
	struct rd_show_opts o = { .width = 4, .force = true };
	struct fake f = { .fail_at = UINT64_MAX };
	unsigned int fails;
	char *s;

	(void)state;
	s = capture_map(&o, &f, &fails);
	/* 32-bit where allowed: the 64-bit register in two halves, low first. */
	assert_string_equal(f.log, "32@0 32@8 32@c 32@10 16@18");
	assert_non_null(strstr(s, "wide             0x0008  rw   0x0c0c0c0c08080808\n"));
	assert_non_null(strstr(s, "clr              0x0010  rc   0x10101010\n"));
	free(s);
	f.log[0] = '\0';
	o.width = 1;
	s = capture_map(&o, &f, &fails);
	assert_string_equal(f.log, "32@0 64@8 32@10 8@18 8@19");
	assert_non_null(strstr(s, "half             0x0018  ro   0x1918\n"));
	free(s);
}

static void test_map_failures(void **state)
{
	struct rd_show_opts o = { 0 };
	struct fake f = { .fail_at = 0 };
	unsigned int fails;
	char *s;

	(void)state;
	s = capture_map(&o, &f, &fails);
	assert_int_equal(fails, 1);
	assert_non_null(strstr(s, "ident            0x0000  ro   (unreadable)  Identification\nwide"));
	free(s);
}

static void test_map_enum(void **state)
{
	static const char text[] = "register ident 0 32 ro\nfield magic 7:0\nvalue 0xed edu\n";
	struct rd_show_opts o = { 0 };
	char err[256], *buf = NULL;
	struct rd_map *m;
	size_t len = 0;
	FILE *out;
	int first;

	(void)state;
	assert_int_equal(rd_map_parse(text, strlen(text), "t.map", &m, err, sizeof(err)), 0);
	m->regs[0].offset = 0xed; /* the fake reads 0xedededed there */
	out = open_memstream(&buf, &len);
	rd_map_show(out, m, fake_read, &(struct fake){ .fail_at = UINT64_MAX }, &o, &first);
	fclose(out);
	assert_string_equal(buf, "ident            0x00ed  ro   0xedededed\n"
				 "    magic            [7:0]    0xed (edu)\n");
	free(buf);
	rd_map_free(m);
}

static void test_json(void **state)
{
	static const unsigned char bytes[] = { 0x34, 0x12, 0x00, 0xff };
	struct rd_show_opts o = { 0 };
	struct fake f = { .fail_at = 4 };
	char err[256], *buf = NULL;
	struct rd_map *m;
	unsigned int fails;
	size_t len = 0;
	FILE *out;
	int first;

	(void)state;
	out = open_memstream(&buf, &len);
	rd_json_string(out, "a\"b\\c\n\x01\x7f\xc3\xa9");
	fputc(' ', out);
	rd_json_string(out, NULL);
	fputc(' ', out);
	rd_json_hex(out, bytes, sizeof(bytes));
	fputc(' ', out);
	fails = rd_dump_json(out, 0, 8, 4, fake_read, &f, &first);
	fclose(out);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\xc3\xa9\" null \"341200ff\" "
			    "[{\"offset\": 0, \"value\": \"0x00000000\"}, "
			    "{\"offset\": 4, \"error\": \"Bad address\"}]");
	assert_int_equal(fails, 1);
	assert_int_equal(first, -EFAULT);
	free(buf);

	assert_int_equal(rd_map_parse(map_text, strlen(map_text), "t.map", &m, err, sizeof(err)), 0);
	buf = NULL;
	out = open_memstream(&buf, &len);
	f.fail_at = UINT64_MAX;
	f.log[0] = '\0';
	fails = rd_map_json(out, m, fake_read, &f, &o, &first);
	fclose(out);
	assert_int_equal(fails, 0);
	assert_string_equal(f.log, "32@0 64@8 16@18");
	assert_string_equal(buf,
		"[{\"name\": \"ident\", \"offset\": 0, \"size\": 32, \"access\": \"ro\", "
		"\"description\": \"Identification\", \"width\": 32, \"value\": \"0x00000000\", "
		"\"fields\": [{\"name\": \"magic\", \"hi\": 7, \"lo\": 0, \"value\": \"0x0\", "
		"\"enum\": \"zero\", \"description\": null}, {\"name\": \"major\", \"hi\": 31, "
		"\"lo\": 24, \"value\": \"0x0\", \"enum\": null, \"description\": \"major version\"}]}, "
		"{\"name\": \"wide\", \"offset\": 8, \"size\": 64, \"access\": \"rw\", "
		"\"description\": null, \"width\": 64, \"value\": \"0x0808080808080808\", \"fields\": []}, "
		"{\"name\": \"clr\", \"offset\": 16, \"size\": 32, \"access\": \"rc\", "
		"\"description\": null, \"value\": null, \"not_read\": \"read-clears\"}, "
		"{\"name\": \"go\", \"offset\": 20, \"size\": 32, \"access\": \"wo\", "
		"\"description\": \"Doorbell\", \"value\": null, \"not_read\": \"write-only\"}, "
		"{\"name\": \"half\", \"offset\": 24, \"size\": 16, \"access\": \"ro\", "
		"\"description\": null, \"width\": 16, \"value\": \"0x1818\", \"fields\": []}]");
	free(buf);
	rd_map_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_dump32),
		cmocka_unit_test(test_dump_widths),
		cmocka_unit_test(test_dump_holes),
		cmocka_unit_test(test_check_range),
		cmocka_unit_test(test_map_show),
		cmocka_unit_test(test_map_widths),
		cmocka_unit_test(test_map_failures),
		cmocka_unit_test(test_map_enum),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
