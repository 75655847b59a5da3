/*
 * redischeck.h: the master's one look at Redis before the first fork.
 * The children need Redis 6.2 (BLMOVE) and the operator needs to know
 * when Redis is set up to lose tasks: no AOF, appendfsync no, or an
 * eviction policy that may drop task keys under memory pressure.
 *
 * Two parts.  redischeck_eval() is pure: it turns the text of INFO and
 * the CONFIG GET answers (or their absence, when CONFIG is renamed away
 * or refused by an ACL) into a verdict and one-line messages; the unit
 * suite drives it with tables.  redischeck_run() is the I/O: a blocking
 * hiredis connection within redis.connect_timeout, AUTH, INFO and four
 * CONFIG GETs, then redischeck_eval().
 */
#ifndef TD_REDISCHECK_H
#define TD_REDISCHECK_H

#include <stddef.h>

#include "conf.h"

#define REDISCHECK_MSGS		8
#define REDISCHECK_MSG_MAX	256
#define REDISCHECK_MIN_MAJOR	6	/* BLMOVE came with 6.2 */
#define REDISCHECK_MIN_MINOR	2

/* What Redis told us; NULL for anything it would not say. */
struct redischeck_facts {
	const char	*info;			/* INFO (server, persistence,
						 * memory sections at least) */
	const char	*appendonly;		/* CONFIG GET values */
	const char	*appendfsync;
	const char	*save;
	const char	*maxmemory_policy;
};

enum redischeck_level {
	REDISCHECK_INFO,	/* worth a line in the log */
	REDISCHECK_WARN,	/* tasks may be lost: log_warnx */
	REDISCHECK_REFUSE	/* cannot work: exit 78 */
};

struct redischeck_msg {
	enum redischeck_level	level;
	char			text[REDISCHECK_MSG_MAX];
};

struct redischeck_report {
	int			refuse;		/* some message is REFUSE */
	int			warnings;	/* WARN messages */
	char			version[32];	/* "" when INFO had none */
	int			nmsg;
	struct redischeck_msg	msg[REDISCHECK_MSGS];
};

/* Pure.  Fill r from f; always succeeds. */
void	redischeck_eval(const struct redischeck_facts *,
	    struct redischeck_report *);
/*
 * Pure.  The value of field key in INFO text ("key:value" lines, CRLF or
 * LF) into buf.  0 when found, -1 when not.
 */
int	redischeck_info_get(const char *info, const char *key, char *buf,
	    size_t len);
/*
 * Pure.  Compare a "MAJOR.MINOR.PATCH" version with major.minor: -1 older,
 * 0 same major.minor, 1 newer; -2 when v does not parse.
 */
int	redischeck_version_cmp(const char *v, int major, int minor);

/*
 * Connect, ask, evaluate.  0 with r filled; -1 when Redis could not be
 * asked at all (unreachable, AUTH refused, no answer in time), with the
 * reason in err.  Never writes the password anywhere.
 */
int	redischeck_run(const struct conf *, struct redischeck_report *,
	    char *err, size_t errlen);

#endif
