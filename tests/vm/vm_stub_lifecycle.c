// SPDX-License-Identifier: MIT
/*
 * udrv_stub's BAR mappings and lifetime, in the stub profile with an extra
 * rtl8139 (an I/O BAR) bound to it:
 *   - its regions show in /proc/iomem and /proc/ioports under its name;
 *   - bad mmap() requests fail cleanly (past the BAR, unknown map, private);
 *   - after an unbind a live mapping faults with SIGBUS instead of reaching
 *     the BAR, and the module cannot be unloaded while that mapping exists;
 *   - 100 load/bind/unbind/unload cycles leave a working module
 *     ($UDRV_TEST_CYCLES overrides the count: fewer on the debug kernel).
 * The guest kernel log is scanned by udrv-vm: any Oops or WARNING fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define MODULE_PATH "/udrv/modules/udrv_stub.ko"
#define CYCLES 100	/* default for $UDRV_TEST_CYCLES */

static const char *edu;
static long page;

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n = fd < 0 ? -1 : write(fd, val, strlen(val));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static int file_has(const char *path, const char *what)
{
	char line[256];
	FILE *fp = fopen(path, "r");
	int found = 0;

	assert_non_null(fp);
	while (!found && fgets(line, sizeof(line), fp))
		found = strstr(line, what) != NULL;
	fclose(fp);
	return found;
}

static int uio_fd(const char *addr)
{
	char path[256];
	struct dirent *de;
	int n = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/uio", addr);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (sscanf(de->d_name, "uio%d", &n) == 1)
			break;
	closedir(d);
	snprintf(path, sizeof(path), "/dev/uio%d", n);
	return open(path, O_RDWR);
}

static int bound_to_stub(const char *addr)
{
	char path[256], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	return strstr(link, "/udrv_stub") != NULL;
}

static void test_regions_claimed(void **state)
{
	(void)state;
	assert_true(file_has("/proc/iomem", "udrv_stub"));
	/* The rtl8139's I/O BAR0 is claimed too. */
	assert_true(file_has("/proc/ioports", "udrv_stub"));
}

static void test_bad_mmaps(void **state)
{
	int fd = uio_fd(edu);
	void *p;

	(void)state;
	assert_true(fd >= 0);
	/* edu BAR0 is map 0, 1 MiB: one page more is refused, as is map 4 (none). */
	p = mmap(NULL, (1 << 20) + page, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p == MAP_FAILED && errno == EINVAL);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 4 * page);
	assert_true(p == MAP_FAILED && errno == EINVAL);
	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	assert_true(p == MAP_FAILED && errno == EINVAL);
	/* The whole BAR is fine, and reads edu's ident. */
	p = mmap(NULL, 1 << 20, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(*(volatile uint32_t *)p, 0x010000ed);
	munmap(p, 1 << 20);
	close(fd);
}

static void test_unbind_while_mapped(void **state)
{
	volatile uint32_t *bar;
	int fd = uio_fd(edu), status;
	pid_t pid;

	(void)state;
	assert_true(fd >= 0);
	bar = mmap(NULL, 1 << 20, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(bar != MAP_FAILED);
	assert_int_equal(bar[0], 0x010000ed);
	close(fd);

	assert_int_equal(put("/sys/bus/pci/drivers/udrv_stub/unbind", edu), 0);
	/* The mapping is still ours, so the module must stay. */
	assert_int_equal(syscall(SYS_delete_module, "udrv_stub", O_NONBLOCK), -1);
	assert_int_equal(errno, EWOULDBLOCK);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* cmocka catches SIGBUS; the child must die of it instead. */
		signal(SIGBUS, SIG_DFL);
		(void)bar[0];
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);

	munmap((void *)bar, 1 << 20);
	assert_int_equal(put("/sys/bus/pci/drivers_probe", edu), 0);
	assert_true(bound_to_stub(edu));
}

static void test_load_unload_cycles(void **state)
{
	const char *env = getenv("UDRV_TEST_CYCLES");
	int i, fd, cycles = env ? atoi(env) : CYCLES;

	(void)state;
	assert_true(cycles > 0);
	for (i = 0; i < cycles; i++) {
		/* Unloading unbinds edu (driver_override stays udrv_stub). */
		if (syscall(SYS_delete_module, "udrv_stub", O_NONBLOCK))
			fail_msg("cycle %d: rmmod: %s", i, strerror(errno));
		assert_false(bound_to_stub(edu));
		fd = open(MODULE_PATH, O_RDONLY);
		assert_true(fd >= 0);
		if (syscall(SYS_finit_module, fd, "", 0))
			fail_msg("cycle %d: insmod: %s", i, strerror(errno));
		close(fd);
		assert_int_equal(put("/sys/bus/pci/drivers_probe", edu), 0);
		if (!bound_to_stub(edu))
			fail_msg("cycle %d: edu did not bind", i);
	}
	printf("# %d unload/load/bind cycles\n", cycles);
	fd = uio_fd(edu);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regions_claimed),
		cmocka_unit_test(test_bad_mmaps),
		cmocka_unit_test(test_unbind_while_mapped),
		cmocka_unit_test(test_load_unload_cycles),
	};
	const char *profile = getenv("UDRV_VM_PROFILE");

	edu = getenv("UDRV_EDU");
	page = sysconf(_SC_PAGESIZE);
	if (!edu || !profile || strcmp(profile, "stub")) {
		fprintf(stderr, "vm_stub_lifecycle: run me under udrv-vm --profile stub\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
