/*
 * log.c: OpenBSD-style logging to stderr.  Under journald (JOURNAL_STREAM
 * names our stderr) each line gets an sd-daemon "<N>" priority prefix and
 * journald adds the time; otherwise the line starts with a time stamp.
 * One write(2) per line so lines of several processes never interleave.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	log_level = LOG_LEVEL_INFO;
static int	log_journal;		/* stderr is the journal */
static char	log_proc[64] = "taskdispatcher";

static void	vlog(int, const char *, va_list, const char *);
static int	stderr_is_journal(void);

static const char *const level_names[] = {
	[LOG_LEVEL_ERR] = "err",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_NOTICE] = "notice",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void
log_init(int level)
{
	log_level = level;
	log_journal = stderr_is_journal();
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

void
log_procinit(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(log_proc, sizeof(log_proc), fmt, ap);
	va_end(ap);
}

int
log_level_parse(const char *s)
{
	int	i;

	for (i = LOG_LEVEL_ERR; i <= LOG_LEVEL_DEBUG; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (s[0] >= '3' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	if (strcasecmp(s, "warn") == 0)
		return LOG_LEVEL_WARNING;
	if (strcasecmp(s, "error") == 0)
		return LOG_LEVEL_ERR;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < LOG_LEVEL_ERR || level > LOG_LEVEL_DEBUG)
		return "?";
	return level_names[level];
}

/* JOURNAL_STREAM is "dev:ino" of the journal's socket (systemd.exec(5)). */
static int
stderr_is_journal(void)
{
	const char	*js = getenv("JOURNAL_STREAM");
	struct stat	 st;
	unsigned long	 dev, ino;

	if (js == NULL || sscanf(js, "%lu:%lu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return st.st_dev == dev && st.st_ino == ino;
}

static void
vlog(int level, const char *fmt, va_list ap, const char *errstr)
{
	char		 line[2048], ts[32];
	struct tm	 tm;
	struct timespec	 now;
	int		 n = 0, saved = errno;

	if (level > log_level) {
		errno = saved;
		return;
	}
	if (log_journal)
		n = snprintf(line, sizeof(line), "<%d>%s[%ld]: ", level,
		    log_proc, (long)getpid());
	else {
		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(line, sizeof(line), "%s.%03ld %s[%ld]: %s: ", ts,
		    now.tv_nsec / 1000000, log_proc, (long)getpid(),
		    log_level_name(level));
	}
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if ((size_t)n >= sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (errstr != NULL && (size_t)n < sizeof(line) - 2) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    errstr);
		if ((size_t)n >= sizeof(line) - 2)
			n = sizeof(line) - 2;
	}
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_WARNING, fmt, ap, NULL);
	va_end(ap);
}

/* Normal but worth an operator's eye: a failed login, say. */
void
log_notice(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_NOTICE, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERR, fmt, ap, saved ? strerror(saved) : NULL);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_LEVEL_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
