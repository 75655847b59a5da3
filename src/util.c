/*
 * util.c: allocation that never returns NULL, clocks, random ids and the
 * process title.
 */
#include <sys/random.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static char	*title_base;	/* argv[0]'s memory, reused for the title */
static size_t	 title_len;	/* bytes of it we may overwrite */

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n == 0 ? 1 : n)) == NULL)
		fatal("malloc %zu", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		fatal("calloc %zu*%zu", n, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void	*q;

	if ((q = realloc(p, n == 0 ? 1 : n)) == NULL)
		fatal("realloc %zu", n);
	return q;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		fatal("strndup");
	return p;
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n == -1)
		fatal("asprintf");
	return n;
}

uint64_t
util_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
util_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

size_t
util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	len = strlen(src);

	if (size > 0) {
		size_t	n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

void
util_random(void *buf, size_t n)
{
	unsigned char	*p = buf;
	ssize_t		 r;
	int		 fd;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		p += r;
		n -= (size_t)r;
	}
	if (n == 0)
		return;
	/* getrandom(2) is missing (old kernel): fall back to the device. */
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1)
		fatal("open /dev/urandom");
	while (n > 0) {
		r = read(fd, p, n);
		if (r <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			fatal("read /dev/urandom");
		}
		p += r;
		n -= (size_t)r;
	}
	close(fd);
}

uint32_t
util_xorshift32(void *arg)
{
	uint32_t	*x = arg;

	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

void
util_task_id(char id[TD_ID_LEN + 1])
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		raw[TD_ID_LEN / 2];
	size_t			i;

	util_random(raw, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++) {
		id[2 * i] = hex[raw[i] >> 4];
		id[2 * i + 1] = hex[raw[i] & 0xf];
	}
	id[TD_ID_LEN] = '\0';
}

int
util_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *
util_echo(char *buf, size_t len, size_t max, const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n && i < max && i + 4 < len; i++)
		buf[i] = s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' ||
		    s[i] == '\\' ? '?' : s[i];
	if (i < n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

int
util_valid_id(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > TD_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

/*
 * ps(1) shows argv[0]'s memory, so the title is written there, over argv
 * and (moved out of the way first) the environment that follows it.
 */
void
util_title_init(int argc, char **argv)
{
	extern char	**environ;
	char		 *end;
	int		  i, n;

	if (argc < 1 || argv[0] == NULL)
		return;
	end = argv[0] + strlen(argv[0]);
	for (i = 1; i < argc && argv[i] == end + 1; i++)
		end = argv[i] + strlen(argv[i]);
	for (n = 0; environ[n] != NULL; n++)
		;
	if (n > 0 && environ[0] == end + 1) {
		char	**env = xcalloc((size_t)n + 1, sizeof(*env));

		for (i = 0; i < n; i++) {
			if (environ[i] == end + 1)
				end = environ[i] + strlen(environ[i]);
			env[i] = xstrdup(environ[i]);
		}
		environ = env;
	}
	for (i = 1; i < argc; i++)
		argv[i] = xstrdup(argv[i]);
	title_base = argv[0];
	title_len = (size_t)(end - argv[0]);
}

void
util_title_set(const char *fmt, ...)
{
	char	buf[256];
	va_list	ap;
	size_t	n;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (title_base == NULL)
		return;
	n = util_strlcpy(title_base, buf, title_len + 1);
	if (n < title_len)
		memset(title_base + n, '\0', title_len - n + 1);
}

/* Without printf: the response head and every Redis command use it. */
size_t
util_decimal(char *buf, unsigned long long v)
{
	char	tmp[24];
	size_t	n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}
