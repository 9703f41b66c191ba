// SPDX-License-Identifier: MIT
/*
 * Reading /proc/self/{maps,smaps,pagemap}, /proc/iomem and the sysfs files
 * that describe a PCI function's addresses (see addrs.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addrs.h"

#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)

/* Squeeze runs of blanks to one; drop trailing blanks and the newline. */
static void squeeze(char *s)
{
	char *start = s, *d = s;

	for (; *s && *s != '\n'; s++)
		if (*s != ' ' || d == start || d[-1] != ' ')
			*d++ = *s;
	while (d > start && d[-1] == ' ')
		d--;
	*d = '\0';
}

int addrs_vma(const void *va, struct addrs_vma *vma)
{
	uint64_t a = (uintptr_t)va;
	char line[1024];
	int ret = -ENOENT, n;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*u %n", &vma->start,
			   &vma->end, &vma->offset, &n) != 3 || a < vma->start || a >= vma->end)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(vma->path, sizeof(vma->path), "%.255s", line + n);
		squeeze(line);
		snprintf(vma->line, sizeof(vma->line), "%.511s", line);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int addrs_smaps(const void *va, uint64_t *page_size, char *flags, size_t flags_len)
{
	uint64_t a = (uintptr_t)va, start, end, kb;
	char line[1024], perms[8];
	int in = 0, ret = -ENOENT;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -errno;
	*flags = '\0';
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		/* A mapping's header line ("start-end perms ..."), or one of its fields. */
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s", &start, &end, perms) == 3) {
			if (!ret)
				break; /* past the mapping */
			in = a >= start && a < end;
		} else if (in && sscanf(line, "KernelPageSize: %" SCNu64 " kB", &kb) == 1) {
			*page_size = kb * 1024;
			ret = 0;
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			snprintf(flags, flags_len, "%.*s", (int)flags_len - 1,
				 line + 8 + strspn(line + 8, " "));
			flags[strcspn(flags, "\n")] = '\0';
			while (*flags && flags[strlen(flags) - 1] == ' ')
				flags[strlen(flags) - 1] = '\0';
		}
	}
	fclose(f);
	return ret;
}

int addrs_pfn(const void *va, uint64_t *pfn)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t entry;
	ssize_t n;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)va / pg * sizeof(entry)));
	close(fd);
	if (n != sizeof(entry))
		return n < 0 ? -errno : -EIO;
	if (!(entry & PM_PRESENT))
		return -ENOENT;
	if (!(entry & PM_PFN_MASK))
		return -EPERM;
	*pfn = entry & PM_PFN_MASK;
	return 0;
}

int addrs_iomem(const char *name, uint64_t addr, struct addrs_range *r, char *child,
		size_t child_len)
{
	char line[512];
	uint64_t s, e;
	int n, depth = -1, zeros = 1, ret = -ENOENT;
	FILE *f = fopen("/proc/iomem", "re");

	if (!f)
		return -errno;
	*child = '\0';
	while (fgets(line, sizeof(line), f)) {
		int indent = (int)strspn(line, " ");

		if (sscanf(line, " %" SCNx64 "-%" SCNx64 " : %n", &s, &e, &n) != 2)
			continue;
		if (e)
			zeros = 0;
		line[strcspn(line, "\n")] = '\0';
		if (depth >= 0) { /* the line after the match: nested inside it? */
			if (indent > depth && s >= r->start && e <= r->end)
				snprintf(child, child_len, "%s", line + n);
			break;
		}
		if (!strcmp(line + n, name) && addr >= s && addr <= e) {
			r->start = s;
			r->end = e;
			depth = indent;
			ret = 0;
		}
	}
	fclose(f);
	return ret && zeros ? -EPERM : ret;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

int addrs_sysfs_resource(const char *dev, unsigned int bar, struct addrs_range *r,
			 uint64_t *flags)
{
	char path[PATH_MAX], line[128];
	unsigned int i;
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", dev);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	for (i = 0; fgets(line, sizeof(line), f); i++)
		if (i == bar) {
			if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &r->start, &r->end,
				   flags) == 3 && r->end)
				ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

static int link_name(const char *path, char *name, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0)
		return -errno;
	target[n] = '\0';
	snprintf(name, len, "%s", strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
	return 0;
}

int addrs_driver(const char *dev, char *name, size_t len)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", dev);
	ret = link_name(path, name, len);
	if (ret == -ENOENT) {
		*name = '\0';
		ret = 0;
	}
	return ret;
}

int addrs_iommu(const char *dev, char *group, size_t group_len, char *type, size_t type_len)
{
	char path[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev);
	ret = link_name(path, group, group_len);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/type", group);
	if (read_line(path, type, type_len))
		snprintf(type, type_len, "unknown");
	return 0;
}

int addrs_uio_map(const char *uio, unsigned int map, uint64_t *addr)
{
	char path[PATH_MAX], val[64], *end;
	int ret;

	snprintf(path, sizeof(path), "/sys/class/uio/%s/maps/map%u/addr", uio, map);
	ret = read_line(path, val, sizeof(val));
	if (ret)
		return ret;
	errno = 0;
	*addr = strtoull(val, &end, 16);
	return errno || end == val ? -EINVAL : 0;
}
