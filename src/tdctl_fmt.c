/*
 * tdctl_fmt.c: tables and values as tdctl(1) prints them.  Pure: the only
 * output is the FILE the caller hands to tdctl_fmt_table_print.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdctl_fmt.h"
#include "util.h"

#define KIB	1024ULL

void
tdctl_fmt_table_init(struct tdctl_table *t, const char *align, ...)
{
	va_list	 ap;
	int	 i;

	memset(t, 0, sizeof(*t));
	t->ncols = (int)strlen(align);
	if (t->ncols > TDCTL_COLS_MAX)
		t->ncols = TDCTL_COLS_MAX;
	va_start(ap, align);
	for (i = 0; i < t->ncols; i++) {
		t->head[i] = xstrdup(va_arg(ap, const char *));
		t->align[i] = align[i];
	}
	va_end(ap);
}

void
tdctl_fmt_table_add(struct tdctl_table *t, ...)
{
	va_list		 ap;
	const char	*s;
	char		**row;
	int		 i;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap * (size_t)t->ncols *
		    sizeof(*t->cells));
	}
	row = t->cells + t->nrows * (size_t)t->ncols;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		s = va_arg(ap, const char *);
		row[i] = tdctl_fmt_cell(s != NULL && s[0] != '\0' ? s : "-");
	}
	va_end(ap);
	t->nrows++;
}

void
tdctl_fmt_table_print(const struct tdctl_table *t, FILE *fp)
{
	size_t		 w[TDCTL_COLS_MAX], n, r;
	const char	*s;
	int		 i;

	for (i = 0; i < t->ncols; i++) {
		w[i] = tdctl_fmt_width(t->head[i]);
		for (r = 0; r < t->nrows; r++) {
			n = tdctl_fmt_width(t->cells[r * (size_t)t->ncols + i]);
			w[i] = TD_MAX(w[i], n);
		}
	}
	for (r = 0; r <= t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			s = r == 0 ? t->head[i] :
			    t->cells[(r - 1) * (size_t)t->ncols + i];
			n = w[i] - tdctl_fmt_width(s);
			if (i > 0)
				fputs("  ", fp);
			if (t->align[i] == 'r')
				fprintf(fp, "%*s%s", (int)n, "", s);
			else if (i == t->ncols - 1)
				fputs(s, fp);
			else
				fprintf(fp, "%s%*s", s, (int)n, "");
		}
		fputc('\n', fp);
	}
}

void
tdctl_fmt_table_free(struct tdctl_table *t)
{
	size_t	i;
	int	c;

	for (c = 0; c < t->ncols; c++)
		free(t->head[c]);
	for (i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* Bytes below 0x20 and DEL: anything a terminal might act on. */
char *
tdctl_fmt_cell(const char *s)
{
	char	*out, *p;

	out = xstrdup(s != NULL ? s : "");
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

size_t
tdctl_fmt_width(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void
tdctl_fmt_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double	d = (double)v;
	size_t	i;

	if (v < KIB) {
		snprintf(buf, len, "%" PRIu64 " B", v);
		return;
	}
	for (i = 0, d /= KIB; d >= KIB && i + 1 < TD_NELEM(units); i++)
		d /= KIB;
	snprintf(buf, len, "%.1f %s", d, units[i]);
}

/* Two units at most: an age is read at a glance. */
void
tdctl_fmt_age(uint64_t ms, char *buf, size_t len)
{
	uint64_t	s = ms / 1000;

	if (ms < 1000 && ms > 0)
		snprintf(buf, len, "%" PRIu64 "ms", ms);
	else if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, "%" PRIu64 "m%02" PRIu64 "s", s / 60,
		    s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRIu64 "h%02" PRIu64 "m", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
		    s % 86400 / 3600);
}

/*
 * Only the part between "://" and the first '/', '?' or '#' can hold
 * userinfo; an '@' further on belongs to the path or the query.
 */
void
tdctl_fmt_url(const char *url, char *buf, size_t len)
{
	const char	*auth, *end, *at, *colon, *p;

	if ((auth = strstr(url, "://")) == NULL) {
		util_strlcpy(buf, url, len);
		return;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL || (colon = memchr(auth, ':', (size_t)(at - auth))) ==
	    NULL) {
		util_strlcpy(buf, url, len);
		return;
	}
	snprintf(buf, len, "%.*s:***%s", (int)(colon - url), url, at);
}
