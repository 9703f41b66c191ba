// SPDX-License-Identifier: MIT
/*
 * regdump's register description parser: the shipped maps, good input, and
 * malformed files, each with its line-numbered message.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/regdump/map.h"

#define MAPS UDRV_TEST_DATA "/../../../tools/regdump/maps"

static struct rd_map *parse_ok(const char *text)
{
	struct rd_map *m;
	char err[256] = "";

	if (rd_map_parse(text, strlen(text), "t.map", &m, err, sizeof(err)))
		fail_msg("unexpected error: %s", err);
	return m;
}

static const struct rd_reg *reg(const struct rd_map *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->n_regs; i++)
		if (!strcmp(m->regs[i].name, name))
			return &m->regs[i];
	fail_msg("no register %s", name);
	return NULL;
}

static void test_edu_map(void **state)
{
	const struct rd_reg *r;
	struct rd_map *m;
	char err[256];

	(void)state;
	assert_int_equal(rd_map_load(MAPS "/edu.map", &m, err, sizeof(err)), 0);
	assert_int_equal(m->space, RD_SPACE_BAR);
	assert_int_equal(m->bar, 0);
	assert_int_equal(m->n_regs, 11);
	r = reg(m, "ident");
	assert_int_equal(r->offset, 0);
	assert_int_equal(r->size, 4);
	assert_int_equal(r->widths, 4);
	assert_int_equal(r->access, RD_RO);
	assert_true(r->has_reset);
	assert_int_equal(r->reset, 0x010000ed);
	assert_string_equal(r->desc, "Identification: magic and version");
	assert_int_equal(r->n_fields, 3);
	assert_string_equal(r->fields[0].name, "magic");
	assert_int_equal(r->fields[0].hi, 7);
	assert_int_equal(r->fields[0].lo, 0);
	assert_int_equal(r->fields[0].n_enums, 1);
	assert_int_equal(r->fields[0].enums[0].value, 0xed);
	assert_int_equal(rd_field_get(&r->fields[2], 0x010000ed), 1);
	assert_int_equal(rd_field_get(&r->fields[1], 0x010000ed), 0);
	assert_int_equal(rd_field_get(&r->fields[0], 0x010000ed), 0xed);
	r = reg(m, "status");
	assert_int_equal(r->offset, 0x20);
	assert_int_equal(r->fields[0].hi, 0);
	assert_int_equal(r->fields[1].lo, 7);
	assert_int_equal(reg(m, "irq_raise")->access, RD_WO);
	assert_int_equal(reg(m, "irq_ack")->offset, 0x64);
	r = reg(m, "dma_src");
	assert_int_equal(r->offset, 0x80);
	assert_int_equal(r->size, 8);
	assert_int_equal(r->widths, 8);
	assert_int_equal(reg(m, "dma_cmd")->fields[1].n_enums, 2);
	rd_map_free(m);
}

static void test_pci_config_map(void **state)
{
	struct rd_map *m;
	char err[256];

	(void)state;
	assert_int_equal(rd_map_load(MAPS "/pci-config.map", &m, err, sizeof(err)), 0);
	assert_int_equal(m->space, RD_SPACE_CONFIG);
	assert_int_equal(reg(m, "vendor")->size, 2);
	assert_int_equal(reg(m, "status")->access, RD_W1C);
	assert_int_equal(reg(m, "status")->fields[5].hi, 10);
	assert_int_equal(reg(m, "header_type")->offset, 0x0e);
	assert_int_equal(reg(m, "max_lat")->offset, 0x3f);
	assert_int_equal(reg(m, "bar5")->offset, 0x24);
	rd_map_free(m);
}

static void test_good(void **state)
{
	struct rd_map *m;
	const struct rd_reg *r;

	(void)state;
	m = parse_ok("# comment\r\n\n   \t\nregister a 0 8 rw\r\n"
		     "register b\t0x8  64 rc widths=8,16,32,64 reset=0xffffffffffffffff  two  words \n"
		     "field lo 31:0\nfield top 63 the top bit\nvalue 1 set\nvalue 0 clear  it is clear\n"
		     "register c 0x10 16 w1c reset=7\n"
		     "register d 0x12 16 ro widths=8 reset=0x10\n"
		     "register e.x_1 0x14 32 wo");
	assert_int_equal(m->space, RD_SPACE_ANY);
	assert_int_equal(m->n_regs, 5);
	r = reg(m, "b");
	assert_int_equal(r->widths, 15);
	assert_int_equal(r->access, RD_RC);
	assert_int_equal(r->reset, UINT64_MAX);
	assert_string_equal(r->desc, "two  words");
	assert_null(r->fields[0].desc);
	assert_string_equal(r->fields[1].desc, "the top bit");
	assert_string_equal(r->fields[1].enums[1].desc, "it is clear");
	assert_int_equal(rd_field_get(&r->fields[1], UINT64_C(1) << 63), 1);
	assert_int_equal(rd_field_get(&r->fields[0], UINT64_MAX), 0xffffffff);
	assert_null(reg(m, "a")->desc);
	assert_int_equal(reg(m, "d")->widths, 1);
	assert_int_equal(reg(m, "e.x_1")->access, RD_WO);
	assert_false(rd_reg_readable(reg(m, "e.x_1"), true));
	assert_false(rd_reg_readable(r, false));
	assert_true(rd_reg_readable(r, true));
	assert_true(rd_reg_readable(reg(m, "c"), false));
	assert_string_equal(rd_access_name(RD_W1C), "w1c");
	rd_map_free(m);

	m = parse_ok("space config\nregister x 0 32 ro");
	assert_int_equal(m->space, RD_SPACE_CONFIG);
	rd_map_free(m);
	m = parse_ok("space bar 5\nregister x 0 32 ro\nfield f 31:0\nvalue 0xffffffff all");
	assert_int_equal(m->bar, 5);
	rd_map_free(m);
}

static const struct {
	const char *text;
	const char *err;
} bad[] = {
	{ "", "t.map: no registers defined" },
	{ "# only a comment\n", "t.map: no registers defined" },
	{ "registr a 0 32 ro", "t.map:1: unknown directive 'registr' (expected space, register, field or value)" },
	{ "register", "t.map:1: register name missing" },
	{ "register 1a 0 32 ro", "t.map:1: bad register name '1a': use letters, digits, '_' and '.', starting with a letter or '_'" },
	{ "register a-b 0 32 ro", "t.map:1: bad register name 'a-b': use letters, digits, '_' and '.', starting with a letter or '_'" },
	{ "\nregister a zz 32 ro", "t.map:2: register a: bad offset 'zz' (expected a number, e.g. 0x10)" },
	{ "register a", "t.map:1: register a: bad offset '' (expected a number, e.g. 0x10)" },
	{ "register a 0 24 ro", "t.map:1: register a: bad size '24' (expected 8, 16, 32 or 64 bits)" },
	{ "register a 2 32 ro", "t.map:1: register a: offset 0x2 is not a multiple of its size (4 bytes)" },
	{ "register a 0x100000000 32 ro", "t.map:1: register a: offset 0x100000000 is beyond 4 GiB" },
	{ "register a 0 32 rx", "t.map:1: register a: bad access 'rx' (expected ro, rw, wo, rc or w1c)" },
	{ "register a 0 32", "t.map:1: register a: bad access '' (expected ro, rw, wo, rc or w1c)" },
	{ "register a 0 32 ro widths=24", "t.map:1: bad access width '24' (expected 8, 16, 32 or 64)" },
	{ "register a 0 32 ro widths=64", "t.map:1: access width 64 is wider than the register (32 bits)" },
	{ "register a 0 32 ro widths=32,32", "t.map:1: access width 32 listed twice" },
	{ "register a 0 32 ro widths=", "t.map:1: empty widths= list (expected e.g. widths=32,64)" },
	{ "register a 0 32 ro reset=x", "t.map:1: register a: bad reset value 'x'" },
	{ "register a 0 8 ro reset=0x100", "t.map:1: register a: reset value 0x100 does not fit in 8 bits" },
	{ "register a 0 32 ro\nregister a 4 32 ro", "t.map:2: register a already defined on line 1" },
	{ "register a 0 32 ro\n\nregister b 2 16 ro", "t.map:3: register b overlaps register a (line 1)" },
	{ "register a 0 64 ro\nregister b 4 32 ro", "t.map:2: register b overlaps register a (line 1)" },
	{ "field f 0", "t.map:1: 'field' before any 'register'" },
	{ "register a 0 32 ro\nfield", "t.map:2: field name missing" },
	{ "register a 0 32 ro\nfield f", "t.map:2: field f: bad bit range '' (expected HI:LO or BIT, decimal, e.g. 23:16)" },
	{ "register a 0 32 ro\nfield f 7-0", "t.map:2: field f: bad bit range '7-0' (expected HI:LO or BIT, decimal, e.g. 23:16)" },
	{ "register a 0 32 ro\nfield f 7:", "t.map:2: field f: bad bit range '7:' (expected HI:LO or BIT, decimal, e.g. 23:16)" },
	{ "register a 0 32 ro\nfield f 0x7", "t.map:2: field f: bad bit range '0x7' (expected HI:LO or BIT, decimal, e.g. 23:16)" },
	{ "register a 0 32 ro\nfield f 0:7", "t.map:2: field f: bits 0:7 are reversed (write HI:LO, e.g. 7:0)" },
	{ "register a 0 16 ro\nfield f 16", "t.map:2: field f: bit 16 is outside register a (16 bits)" },
	{ "register a 0 32 ro\nfield f 99999999999999999999", "t.map:2: field f: bad bit range '99999999999999999999' (expected HI:LO or BIT, decimal, e.g. 23:16)" },
	{ "register a 0 32 ro\nfield f 3:0\nfield g 4:3", "t.map:3: field g (bits 4:3) overlaps field f (bits 3:0)" },
	{ "register a 0 32 ro\nfield f 3:0\nfield f 4", "t.map:3: field f already defined in register a" },
	{ "register a 0 32 ro\nvalue 1 one", "t.map:2: 'value' before any 'field' of the current register" },
	{ "register a 0 32 ro\nfield f 0\nregister b 4 32 ro\nvalue 1 one", "t.map:4: 'value' before any 'field' of the current register" },
	{ "register a 0 32 ro\nfield f 0\nvalue 2 two", "t.map:3: field f: value 0x2 does not fit in 1 bits" },
	{ "register a 0 32 ro\nfield f 1:0\nvalue x two", "t.map:3: field f: bad value 'x' (expected a number)" },
	{ "register a 0 32 ro\nfield f 1:0\nvalue 1", "t.map:3: value name missing" },
	{ "register a 0 32 ro\nfield f 1:0\nvalue 1 one\nvalue 1 uno", "t.map:4: field f: value uno (0x1) defined twice" },
	{ "register a 0 32 ro\nfield f 1:0\nvalue 1 one\nvalue 2 one", "t.map:4: field f: value one (0x2) defined twice" },
	{ "space", "t.map:1: bad space '' (expected 'space config' or 'space bar N')" },
	{ "space bar 6", "t.map:1: bad BAR number '6' (expected 0 to 5)" },
	{ "space config now", "t.map:1: unexpected text after the space" },
	{ "register a 0 32 ro\nspace config", "t.map:2: 'space' must come once, before the first register" },
	{ "space config\nspace config", "t.map:2: 'space' must come once, before the first register" },
	{ "register a 0 32 ro\nregister b 4 32 ro\nregister c\x01 8 32 ro", "t.map:3: bad register name 'c\x01': use letters, digits, '_' and '.', starting with a letter or '_'" },
	{ "register abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234 0 32 ro", "t.map:1: register name 'abcdefghijabcdefghij...' is longer than 63 characters" },
};

static void test_bad(void **state)
{
	char err[256];
	struct rd_map *m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		m = (struct rd_map *)1;
		if (rd_map_parse(bad[i].text, strlen(bad[i].text), "t.map", &m, err, sizeof(err)) !=
		    -EINVAL)
			fail_msg("case %zu accepted: %s", i, bad[i].text);
		assert_null(m);
		if (strcmp(err, bad[i].err))
			fail_msg("case %zu: got '%s', want '%s'", i, err, bad[i].err);
	}
}

static void test_bad_bytes(void **state)
{
	static const char nul[] = "register a 0 32 ro\nregister b 4\0 32 ro\n";
	char err[256], *longline;
	struct rd_map *m;

	(void)state;
	assert_int_equal(rd_map_parse(nul, sizeof(nul) - 1, "n.map", &m, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "n.map:2: NUL byte in the line");
	longline = malloc(RD_MAP_LINE_MAX + 2);
	assert_non_null(longline);
	memset(longline, '#', RD_MAP_LINE_MAX + 1);
	longline[RD_MAP_LINE_MAX + 1] = '\0';
	assert_int_equal(rd_map_parse(longline, strlen(longline), "l.map", &m, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "l.map:1: line longer than 1024 characters");
	free(longline);
	/* A short message buffer truncates, never overflows. */
	assert_int_equal(rd_map_parse("x", 1, "t.map", &m, err, 8), -EINVAL);
	assert_string_equal(err, "t.map:1");
}

static void test_load_errors(void **state)
{
	char err[256];
	struct rd_map *m;

	(void)state;
	assert_int_equal(rd_map_load("/nonexistent/x.map", &m, err, sizeof(err)), -ENOENT);
	assert_null(m);
	assert_string_equal(err, "cannot open map file /nonexistent/x.map: No such file or directory");
	rd_map_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edu_map),
		cmocka_unit_test(test_pci_config_map),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
