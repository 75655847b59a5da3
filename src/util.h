/*
 * util.h: allocation wrappers that never return NULL, the monotonic and
 * wall clocks, small string helpers and the process title.
 */
#ifndef TD_UTIL_H
#define TD_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define TD_NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define TD_MIN(a, b)	((a) < (b) ? (a) : (b))
#define TD_MAX(a, b)	((a) > (b) ? (a) : (b))

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* Milliseconds: monotonic for timers, realtime for what goes into Redis. */
uint64_t	util_mono_ms(void);
uint64_t	util_wall_ms(void);

/* strlcpy semantics: always NUL-terminates, returns strlen(src). */
size_t	util_strlcpy(char *, const char *, size_t);

/* Fill buf with n random bytes (getrandom, /dev/urandom fallback). */
void	util_random(void *, size_t);
/*
 * xorshift32 on the uint32_t state arg points at (never 0): plenty for
 * weighted picks and backoff jitter; the rnd seam of wrr.h and backoff.h.
 */
uint32_t	util_xorshift32(void *);
/* A task id: 32 lowercase hex digits from 16 random bytes, NUL-terminated. */
#define TD_ID_LEN	32
void	util_task_id(char id[TD_ID_LEN + 1]);
/*
 * The longest task ID: a Cloud Tasks task name's ID ([A-Za-z0-9_-], up to
 * 500 characters) is used as ours.  util_task_id()'s are TD_ID_LEN long.
 */
#define TD_ID_MAX	500
/* 1 when s (len bytes) is a task ID: [A-Za-z0-9_-]{1,TD_ID_MAX}. */
int	util_valid_id(const char *s, size_t len);
/* The value of hex digit c, or -1. */
int	util_hexval(int c);
/*
 * Up to max bytes of user input (s, n bytes) into buf, made fit to quote
 * in a message: control bytes, non-ASCII, '"' and '\\' become '?', and
 * "..." marks a cut.  Returns buf.
 */
const char *util_echo(char *buf, size_t len, size_t max, const char *s,
	    size_t n);

/* Process titles (ps): call init once from main with argc/argv. */
/* v in decimal at buf (room for 20 bytes), no NUL; returns its length. */
size_t	util_decimal(char *buf, unsigned long long v);
void	util_title_init(int, char **);
void	util_title_set(const char *, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
