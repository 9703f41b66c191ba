// SPDX-License-Identifier: MIT
/*
 * regdump: the register description parser.  Line-oriented: one directive
 * per line, tokens separated by blanks, '#' starts a comment line, the
 * description is the rest of the line.  Every error names the file and line.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"

static const char *const access_names[] = {
	[RD_RO] = "ro", [RD_RW] = "rw", [RD_WO] = "wo", [RD_RC] = "rc", [RD_W1C] = "w1c",
};

const char *rd_access_name(enum rd_access a)
{
	return (unsigned int)a < sizeof(access_names) / sizeof(access_names[0]) ?
		access_names[a] : "?";
}

bool rd_reg_readable(const struct rd_reg *r, bool force)
{
	return r->access != RD_WO && (r->access != RD_RC || force);
}

uint64_t rd_field_get(const struct rd_field *f, uint64_t v)
{
	unsigned int n = f->hi - f->lo + 1;

	v >>= f->lo;
	return n >= 64 ? v : v & ((UINT64_C(1) << n) - 1);
}

struct parser {
	const char *file;
	unsigned int line;
	char *p;       /* cursor in the current line */
	char *err;
	size_t errlen;
	struct rd_map *map;
	struct rd_field *field; /* last field, for value lines */
};

static int fail(struct parser *ps, const char *fmt, ...)
{
	int n = snprintf(ps->err, ps->errlen, "%s:%u: ", ps->file, ps->line);
	va_list ap;

	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Next blank-separated token, or NULL at the end of the line. */
static char *token(struct parser *ps)
{
	char *t;

	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
	if (!*ps->p)
		return NULL;
	t = ps->p;
	while (*ps->p && *ps->p != ' ' && *ps->p != '\t')
		ps->p++;
	if (*ps->p)
		*ps->p++ = '\0';
	return t;
}

/* The rest of the line, blanks trimmed; NULL if empty. */
static int rest(struct parser *ps, char **out)
{
	char *s = ps->p, *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	*out = NULL;
	if (!*s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int number(const char *s, uint64_t *v)
{
	char *e;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoull(s, &e, 0);
	return errno || *e ? -1 : 0;
}

static int check_name(struct parser *ps, const char *what, const char *s)
{
	size_t i;

	if (!s)
		return fail(ps, "%s name missing", what);
	for (i = 0; s[i]; i++) {
		if (!(isalpha((unsigned char)s[i]) || s[i] == '_' ||
		      (i && (isdigit((unsigned char)s[i]) || s[i] == '.'))))
			return fail(ps,
				    "bad %s name '%s': use letters, digits, '_' and '.', starting with a letter or '_'",
				    what, s);
	}
	if (i > RD_MAP_NAME_MAX)
		return fail(ps, "%s name '%.20s...' is longer than %d characters", what, s,
			    RD_MAP_NAME_MAX);
	return 0;
}

static int bits_to_bytes(const char *s, unsigned int *bytes)
{
	if (!s)
		return -1;
	if (!strcmp(s, "8"))
		*bytes = 1;
	else if (!strcmp(s, "16"))
		*bytes = 2;
	else if (!strcmp(s, "32"))
		*bytes = 4;
	else if (!strcmp(s, "64"))
		*bytes = 8;
	else
		return -1;
	return 0;
}

static int parse_space(struct parser *ps)
{
	char *kind = token(ps), *n;
	uint64_t bar;

	if (ps->map->n_regs || ps->map->space != RD_SPACE_ANY)
		return fail(ps, "'space' must come once, before the first register");
	if (kind && !strcmp(kind, "config")) {
		ps->map->space = RD_SPACE_CONFIG;
	} else if (kind && !strcmp(kind, "bar")) {
		n = token(ps);
		if (number(n, &bar) || bar > 5)
			return fail(ps, "bad BAR number '%s' (expected 0 to 5)", n ? n : "");
		ps->map->space = RD_SPACE_BAR;
		ps->map->bar = bar;
	} else {
		return fail(ps, "bad space '%s' (expected 'space config' or 'space bar N')",
			    kind ? kind : "");
	}
	if (token(ps))
		return fail(ps, "unexpected text after the space");
	return 0;
}

static int parse_widths(struct parser *ps, char *list, unsigned int size, unsigned int *mask)
{
	char *save, *w;
	unsigned int b;

	*mask = 0;
	for (w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (bits_to_bytes(w, &b))
			return fail(ps, "bad access width '%s' (expected 8, 16, 32 or 64)", w);
		if (b > size)
			return fail(ps, "access width %s is wider than the register (%u bits)", w,
				    size * 8);
		if (*mask & b)
			return fail(ps, "access width %s listed twice", w);
		*mask |= b;
	}
	if (!*mask)
		return fail(ps, "empty widths= list (expected e.g. widths=32,64)");
	return 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static int parse_register(struct parser *ps)
{
	struct rd_map *m = ps->map;
	char *name = token(ps), *off = token(ps), *size = token(ps), *acc = token(ps), *t;
	struct rd_reg r = { .line = ps->line }, *nr;
	uint64_t v;
	size_t i;
	int ret;

	ret = check_name(ps, "register", name);
	if (ret)
		return ret;
	if (number(off, &r.offset))
		return fail(ps, "register %s: bad offset '%s' (expected a number, e.g. 0x10)", name,
			    off ? off : "");
	if (bits_to_bytes(size, &r.size))
		return fail(ps, "register %s: bad size '%s' (expected 8, 16, 32 or 64 bits)", name,
			    size ? size : "");
	if (r.offset % r.size)
		return fail(ps, "register %s: offset 0x%" PRIx64 " is not a multiple of its size (%u bytes)",
			    name, r.offset, r.size);
	if (r.offset > UINT32_MAX)
		return fail(ps, "register %s: offset 0x%" PRIx64 " is beyond 4 GiB", name, r.offset);
	for (i = 0; i < 5; i++)
		if (acc && !strcmp(acc, access_names[i]))
			break;
	if (i == 5)
		return fail(ps, "register %s: bad access '%s' (expected ro, rw, wo, rc or w1c)",
			    name, acc ? acc : "");
	r.access = i;
	r.widths = r.size;
	for (;;) {
		while (*ps->p == ' ' || *ps->p == '\t')
			ps->p++;
		if (strncmp(ps->p, "widths=", 7) && strncmp(ps->p, "reset=", 6))
			break; /* the description, if any */
		t = token(ps);
		if (t[0] == 'w') {
			ret = parse_widths(ps, t + 7, r.size, &r.widths);
			if (ret)
				return ret;
			continue;
		}
		if (number(t + 6, &v))
			return fail(ps, "register %s: bad reset value '%s'", name, t + 6);
		if (r.size < 8 && v >> (r.size * 8))
			return fail(ps, "register %s: reset value 0x%" PRIx64 " does not fit in %u bits",
				    name, v, r.size * 8);
		r.has_reset = true;
		r.reset = v;
	}
	for (i = 0; i < m->n_regs; i++) {
		if (!strcmp(m->regs[i].name, name))
			return fail(ps, "register %s already defined on line %u", name,
				    m->regs[i].line);
		if (overlaps(r.offset, r.size, m->regs[i].offset, m->regs[i].size))
			return fail(ps, "register %s overlaps register %s (line %u)", name,
				    m->regs[i].name, m->regs[i].line);
	}
	nr = realloc(m->regs, (m->n_regs + 1) * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	m->regs = nr;
	r.name = strdup(name);
	if (!r.name || rest(ps, &r.desc)) {
		free(r.name);
		return -ENOMEM;
	}
	m->regs[m->n_regs++] = r;
	ps->field = NULL;
	return 0;
}

static int parse_field(struct parser *ps)
{
	struct rd_reg *r = ps->map->n_regs ? &ps->map->regs[ps->map->n_regs - 1] : NULL;
	char *name = token(ps), *bits = token(ps), *colon, *e;
	struct rd_field f = { 0 }, *nf;
	unsigned long hi, lo;
	size_t i;
	int ret;

	if (!r)
		return fail(ps, "'field' before any 'register'");
	ret = check_name(ps, "field", name);
	if (ret)
		return ret;
	if (!bits || !isdigit((unsigned char)*bits))
		goto bad_bits;
	colon = strchr(bits, ':');
	errno = 0;
	hi = strtoul(bits, &e, 10);
	if (errno || e != (colon ? colon : bits + strlen(bits)))
		goto bad_bits;
	lo = hi;
	if (colon) {
		if (!isdigit((unsigned char)colon[1]))
			goto bad_bits;
		lo = strtoul(colon + 1, &e, 10);
		if (errno || *e)
			goto bad_bits;
	}
	if (hi < lo)
		return fail(ps, "field %s: bits %lu:%lu are reversed (write HI:LO, e.g. 7:0)", name,
			    hi, lo);
	if (hi >= r->size * 8)
		return fail(ps, "field %s: bit %lu is outside register %s (%u bits)", name, hi,
			    r->name, r->size * 8);
	f.hi = hi;
	f.lo = lo;
	for (i = 0; i < r->n_fields; i++) {
		if (!strcmp(r->fields[i].name, name))
			return fail(ps, "field %s already defined in register %s", name, r->name);
		if (f.lo <= r->fields[i].hi && r->fields[i].lo <= f.hi)
			return fail(ps, "field %s (bits %u:%u) overlaps field %s (bits %u:%u)", name,
				    f.hi, f.lo, r->fields[i].name, r->fields[i].hi,
				    r->fields[i].lo);
	}
	nf = realloc(r->fields, (r->n_fields + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	r->fields = nf;
	f.name = strdup(name);
	if (!f.name || rest(ps, &f.desc)) {
		free(f.name);
		return -ENOMEM;
	}
	r->fields[r->n_fields++] = f;
	ps->field = &r->fields[r->n_fields - 1];
	return 0;
bad_bits:
	return fail(ps, "field %s: bad bit range '%s' (expected HI:LO or BIT, decimal, e.g. 23:16)",
		    name, bits ? bits : "");
}

static int parse_value(struct parser *ps)
{
	struct rd_field *f = ps->field;
	char *val = token(ps), *name = token(ps);
	struct rd_enum e = { 0 }, *ne;
	unsigned int n;
	size_t i;
	int ret;

	if (!f)
		return fail(ps, "'value' before any 'field' of the current register");
	if (number(val, &e.value))
		return fail(ps, "field %s: bad value '%s' (expected a number)", f->name,
			    val ? val : "");
	n = f->hi - f->lo + 1;
	if (n < 64 && e.value >> n)
		return fail(ps, "field %s: value 0x%" PRIx64 " does not fit in %u bits", f->name,
			    e.value, n);
	ret = check_name(ps, "value", name);
	if (ret)
		return ret;
	for (i = 0; i < f->n_enums; i++)
		if (f->enums[i].value == e.value || !strcmp(f->enums[i].name, name))
			return fail(ps, "field %s: value %s (0x%" PRIx64 ") defined twice", f->name,
				    name, e.value);
	ne = realloc(f->enums, (f->n_enums + 1) * sizeof(*ne));
	if (!ne)
		return -ENOMEM;
	f->enums = ne;
	e.name = strdup(name);
	if (!e.name || rest(ps, &e.desc)) {
		free(e.name);
		return -ENOMEM;
	}
	f->enums[f->n_enums++] = e;
	return 0;
}

static int parse_line(struct parser *ps, char *line)
{
	char *kw;

	ps->p = line;
	kw = token(ps);
	if (!kw || *kw == '#')
		return 0;
	if (!strcmp(kw, "space"))
		return parse_space(ps);
	if (!strcmp(kw, "register"))
		return parse_register(ps);
	if (!strcmp(kw, "field"))
		return parse_field(ps);
	if (!strcmp(kw, "value"))
		return parse_value(ps);
	return fail(ps, "unknown directive '%.32s' (expected space, register, field or value)", kw);
}

int rd_map_parse(const char *text, size_t len, const char *file, struct rd_map **mapp, char *err,
		 size_t errlen)
{
	struct parser ps = { .file = file, .err = err, .errlen = errlen };
	char line[RD_MAP_LINE_MAX + 1];
	size_t pos = 0, n;
	int ret = 0;

	*mapp = NULL;
	ps.map = calloc(1, sizeof(*ps.map));
	if (!ps.map)
		return -ENOMEM;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);

		n = (nl ? (size_t)(nl - text) : len) - pos;
		ps.line++;
		if (n > RD_MAP_LINE_MAX) {
			ret = fail(&ps, "line longer than %d characters", RD_MAP_LINE_MAX);
			break;
		}
		if (memchr(text + pos, '\0', n)) {
			ret = fail(&ps, "NUL byte in the line");
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		ret = parse_line(&ps, line);
		if (ret)
			break;
		pos += n + 1;
	}
	if (!ret && !ps.map->n_regs) {
		ps.line = 0;
		snprintf(err, errlen, "%s: no registers defined", file);
		ret = -EINVAL;
	}
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", file);
		rd_map_free(ps.map);
		return ret;
	}
	*mapp = ps.map;
	return 0;
}

int rd_map_load(const char *path, struct rd_map **mapp, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int ret;

	*mapp = NULL;
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot open map file %s: %s", path, strerror(-ret));
		return ret;
	}
	do {
		if (len == cap) {
			char *nb = cap > (1u << 24) ? NULL : realloc(buf, cap = cap * 2 + 4096);

			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "map file %s is too large", path);
				return -EFBIG;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	if (ferror(f)) {
		free(buf);
		fclose(f);
		snprintf(err, errlen, "cannot read map file %s", path);
		return -EIO;
	}
	fclose(f);
	ret = rd_map_parse(buf, len, path, mapp, err, errlen);
	free(buf);
	return ret;
}

void rd_map_free(struct rd_map *map)
{
	size_t i, j, k;

	if (!map)
		return;
	for (i = 0; i < map->n_regs; i++) {
		struct rd_reg *r = &map->regs[i];

		for (j = 0; j < r->n_fields; j++) {
			for (k = 0; k < r->fields[j].n_enums; k++) {
				free(r->fields[j].enums[k].name);
				free(r->fields[j].enums[k].desc);
			}
			free(r->fields[j].enums);
			free(r->fields[j].name);
			free(r->fields[j].desc);
		}
		free(r->fields);
		free(r->name);
		free(r->desc);
	}
	free(map->regs);
	free(map);
}
