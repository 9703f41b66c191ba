// SPDX-License-Identifier: MIT
/* Benchmark support: clock, statistics, platform, reports; see bench.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_clock_cost(void)
{
	double d[1001];
	struct bench_stats st;
	size_t i;

	for (i = 0; i < 1001; i++) {
		uint64_t t0 = bench_now_ns();

		d[i] = (double)(bench_now_ns() - t0);
	}
	bench_stats(d, 1001, &st);
	return st.median;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Nearest-rank percentile of sorted @v. */
static double rank(const double *v, size_t n, double pct)
{
	size_t k = (size_t)ceil(pct / 100.0 * (double)n);

	return v[k ? k - 1 : 0];
}

void bench_stats(double *v, size_t n, struct bench_stats *st)
{
	double sum = 0;
	size_t i;

	memset(st, 0, sizeof(*st));
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	st->n = n;
	st->min = v[0];
	st->max = v[n - 1];
	st->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	st->p99 = rank(v, n, 99);
	st->mean = sum / (double)n;
}

static int file_has(const char *path, const char *needle)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

const char *bench_platform(void)
{
	static const char clocks[] =
		"/sys/devices/system/clocksource/clocksource0/available_clocksource";

	if (!file_has("/proc/cpuinfo", "hypervisor"))
		return "hardware";
	if (file_has(clocks, "kvm-clock"))
		return "virtual machine (KVM)";
	/* TCG has no kvm-clock; its CPU models are named "QEMU Virtual CPU". */
	if (file_has("/proc/cpuinfo", "QEMU"))
		return "emulated (QEMU TCG)";
	return "virtual machine";
}

void bench_begin(struct bench_report *r, const char *bench, const char *a_name,
		 const char *b_name, bool json)
{
	memset(r, 0, sizeof(*r));
	r->bench = bench;
	r->a_name = a_name;
	r->b_name = b_name;
	r->json = json;
}

static const char *keep(struct bench_report *r, const char *s)
{
	char *copy, **grown;

	if (!s)
		return NULL;
	if (r->nstrings == r->strcap) {
		size_t cap = r->strcap ? 2 * r->strcap : 16;

		grown = realloc(r->strings, cap * sizeof(*grown));
		if (!grown)
			return NULL;
		r->strings = grown;
		r->strcap = cap;
	}
	copy = strdup(s);
	if (copy)
		r->strings[r->nstrings++] = copy;
	return copy;
}

int bench_add(struct bench_report *r, const char *name, const char *unit, double a, double b,
	      enum bench_cmp cmp, double target, const char *note)
{
	struct bench_row *row;

	if (r->nrows == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct bench_row *grown = realloc(r->rows, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		r->rows = grown;
		r->cap = cap;
	}
	row = &r->rows[r->nrows];
	row->name = keep(r, name);
	row->unit = unit;
	row->note = keep(r, note);
	if (!row->name || (note && !row->note))
		return -ENOMEM;
	row->a = a;
	row->b = b;
	row->cmp = b > 0 ? cmp : BENCH_NONE;
	row->target = target;
	r->nrows++;
	return 0;
}

static bool row_ok(const struct bench_row *row)
{
	double ratio = row->b > 0 ? row->a / row->b : 0;

	if (row->cmp != BENCH_NONE && row->b <= 0)
		return false;
	switch (row->cmp) {
	case BENCH_AT_MOST:
		return ratio <= row->target;
	case BENCH_AT_LEAST:
		return ratio >= row->target;
	case BENCH_EQUAL:
		return ratio == row->target;
	default:
		return true;
	}
}

static const char *cmp_str(enum bench_cmp cmp)
{
	return cmp == BENCH_AT_MOST ? "<=" : cmp == BENCH_AT_LEAST ? ">=" : "==";
}

bool bench_ok(const struct bench_report *r)
{
	size_t i;

	for (i = 0; i < r->nrows; i++)
		if (!row_ok(&r->rows[i]))
			return false;
	return true;
}

static void target_str(const struct bench_row *row, char *buf, size_t len)
{
	if (row->cmp == BENCH_NONE)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s %.2f %s", cmp_str(row->cmp), row->target,
			 row_ok(row) ? "ok" : "MISSED");
}

/* A JSON string; the names and notes are ours, so escaping " and \ is enough. */
static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s == '\n' ? ' ' : *s);
	}
	putchar('"');
}

static void print_json(const struct bench_report *r, const char *extra)
{
	size_t i;

	printf("{\"bench\": ");
	json_str(r->bench);
	printf(", \"platform\": ");
	json_str(bench_platform());
	printf(", \"a\": ");
	json_str(r->a_name);
	printf(", \"b\": ");
	json_str(r->b_name);
	printf(", \"ok\": %s, \"rows\": [", bench_ok(r) ? "true" : "false");
	for (i = 0; i < r->nrows; i++) {
		const struct bench_row *row = &r->rows[i];

		printf("%s\n  {\"case\": ", i ? "," : "");
		json_str(row->name);
		printf(", \"unit\": ");
		json_str(row->unit);
		printf(", \"a\": %.6g, \"b\": %.6g", row->a, row->b);
		if (row->b > 0)
			printf(", \"ratio\": %.4f", row->a / row->b);
		else
			printf(", \"ratio\": null");
		if (row->cmp != BENCH_NONE)
			printf(", \"target\": \"%s %.2f\", \"ok\": %s",
			       cmp_str(row->cmp), row->target,
			       row_ok(row) ? "true" : "false");
		printf(", \"note\": ");
		json_str(row->note ? row->note : "");
		printf("}");
	}
	printf("],\n \"extra\": ");
	json_str(extra ? extra : "");
	printf("}\n");
}

static void print_table(const struct bench_report *r, const char *extra)
{
	size_t i, w = 4;
	char tgt[48];

	for (i = 0; i < r->nrows; i++)
		if (strlen(r->rows[i].name) > w)
			w = strlen(r->rows[i].name);
	printf("%s: %s\n", r->bench, bench_platform());
	printf("%-*s  %12s  %12s  %-9s  %7s  %-14s  %s\n", (int)w, "case", r->a_name, r->b_name,
	       "unit", "ratio", "target", "note");
	for (i = 0; i < r->nrows; i++) {
		const struct bench_row *row = &r->rows[i];

		target_str(row, tgt, sizeof(tgt));
		printf("%-*s  %12.4g  %12.4g  %-9s  ", (int)w, row->name, row->a, row->b, row->unit);
		if (row->b > 0)
			printf("%7.3f", row->a / row->b);
		else
			printf("%7s", "-");
		printf("  %-14s  %s\n", tgt, row->note ? row->note : "");
	}
	if (extra && *extra)
		printf("%s%s", extra, extra[strlen(extra) - 1] == '\n' ? "" : "\n");
}

int bench_end(struct bench_report *r, const char *extra)
{
	int ret = bench_ok(r) ? 0 : 1;
	size_t i;

	if (r->json)
		print_json(r, extra);
	else
		print_table(r, extra);
	fflush(stdout);
	for (i = 0; i < r->nstrings; i++)
		free(r->strings[i]);
	free(r->strings);
	free(r->rows);
	memset(r, 0, sizeof(*r));
	return ret;
}

int bench_parse(int argc, char **argv, struct bench_opts *o, const char *usage)
{
	int i, out = 1;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "--quick")) {
			o->quick = true;
		} else if (!strcmp(a, "--samples")) {
			char *end;

			if (i + 1 >= argc) {
				fprintf(stderr, "%s: --samples needs a number\n", argv[0]);
				return -1;
			}
			errno = 0;
			o->samples = strtol(argv[++i], &end, 10);
			if (errno || *end || o->samples < 1) {
				fprintf(stderr, "%s: --samples %s: give a positive number\n", argv[0],
					argv[i]);
				return -1;
			}
		} else {
			argv[out++] = argv[i];
		}
	}
	argv[out] = NULL;
	return out;
}
