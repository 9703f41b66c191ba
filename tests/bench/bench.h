/* SPDX-License-Identifier: MIT */
/*
 * Shared by the benchmarks in tests/bench: a clock, sample statistics, what
 * the numbers were measured on, and one report format — an aligned table on
 * stdout, or JSON with --json.
 *
 * A report compares two columns per row, "a" and "b" (libudrv vs raw, or
 * cost at N vs cost at 100), and its headline figure is the ratio a / b,
 * checked against the row's target (a bound on the ratio).  Absolute times
 * are printed too; under QEMU's TCG they are emulated and only the ratios
 * carry over to hardware, which the report says.
 */
#ifndef UDRV_BENCH_H
#define UDRV_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/* What one bench_now_ns() adds to a measured interval, in ns: a median. */
double bench_clock_cost(void);

struct bench_stats {
	size_t n;
	double min, median, p99, max, mean;
};

/* Sort @v (n values) and summarise it; n == 0 gives all zeros. */
void bench_stats(double *v, size_t n, struct bench_stats *st);

/*
 * What the run measured: "emulated (QEMU TCG)", "virtual machine (KVM)",
 * "virtual machine", or "hardware", from /proc/cpuinfo and sysfs DMI.
 */
const char *bench_platform(void);

/*
 * Ratio targets: the ratio a / b must be at most, at least, or exactly a
 * bound (exactly: for counts).  A row with a target and b <= 0 misses it.
 */
enum bench_cmp { BENCH_NONE, BENCH_AT_MOST, BENCH_AT_LEAST, BENCH_EQUAL };

struct bench_row {
	const char *name;   /* case, e.g. "read32 BAR0" */
	const char *unit;   /* of a and b, e.g. "ns/op", "instr/op" */
	double a, b;        /* b == 0: no ratio */
	enum bench_cmp cmp;
	double target;
	const char *note;   /* optional, may be NULL */
};

struct bench_report {
	const char *bench;  /* e.g. "mmio" */
	const char *a_name; /* column headings, e.g. "udrv" and "raw" */
	const char *b_name;
	bool json;
	size_t nrows, cap;
	struct bench_row *rows;
	char **strings;     /* owned copies of names and notes */
	size_t nstrings, strcap;
};

/*
 * Start a report.  Names are copied into the report by bench_add; the three
 * strings given here must outlive it (string literals).
 */
void bench_begin(struct bench_report *r, const char *bench, const char *a_name,
		 const char *b_name, bool json);

/* Add a row (name and note are copied).  Returns 0 or -ENOMEM. */
int bench_add(struct bench_report *r, const char *name, const char *unit, double a, double b,
	      enum bench_cmp cmp, double target, const char *note);

/* True if every row with a target meets it. */
bool bench_ok(const struct bench_report *r);

/*
 * Print the report (table or JSON) to stdout, free it.  Extra is printed
 * verbatim under the table (or as the JSON string "extra"), may be NULL.
 * Returns 0 if every target was met, 1 otherwise.  The programs exit 0
 * either way: a benchmark reports a missed target, it does not fail.
 */
int bench_end(struct bench_report *r, const char *extra);

/* Parse "--json", "--quick" and "--samples N" style flags shared by all. */
struct bench_opts {
	bool json;
	bool quick;     /* a short run that proves the benchmark works */
	long samples;   /* 0: the benchmark's default */
};

/*
 * Take the shared flags (--json, --quick, --samples N, -h/--help) out of
 * argv, keeping the others in order in argv[1..].  Returns the new argc
 * (>= 1), 0 after printing @usage for --help, or -1 after printing an error
 * that names the bad argument.
 */
int bench_parse(int argc, char **argv, struct bench_opts *o, const char *usage);

#endif /* UDRV_BENCH_H */
