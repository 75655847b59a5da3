/*
 * tdctl_fmt.h: what tdctl(1) prints, as pure functions: aligned tables,
 * sizes, ages, and cells made safe for a terminal.  No curl, no sockets;
 * the unit suite feeds them strings and reads the text back.
 */
#ifndef TD_TDCTL_FMT_H
#define TD_TDCTL_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TDCTL_COLS_MAX	16

/*
 * A table printed with columns two blanks apart, the header in capitals
 * as given.  align holds one letter per column: 'l' left, 'r' right
 * (numbers).  The last column is never padded, so a long URL there does
 * not push trailing blanks.
 */
struct tdctl_table {
	int	  ncols;
	char	 *head[TDCTL_COLS_MAX];
	char	  align[TDCTL_COLS_MAX];
	char	**cells;		/* nrows * ncols, owned */
	size_t	  nrows;
	size_t	  cap;
};

void	tdctl_fmt_table_init(struct tdctl_table *, const char *align, ...);
/* Add one row of ncols strings (NULL prints as "-"); they are copied. */
void	tdctl_fmt_table_add(struct tdctl_table *, ...);
void	tdctl_fmt_table_print(const struct tdctl_table *, FILE *);
void	tdctl_fmt_table_free(struct tdctl_table *);

/*
 * A copy of s fit for one cell: control characters (a newline or an
 * escape sequence in a target's error text) become '?'.  Free it.
 */
char	*tdctl_fmt_cell(const char *s);
/* Display width of a UTF-8 string: code points, not bytes. */
size_t	 tdctl_fmt_width(const char *s);

/* "0 B", "512 B", "1.5 KiB", "12.0 MiB", "3.2 GiB". */
void	tdctl_fmt_bytes(uint64_t, char *, size_t);
/* Milliseconds as "0s", "850ms", "42s", "3m12s", "5h03m", "2d04h". */
void	tdctl_fmt_age(uint64_t ms, char *, size_t);
/*
 * url without the password of its userinfo ("http://u:***@h/p"); a URL
 * without one is copied as is.  Tables show URLs this way; --json prints
 * what the API answered.
 */
void	tdctl_fmt_url(const char *url, char *, size_t);

#endif
