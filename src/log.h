/*
 * log.h: the OpenBSD logging API.  Lines go to stderr; under journald
 * (JOURNAL_STREAM) each carries an sd-daemon "<N>" priority prefix and
 * no time stamp, otherwise a time stamp.  Every line starts with the
 * process name set by log_procinit() and the pid.  Messages come first,
 * then key=value fields.  Log functions preserve errno.
 */
#ifndef TD_LOG_H
#define TD_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARNING = 4,
	LOG_LEVEL_NOTICE = 5,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7
};

void	log_init(int level);
void	log_setlevel(int level);
int	log_getlevel(void);
void	log_procinit(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/* Parse "err|warning|notice|info|debug" (also 3..7); -1 when unknown. */
int	log_level_parse(const char *);
const char *log_level_name(int);

#endif
