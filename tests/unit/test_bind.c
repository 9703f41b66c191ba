// SPDX-License-Identifier: MIT
/*
 * Binding on a fake sysfs tree.  udrv_sysfs_write() is wrapped (ld
 * --wrap=udrv_sysfs_write): the wrapper logs every write, can fail one on
 * purpose, performs it on the plain file, then does the kernel's part -
 * drivers_probe binds the function to its driver_override, unbind removes
 * the driver link, bind adds it.  modprobe is a shell script
 * (udrv_test_set_modprobe()) that registers the driver in the fake tree.
 *
 * Also here: the catalogue of bad inputs to every discovery, binding and
 * monitor entry point, each with the message it must produce.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "admin.h"
#include "fake_sysfs.h"

#include <udrv/bind.h>
#include <udrv/discover.h>
#include <udrv/monitor.h>

#define EDU "0000:00:04.0"
#define NIC "0000:00:03.0"
#define NIC2 "0000:00:03.1"

static const char *root;
static char wlog[2048];        /* "file=value;" for every write */
static const char *fail_attr;  /* a write to a path ending in this fails... */
static int fail_err;           /* ...with this errno */
static const char *refuse;     /* a driver whose probe fails */

int __real_udrv_sysfs_write(const char *path, const char *val);

static void rel_path(const char *path, char *buf, size_t size)
{
	size_t n = strlen(root);

	snprintf(buf, size, "%s", strncmp(path, root, n) ? path : path + n + 1);
}

static bool bound(const char *addr)
{
	char path[512], target[256];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", root, addr);
	return readlink(path, target, sizeof(target)) > 0;
}

static void read_override(const char *addr, char *buf, size_t size)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver_override", root, addr);
	buf[0] = '\0';
	if (!udrv_sysfs_read_str(path, buf, size) && !strcmp(buf, "(null)"))
		buf[0] = '\0';
}

static bool driver_exists(const char *driver)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", root, driver);
	return !access(path, F_OK);
}

/* The kernel's side of each write. */
int __wrap_udrv_sysfs_write(const char *path, const char *val)
{
	char rel[512], ov[64], drv[64];
	const char *slash;
	size_t n;
	int ret;

	rel_path(path, rel, sizeof(rel));
	snprintf(wlog + strlen(wlog), sizeof(wlog) - strlen(wlog), "%s=%s;", rel,
		 strcmp(val, "\n") ? val : "\\n");
	n = fail_attr ? strlen(fail_attr) : 0;
	if (n && strlen(rel) >= n && !strcmp(rel + strlen(rel) - n, fail_attr))
		return -fail_err;
	ret = __real_udrv_sysfs_write(path, val);
	if (ret)
		return ret;
	slash = strrchr(rel, '/');
	if (!strcmp(rel, "bus/pci/drivers_probe") && !bound(val)) {
		read_override(val, ov, sizeof(ov));
		if (*ov && driver_exists(ov) && !(refuse && !strcmp(ov, refuse)))
			fake_sysfs_bind(val, ov);
	} else if (!strncmp(rel, "bus/pci/drivers/", 16) && slash > rel + 16) {
		snprintf(drv, sizeof(drv), "%.*s", (int)(slash - rel - 16), rel + 16);
		if (!strcmp(slash, "/unbind") && bound(val))
			fake_sysfs_bind(val, NULL);
		if (!strcmp(slash, "/bind") && !bound(val)) {
			read_override(val, ov, sizeof(ov));
			if (*ov && strcmp(ov, drv))
				return -ENODEV;
			fake_sysfs_bind(val, drv);
		}
	}
	return 0;
}

static void add_driver(const char *driver)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/bind", driver);
	fake_sysfs_put(rel, "", 0);
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind", driver);
	fake_sysfs_put(rel, "", 0);
}

static void add_function(const char *addr, const char *driver, int group)
{
	char rel[128], path[512], target[64];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override", addr);
	fake_sysfs_put(rel, "(null)\n", 7);
	if (driver) {
		add_driver(driver);
		fake_sysfs_bind(addr, driver);
	}
	if (group < 0)
		return;
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/.keep", group);
	fake_sysfs_put(rel, "", 0);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", root, addr);
	snprintf(target, sizeof(target), "../../../../kernel/iommu_groups/%d", group);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%d/devices/%s", root, group, addr);
	snprintf(target, sizeof(target), "../../../../bus/pci/devices/%s", addr);
	assert_int_equal(symlink(target, path), 0);
}

/* After a line setting UDRV_SYSFS_ROOT: modprobe runs with a fixed environment. */
static const char modprobe_script[] =
	"echo \"$1\" >> \"$UDRV_SYSFS_ROOT/modprobe.log\"\n"
	"case \"$1\" in\n"
	"vfio-pci|uio_pci_generic|udrv_stub)\n"
	"  d=\"$UDRV_SYSFS_ROOT/bus/pci/drivers/$1\"; mkdir -p \"$d\"; : > \"$d/bind\"; : > \"$d/unbind\";;\n"
	"vfio_iommu_type1|notapcidriver) ;;\n"
	"*) echo \"modprobe: FATAL: Module $1 not found in directory /lib/modules/fake\" >&2; exit 1;;\n"
	"esac\n";

/* Point libudrv at another modprobe (NULL: the real one); the last copy is freed. */
static void set_modprobe(const char *path)
{
	static char *current;

	free(current);
	current = path ? strdup(path) : NULL;
	udrv_test_set_modprobe(current);
}

/* Before each test: edu unbound, a NIC on e1000, its sibling on e1000 too (same group). */
static int setup(void **state)
{
	char path[512], script[1024];

	(void)state;
	root = fake_sysfs_create();
	fake_sysfs_put("bus/pci/drivers_probe", "", 0);
	add_function(EDU, NULL, 4);
	add_function(NIC, "e1000", 3);
	add_function(NIC2, "e1000", 3);
	snprintf(script, sizeof(script), "#!/bin/sh\nUDRV_SYSFS_ROOT='%s'\n%s", root,
		 modprobe_script);
	fake_sysfs_put("modprobe", script, strlen(script));
	snprintf(path, sizeof(path), "%s/modprobe", root);
	chmod(path, 0755);
	set_modprobe(path);
	wlog[0] = '\0';
	fail_attr = refuse = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	set_modprobe(NULL);
	fake_sysfs_destroy();
	return 0;
}

static void expect_driver(const char *addr, const char *driver)
{
	char path[512], name[64] = "";

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", root, addr);
	udrv_sysfs_link_name(path, name, sizeof(name));
	assert_string_equal(name, driver);
}

static void expect_log(const char *want)
{
	if (strcmp(wlog, want))
		fail_msg("sysfs writes:\n  got  %s\n  want %s", wlog, want);
	wlog[0] = '\0';
}

static void expect_modprobe_log(const char *want)
{
	char path[512], got[256] = "";
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/modprobe.log", root);
	fp = fopen(path, "r");
	if (fp) {
		n = fread(got, 1, sizeof(got) - 1, fp);
		got[n] = '\0';
		fclose(fp);
		unlink(path);
	}
	assert_string_equal(got, want);
}

static void expect_error(int ret, int err, const char *msg)
{
	if (ret != err || !strstr(udrv_last_error(), msg))
		fail_msg("got %d '%s', want %d '...%s...'", ret, udrv_last_error(), err, msg);
}

static void test_bind_unbound_loads_module(void **state)
{
	struct udrv_bind_state prev;
	char ov[64];

	(void)state;
	assert_int_equal(udrv_bind("00:04.0", "uio_pci_generic", &prev), 0);
	expect_log("bus/pci/devices/" EDU "/driver_override=uio_pci_generic;"
		   "bus/pci/drivers_probe=" EDU ";");
	expect_modprobe_log("uio_pci_generic\n");
	expect_driver(EDU, "uio_pci_generic");
	assert_string_equal(prev.driver, "");
	assert_string_equal(prev.override, "");
	read_override(EDU, ov, sizeof(ov));
	assert_string_equal(ov, "uio_pci_generic");

	/* Again: already there, nothing written. */
	assert_int_equal(udrv_bind(EDU, "uio_pci_generic", &prev), 0);
	expect_log("");
	assert_string_equal(prev.driver, "uio_pci_generic");

	/* Back to nothing: driver_override cleared, not re-probed. */
	assert_int_equal(udrv_restore(EDU, &(struct udrv_bind_state){ "", "" }), 0);
	expect_log("bus/pci/devices/" EDU "/driver_override=\\n;"
		   "bus/pci/drivers/uio_pci_generic/unbind=" EDU ";");
	expect_driver(EDU, "");
}

static void test_bind_from_host_driver_and_restore(void **state)
{
	struct udrv_bind_state prev;

	(void)state;
	add_driver("udrv_stub");
	assert_int_equal(udrv_bind(NIC, "udrv_stub", &prev), 0);
	expect_log("bus/pci/devices/" NIC "/driver_override=udrv_stub;"
		   "bus/pci/drivers/e1000/unbind=" NIC ";"
		   "bus/pci/drivers_probe=" NIC ";");
	expect_modprobe_log("");
	expect_driver(NIC, "udrv_stub");
	assert_string_equal(prev.driver, "e1000");

	assert_int_equal(udrv_restore(NIC, &prev), 0);
	expect_log("bus/pci/devices/" NIC "/driver_override=e1000;"
		   "bus/pci/drivers/udrv_stub/unbind=" NIC ";"
		   "bus/pci/drivers_probe=" NIC ";"
		   "bus/pci/devices/" NIC "/driver_override=\\n;");
	expect_driver(NIC, "e1000");

	/* Restoring what is already there writes nothing. */
	assert_int_equal(udrv_restore(NIC, &prev), 0);
	expect_log("");
}

static void test_unbind(void **state)
{
	(void)state;
	assert_int_equal(udrv_unbind(NIC), 0);
	expect_log("bus/pci/drivers/e1000/unbind=" NIC ";");
	expect_driver(NIC, "");
	assert_int_equal(udrv_unbind(NIC), 0);
	expect_log("");
}

static void test_vfio_group_checks(void **state)
{
	char path[512];

	(void)state;
	/* Group 3 also holds NIC2, still on e1000: refused before any write. */
	add_driver("vfio-pci");
	expect_error(udrv_bind(NIC, "vfio-pci", NULL), -EBUSY,
		     NIC ": IOMMU group 3 is not viable for vfio-pci: " NIC2 " (e1000) is bound to a host driver");
	expect_log("");
	expect_driver(NIC, "e1000");

	/* With NIC2 unbound, NIC may go; then NIC2 follows it. */
	assert_int_equal(udrv_unbind(NIC2), 0);
	assert_int_equal(udrv_bind(NIC, "vfio-pci", NULL), 0);
	assert_int_equal(udrv_bind(NIC2, "vfio-pci", NULL), 0);
	expect_driver(NIC, "vfio-pci");
	expect_driver(NIC2, "vfio-pci");

	/* No IOMMU group: refused, unless VFIO's no-IOMMU mode is on. */
	snprintf(path, sizeof(path), "%s/bus/pci/devices/" EDU "/iommu_group", root);
	unlink(path);
	wlog[0] = '\0';
	expect_error(udrv_bind(EDU, "vfio-pci", NULL), -ENODEV,
		     EDU ": has no IOMMU group, so vfio-pci cannot take it: enable the IOMMU");
	expect_log("");
	fake_sysfs_put("module/vfio/parameters/enable_unsafe_noiommu_mode", "Y\n", 2);
	assert_int_equal(udrv_bind(EDU, "vfio-pci", NULL), 0);
}

static void test_modprobe_paths(void **state)
{
	char path[512];
	int fds = count_fds();

	(void)state;
	/* modprobe fails: its message and a remedy. */
	expect_error(udrv_bind(EDU, "nosuchdriver", NULL), -ENOENT,
		     "modprobe nosuchdriver failed (exit status 1): modprobe: FATAL: Module nosuchdriver not found");
	assert_non_null(strstr(udrv_last_error(), "load its module by hand"));
	expect_modprobe_log("nosuchdriver\n");

	/* modprobe succeeds but registers no PCI driver. */
	expect_error(udrv_bind(EDU, "notapcidriver", NULL), -ENOENT,
		     "no PCI driver 'notapcidriver': ");
	assert_non_null(strstr(udrv_last_error(), "is missing after modprobe notapcidriver"));
	expect_modprobe_log("notapcidriver\n");

	/* No modprobe at all. */
	snprintf(path, sizeof(path), "%s/no/modprobe", root);
	set_modprobe(path);
	expect_error(udrv_bind(EDU, "udrv_stub", NULL), -ENOENT, "cannot run ");
	assert_non_null(strstr(udrv_last_error(), "to load udrv_stub: No such file or directory"));
	assert_non_null(strstr(udrv_last_error(), "(install kmod, or install udrv_stub.ko"));
	expect_log("");
	expect_driver(EDU, "");
	assert_int_equal(count_fds(), fds);

	/* vfio-pci brings vfio_iommu_type1 along. */
	snprintf(path, sizeof(path), "%s/modprobe", root);
	set_modprobe(path);
	assert_int_equal(udrv_bind(EDU, "vfio-pci", NULL), 0);
	expect_modprobe_log("vfio-pci\nvfio_iommu_type1\n");
	expect_driver(EDU, "vfio-pci");
	assert_int_equal(count_fds(), fds);
}

static void test_in_use_refused(void **state)
{
	struct stat st;
	char val[32];
	int fd, fds;

	(void)state;
	/* The NIC "exports" /dev/null as its uio node, and we hold /dev/null. */
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(val, sizeof(val), "%u:%u\n", major(st.st_rdev), minor(st.st_rdev));
	fake_sysfs_put("bus/pci/devices/" NIC "/uio/uio0/dev", val, strlen(val));
	fds = count_fds();
	add_driver("uio_pci_generic");
	snprintf(val, sizeof(val), "pid %d (", (int)getpid());
	expect_error(udrv_bind(NIC, "uio_pci_generic", NULL), -EBUSY, NIC ": in use from user space by ");
	assert_non_null(strstr(udrv_last_error(), val));
	assert_non_null(strstr(udrv_last_error(), "this process"));
	expect_error(udrv_unbind(NIC), -EBUSY, "in use from user space");
	expect_log("");
	expect_driver(NIC, "e1000");
	assert_int_equal(count_fds(), fds);
	close(fd);
}

static void test_write_failures_roll_back(void **state)
{
	char ov[64];
	int fds = count_fds();

	(void)state;
	add_driver("uio_pci_generic");

	/* Not root: the first write fails, nothing else is tried. */
	fail_attr = "driver_override";
	fail_err = EACCES;
	expect_error(udrv_bind(NIC, "uio_pci_generic", NULL), -EACCES,
		     NIC ": cannot write 'uio_pci_generic' to ");
	assert_non_null(strstr(udrv_last_error(), "Permission denied (binding drivers needs root)"));
	expect_log("bus/pci/devices/" NIC "/driver_override=uio_pci_generic;");

	/* The unbind fails: driver_override is put back. */
	fail_attr = "e1000/unbind";
	fail_err = EBUSY;
	expect_error(udrv_bind(NIC, "uio_pci_generic", NULL), -EBUSY,
		     "cannot write '" NIC "' to ");
	expect_log("bus/pci/devices/" NIC "/driver_override=uio_pci_generic;"
		   "bus/pci/drivers/e1000/unbind=" NIC ";"
		   "bus/pci/devices/" NIC "/driver_override=\\n;");
	read_override(NIC, ov, sizeof(ov));
	assert_string_equal(ov, "");
	expect_driver(NIC, "e1000");

	/* The new driver's probe fails: back on e1000, override cleared. */
	fail_attr = NULL;
	refuse = "uio_pci_generic";
	expect_error(udrv_bind(NIC, "uio_pci_generic", NULL), -EIO,
		     NIC ": uio_pci_generic did not take the device (driver now: none; see dmesg); put back on its old driver");
	expect_log("bus/pci/devices/" NIC "/driver_override=uio_pci_generic;"
		   "bus/pci/drivers/e1000/unbind=" NIC ";"
		   "bus/pci/drivers_probe=" NIC ";"
		   "bus/pci/devices/" NIC "/driver_override=\\n;"
		   "bus/pci/drivers/e1000/bind=" NIC ";");
	expect_driver(NIC, "e1000");

	/* Read-only sysfs (a container). */
	refuse = NULL;
	fail_attr = "drivers/e1000/unbind";
	fail_err = EROFS;
	expect_error(udrv_unbind(NIC), -EROFS, "(sysfs is read-only here: in a container?)");
	fail_attr = NULL;
	assert_int_equal(count_fds(), fds);
}

static void test_restore_needs_state(void **state)
{
	struct udrv_bind_state bad = { "e1000", "no/slash" };

	(void)state;
	expect_error(udrv_restore(NIC, NULL), -EINVAL, "udrv_restore: previous is NULL");
	expect_error(udrv_restore(NIC, &bad), -EINVAL, "'no/slash' is not a driver name");
}

/* The catalogue: a bad input to every entry point, and what it must say. */
static void test_bad_inputs(void **state)
{
	static const struct {
		const char *slot, *id, *msg;
	} filters[] = {
		{ "0000:00:04.0:1", NULL, "bad slot filter '0000:00:04.0:1': too many fields" },
		{ "zz:04.0", NULL, "bad slot filter 'zz:04.0': invalid bus number" },
		{ "00:20.0", NULL, "bad slot filter '00:20.0': invalid slot number" },
		{ "00:04.8", NULL, "bad slot filter '00:04.8': invalid function number" },
		{ "1.2.3", NULL, "bad slot filter '1.2.3': invalid slot/function number" },
		{ "80000000:00:00.0", NULL, "invalid domain number" },
		{ "0000000000000000000000000000000000000000000000000000000000000000:1.0", NULL,
		  "expression too long" },
		{ NULL, "8086", "bad device ID filter '8086': at least two fields must be given" },
		{ NULL, "10000:", "bad device ID filter '10000:': invalid vendor ID" },
		{ NULL, "8086:g", "invalid device ID" },
		{ NULL, "::12345", "invalid class code" },
		{ NULL, "::0200:100", "invalid programming interface code" },
		{ NULL, "1:2:3:4:5", "too many fields" },
		{ NULL, "8086:x", "invalid device ID" },
	};
	static const struct {
		const char *addr, *driver;
		int err;
		const char *msg;
	} binds[] = {
		{ "nonsense", "vfio-pci", -EINVAL, "'nonsense' is not a PCI address" },
		{ "0000:00:04", "vfio-pci", -EINVAL, "'0000:00:04' is not a PCI address" },
		{ NULL, "vfio-pci", -EINVAL, "PCI address: missing argument" },
		{ "00:09.0", "vfio-pci", -ENODEV, "0000:00:09.0: no such PCI device" },
		{ EDU, "", -EINVAL, "udrv_bind: no driver name given" },
		{ EDU, NULL, -EINVAL, "udrv_bind: no driver name given" },
		{ EDU, "../../etc", -EINVAL, "'../../etc' is not a driver name" },
		{ EDU, "vfio pci", -EINVAL, "'vfio pci' is not a driver name" },
		{ EDU, "a-driver-name-far-too-long-to-be-any-real-kernel-driver-name-at-all",
		  -EINVAL, "is not a driver name" },
	};
	struct udrv_pci_filter f;
	struct udrv_monitor *mon = (void *)1;
	size_t i;
	int fds = count_fds();

	(void)state;
	for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		expect_error(udrv_pci_filter_parse(&f, filters[i].slot, filters[i].id), -EINVAL,
			     filters[i].msg);
	expect_error(udrv_pci_filter_parse(NULL, NULL, NULL), -EINVAL, "the filter is NULL");
	for (i = 0; i < sizeof(binds) / sizeof(binds[0]); i++)
		expect_error(udrv_bind(binds[i].addr, binds[i].driver, NULL), binds[i].err,
			     binds[i].msg);
	expect_error(udrv_unbind("4.9"), -EINVAL, "'4.9' is not a PCI address");
	expect_error(udrv_unbind("0001:00:04.0"), -ENODEV, "0001:00:04.0: no such PCI device");
	expect_error(udrv_restore("x", &(struct udrv_bind_state){ "", "" }), -EINVAL,
		     "'x' is not a PCI address");
	expect_error(udrv_monitor_open("00:04.0.1", &mon), -EINVAL, "is not a PCI address");
	assert_null(mon);
	expect_error(udrv_monitor_open(NULL, NULL), -EINVAL, "udrv_monitor_open: monp is NULL");
	expect_error(udrv_monitor_read(NULL, NULL, 0), -EINVAL, "monitor or event is NULL");
	expect_log("");
	assert_int_equal(count_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bind_unbound_loads_module, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_from_host_driver_and_restore, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unbind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vfio_group_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modprobe_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_use_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failures_roll_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restore_needs_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_inputs, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
