// SPDX-License-Identifier: MIT
/* A fake /sys for unit tests; see fake_sysfs.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_sysfs.h"
#include "udrv_internal.h"

static char root[256];

static void make_parents(char *path)
{
	char *p;

	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
}

const char *fake_sysfs_create(void)
{
	snprintf(root, sizeof(root), "/tmp/udrv-fake-sysfs-XXXXXX");
	assert_non_null(mkdtemp(root));
	setenv("UDRV_SYSFS_ROOT", root, 1);
	udrv_test_set_roots(root, NULL);
	return root;
}

void fake_sysfs_destroy(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	unsetenv("UDRV_SYSFS_ROOT");
	udrv_test_set_roots(NULL, NULL);
}

void fake_sysfs_set_roots(const char *sysfs, const char *dev)
{
	udrv_test_set_roots(sysfs, dev);
}

void fake_sysfs_put(const char *rel, const void *data, size_t len)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	make_parents(path);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

void fake_sysfs_add_device(const char *addr, const void *config, size_t config_len,
			   const char *resource)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/config", addr);
	fake_sysfs_put(rel, config, config_len);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/resource", addr);
	fake_sysfs_put(rel, resource, strlen(resource));
}

void fake_sysfs_bind(const char *addr, const char *driver)
{
	char path[512], target[128];

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/%s", root, driver ? driver : "");
	if (driver)
		mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", root, addr);
	unlink(path);
	if (!driver)
		return;
	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", driver);
	assert_int_equal(symlink(target, path), 0);
}

size_t fake_sysfs_load(const char *name, unsigned char *buf, size_t size)
{
	char path[512];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.config", UDRV_TEST_DATA, name);
	fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open %s", path);
	n = fread(buf, 1, size, fp);
	fclose(fp);
	return n;
}

