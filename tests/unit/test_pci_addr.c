// SPDX-License-Identifier: MIT
/* PCI address parsing and formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <udrv/udrv.h>

static void check_ok(const char *in, const char *canon)
{
	struct udrv_pci_addr a;
	char buf[UDRV_PCI_ADDR_STRLEN];

	assert_int_equal(udrv_pci_addr_parse(in, &a), 0);
	assert_string_equal(udrv_pci_addr_format(&a, buf, sizeof(buf)), canon);
}

static void test_valid(void **state)
{
	(void)state;
	check_ok("0000:00:04.0", "0000:00:04.0");
	check_ok("00:04.0", "0000:00:04.0");
	check_ok("4.0", "0000:00:04.0");
	check_ok("1f.7", "0000:00:1f.7");
	check_ok("ffff:ff:1f.7", "ffff:ff:1f.7");
	check_ok("AB:1C.3", "0000:ab:1c.3");
	check_ok("1:2:3.4", "0001:02:03.4");
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
		"", ".", "04", "00:04", "0000:00:04", "00:20.0", "00:04.8", "10000:00:04.0",
		"0000:100:04.0", "0000:00:04.0 ", " 0000:00:04.0", "0000:00:04.", ":00:04.0",
		"0000::04.0", "0:0:0:04.0", "00:04.0.1", "0x00:04.0", "00:04.-1", "g0:04.0",
		"00.04:0", "00:+4.0",
	};
	struct udrv_pci_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = udrv_pci_addr_parse(bad[i], &a);

		if (ret != -EINVAL)
			fail_msg("'%s' parsed (ret %d)", bad[i], ret);
		assert_non_null(strstr(udrv_last_error(), "is not a PCI address"));
	}
	assert_int_equal(udrv_pci_addr_parse(NULL, &a), -EINVAL);
	assert_int_equal(udrv_pci_addr_parse("00:04.0", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
