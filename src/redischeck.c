/*
 * redischeck.c: the startup check of Redis (see redischeck.h).
 *
 * The pure part comes first and touches no socket; the I/O part at the
 * end is the only code in the master that talks to Redis, once, before
 * the first fork.  Everything it finds is advice except a version older
 * than 6.2, which the workers cannot run on (BLMOVE): that refuses to
 * start, since respawning would only fail the same way forever.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <hiredis.h>

#include "conf.h"
#include "redischeck.h"
#include "util.h"

#define SAVE_SHOW	40	/* characters of "save" quoted in a message */

static void	msg_add(struct redischeck_report *, enum redischeck_level,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
static void	check_version(const struct redischeck_facts *,
		    struct redischeck_report *);
static void	check_persistence(const struct redischeck_facts *,
		    struct redischeck_report *);
static void	check_eviction(const struct redischeck_facts *,
		    struct redischeck_report *);
static redisContext *conn_open(const struct conf *, char *, size_t);
static char	*config_get(redisContext *, const char *);
static char	*info_get(redisContext *);

void
redischeck_eval(const struct redischeck_facts *f, struct redischeck_report *r)
{
	memset(r, 0, sizeof(*r));
	check_version(f, r);
	check_persistence(f, r);
	check_eviction(f, r);
	if (f->appendonly == NULL && f->appendfsync == NULL &&
	    f->save == NULL && f->maxmemory_policy == NULL)
		msg_add(r, REDISCHECK_INFO, "redis check: CONFIG GET refused "
		    "(renamed or not allowed); checked what INFO shows");
}

int
redischeck_info_get(const char *info, const char *key, char *buf,
    size_t len)
{
	const char	*p, *end;
	size_t		 klen = strlen(key), n;

	if (info == NULL || klen == 0 || len == 0)
		return -1;
	for (p = info; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) <= klen || strncmp(p, key, klen) != 0 ||
		    p[klen] != ':')
			continue;
		p += klen + 1;
		n = (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n >= len)
			n = len - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return 0;
	}
	return -1;
}

int
redischeck_version_cmp(const char *v, int major, int minor)
{
	long	maj, min;
	char	*end;

	if (v == NULL || v[0] < '0' || v[0] > '9')
		return -2;
	errno = 0;
	maj = strtol(v, &end, 10);
	if (errno != 0 || *end != '.' || end[1] < '0' || end[1] > '9')
		return -2;
	min = strtol(end + 1, &end, 10);
	if (errno != 0 || (*end != '.' && *end != '\0'))
		return -2;
	if (maj != major)
		return maj < major ? -1 : 1;
	if (min != minor)
		return min < minor ? -1 : 1;
	return 0;
}

static void
msg_add(struct redischeck_report *r, enum redischeck_level level,
    const char *fmt, ...)
{
	va_list	ap;

	if (level == REDISCHECK_REFUSE)
		r->refuse = 1;
	if (level == REDISCHECK_WARN)
		r->warnings++;
	if (r->nmsg >= REDISCHECK_MSGS)
		return;
	r->msg[r->nmsg].level = level;
	va_start(ap, fmt);
	vsnprintf(r->msg[r->nmsg].text, sizeof(r->msg[r->nmsg].text), fmt,
	    ap);
	va_end(ap);
	r->nmsg++;
}

static void
check_version(const struct redischeck_facts *f, struct redischeck_report *r)
{
	if (redischeck_info_get(f->info, "redis_version", r->version,
	    sizeof(r->version)) == -1) {
		r->version[0] = '\0';
		msg_add(r, REDISCHECK_WARN, "redis version unknown (INFO "
		    "shows no redis_version); taskdispatcher needs %d.%d or "
		    "later", REDISCHECK_MIN_MAJOR, REDISCHECK_MIN_MINOR);
		return;
	}
	switch (redischeck_version_cmp(r->version, REDISCHECK_MIN_MAJOR,
	    REDISCHECK_MIN_MINOR)) {
	case -1:
		msg_add(r, REDISCHECK_REFUSE, "redis %s is too old: "
		    "taskdispatcher needs %d.%d or later (BLMOVE)", r->version,
		    REDISCHECK_MIN_MAJOR, REDISCHECK_MIN_MINOR);
		break;
	case -2:
		msg_add(r, REDISCHECK_WARN, "redis version \"%s\" not "
		    "understood; taskdispatcher needs %d.%d or later",
		    r->version, REDISCHECK_MIN_MAJOR, REDISCHECK_MIN_MINOR);
		break;
	}
}

/*
 * Tasks are only as durable as Redis makes them: a 200 from /v1/enqueue
 * promises the task is stored.  AOF is the setting that keeps that
 * promise across a Redis restart; RDB alone loses everything since the
 * last snapshot.  Without CONFIG, INFO persistence still says whether AOF
 * is on (aof_enabled), though neither save nor appendfsync.
 */
static void
check_persistence(const struct redischeck_facts *f,
    struct redischeck_report *r)
{
	char	aof[8];
	int	on;

	if (f->appendonly != NULL)
		on = strcasecmp(f->appendonly, "yes") == 0;
	else if (redischeck_info_get(f->info, "aof_enabled", aof,
	    sizeof(aof)) == 0)
		on = strcmp(aof, "0") != 0;
	else {
		msg_add(r, REDISCHECK_INFO, "redis persistence not checked: "
		    "neither CONFIG GET appendonly nor INFO aof_enabled "
		    "answered");
		return;
	}
	if (!on) {
		if (f->save == NULL)
			msg_add(r, REDISCHECK_WARN, "redis persistence: AOF "
			    "is off (appendonly no); tasks accepted since the "
			    "last RDB snapshot, if any, are lost when Redis "
			    "restarts; set appendonly yes");
		else if (f->save[0] == '\0')
			msg_add(r, REDISCHECK_WARN, "redis persistence: none "
			    "(appendonly no, save \"\"); every task is lost "
			    "when Redis restarts; set appendonly yes");
		else
			msg_add(r, REDISCHECK_WARN, "redis persistence: RDB "
			    "snapshots only (appendonly no, save \"%.*s\"); "
			    "tasks accepted since the last snapshot are lost "
			    "when Redis restarts; set appendonly yes",
			    SAVE_SHOW, f->save);
		return;
	}
	if (f->appendfsync == NULL)
		msg_add(r, REDISCHECK_INFO, "redis appendfsync not checked "
		    "(CONFIG GET refused; INFO does not show it)");
	else if (strcasecmp(f->appendfsync, "no") == 0)
		msg_add(r, REDISCHECK_WARN, "redis appendfsync is no: the "
		    "kernel decides when the AOF reaches the disk, and a "
		    "crash of the host may lose tasks already acknowledged; "
		    "set appendfsync everysec or always");
}

/* Any policy but noeviction may drop a task's keys under memory pressure,
 * and a task half evicted (its ID queued, its hash gone) is lost. */
static void
check_eviction(const struct redischeck_facts *f,
    struct redischeck_report *r)
{
	char		 buf[64];
	const char	*policy = f->maxmemory_policy;

	if (policy == NULL && redischeck_info_get(f->info,
	    "maxmemory_policy", buf, sizeof(buf)) == 0)
		policy = buf;
	if (policy == NULL)
		msg_add(r, REDISCHECK_INFO, "redis maxmemory-policy not "
		    "checked: neither CONFIG GET nor INFO memory answered");
	else if (strcasecmp(policy, "noeviction") != 0)
		msg_add(r, REDISCHECK_WARN, "redis maxmemory-policy is %.64s: "
		    "Redis may evict task keys when memory runs short, and "
		    "those tasks are lost; set maxmemory-policy noeviction",
		    policy);
}

/* ------------------------------------------------------------------ I/O */

int
redischeck_run(const struct conf *conf, struct redischeck_report *r,
    char *err, size_t errlen)
{
	struct redischeck_facts	 f;
	redisContext		*c;
	char			*info;

	if ((c = conn_open(conf, err, errlen)) == NULL)
		return -1;
	if ((info = info_get(c)) == NULL) {
		snprintf(err, errlen, "INFO: %s", c->err ? c->errstr :
		    "refused");
		redisFree(c);
		return -1;
	}
	memset(&f, 0, sizeof(f));
	f.info = info;
	f.appendonly = config_get(c, "appendonly");
	f.appendfsync = config_get(c, "appendfsync");
	f.save = config_get(c, "save");
	f.maxmemory_policy = config_get(c, "maxmemory-policy");
	redischeck_eval(&f, r);
	free(info);
	free((char *)f.appendonly);
	free((char *)f.appendfsync);
	free((char *)f.save);
	free((char *)f.maxmemory_policy);
	redisFree(c);
	return 0;
}

/* Connect within connect_timeout; every command gets the same bound. */
static redisContext *
conn_open(const struct conf *conf, char *err, size_t errlen)
{
	struct timeval	 tv;
	redisContext	*c;
	redisReply	*rep;
	uint64_t	 ms = conf->redis_timeout_ms > 0 ?
			    conf->redis_timeout_ms : 5000;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	if (conf->redis_unix[0] != '\0')
		c = redisConnectUnixWithTimeout(conf->redis_unix, tv);
	else
		c = redisConnectWithTimeout(conf->redis_host, conf->redis_port,
		    tv);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (c->err || redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errlen, "%s", c->err ? c->errstr : "timeout");
		redisFree(c);
		return NULL;
	}
	if (conf->redis_password[0] == '\0')
		return c;
	/* Only Redis's answer goes into err, never what we sent. */
	rep = redisCommand(c, "AUTH %s", conf->redis_password);
	if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "AUTH: %s", rep != NULL ? rep->str :
		    c->errstr);
		freeReplyObject(rep);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(rep);
	return c;
}

/* The default INFO sections include server, persistence and memory. */
static char *
info_get(redisContext *c)
{
	redisReply	*rep;
	char		*s = NULL;

	rep = redisCommand(c, "INFO");
	if (rep != NULL && (rep->type == REDIS_REPLY_STRING ||
	    rep->type == REDIS_REPLY_STATUS))
		s = xstrndup(rep->str, rep->len);
	freeReplyObject(rep);
	return s;
}

/* One parameter's value, or NULL when CONFIG GET is refused or empty. */
static char *
config_get(redisContext *c, const char *param)
{
	redisReply	*rep;
	char		*s = NULL;

	rep = redisCommand(c, "CONFIG GET %s", param);
	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY &&
	    rep->elements == 2 &&
	    rep->element[1]->type == REDIS_REPLY_STRING)
		s = xstrndup(rep->element[1]->str, rep->element[1]->len);
	freeReplyObject(rep);
	return s;
}
