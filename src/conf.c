/*
 * conf.c: the INI file (libinih) into struct conf: defaults, parsing,
 * validation, environment overrides and the dump that -t -v prints.
 *
 * One table (conf_keys) drives parsing, range checks and the dump, so the
 * three cannot drift apart.  The file is read through our own line reader
 * rather than ini_parse(): libinih tells the handler neither the line
 * number (INI_HANDLER_LINENO is a build option we cannot count on) nor the
 * whole section name (it truncates at 49 bytes), and it splits an overlong
 * line in two without a word.  The reader counts lines, remembers the
 * section header as written, refuses overlong lines, and strips leading
 * blanks so that an indented "key = value" is a key and never a libinih
 * continuation line of the key above it.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "conf.h"
#include "log.h"
#include "util.h"

#define MS_PER_S	1000ULL
#define MS_PER_M	(60 * MS_PER_S)
#define MS_PER_H	(60 * MS_PER_M)
#define MS_PER_D	(24 * MS_PER_H)
/* Longer than anything sane, short enough that now + d never wraps. */
#define DURATION_MAX_MS	(36500 * MS_PER_D)

#define KB		1024LL
#define MB		(1024 * KB)

/* A section header as the reader saw it. */
#define SECTION_MAX	128

enum sect {
	SECT_SERVER,
	SECT_REDIS,
	SECT_WORKERS,
	SECT_DISPATCH,
	SECT_CLOUDTASKS,
	SECT_DASHBOARD,
	SECT_QUEUE		/* last: the fixed sections come before it */
};

enum kind {
	KIND_DURATION,		/* uint64_t ms */
	KIND_SIZE,		/* size_t bytes */
	KIND_INT,		/* int */
	KIND_LISTEN,		/* listen_host + listen_port */
	KIND_REDIS_ADDR,	/* redis_addr, redis_host/port or redis_unix */
	KIND_PASSWORD,		/* redis_password */
	KIND_PREFIX,		/* redis_prefix */
	KIND_LOG_LEVEL,		/* log_level */
	KIND_TOKENS,		/* api_tokens */
	KIND_TOKEN_FILE,	/* api_token_file */
	KIND_USER,		/* user */
	KIND_GROUP,		/* group */
	KIND_TARGETS,		/* a struct netpolicy_list */
	KIND_CT_PROJECT,	/* ct_project */
	KIND_CT_LOCATION,	/* ct_location */
	KIND_BOOL,		/* int, 0 or 1 */
	KIND_DASH_LISTEN,	/* dash_host + dash_port; "" = off */
	KIND_DASH_BASE,		/* dash_base */
	KIND_DASH_USERS,	/* dash_users */
	KIND_DASH_USERS_FILE,	/* dash_users_file */
	KIND_DASH_REDACT,	/* dash_redact */
	KIND_DASH_HOSTS		/* dash_hosts */
};

struct conf_key {
	enum sect	 sect;
	const char	*name;
	enum kind	 kind;
	size_t		 off;	/* in conf, or in conf_queue */
	long long	 min;	/* range of durations (ms), sizes, ints */
	long long	 max;
};

#define C(f)	offsetof(struct conf, f)
#define Q(f)	offsetof(struct conf_queue, f)
#define DMAX	((long long)DURATION_MAX_MS)

static const struct conf_key conf_keys[] = {
	{ SECT_SERVER, "listen", KIND_LISTEN, 0, 0, 0 },
	{ SECT_SERVER, "max_body", KIND_SIZE, C(max_body), KB, 512 * MB },
	{ SECT_SERVER, "max_header", KIND_SIZE, C(max_header), KB, MB },
	{ SECT_SERVER, "max_connections", KIND_INT, C(max_connections),
	    1, 1000000 },
	{ SECT_SERVER, "idle_timeout", KIND_DURATION, C(idle_timeout_ms),
	    1, DMAX },
	{ SECT_SERVER, "header_timeout", KIND_DURATION, C(header_timeout_ms),
	    1, DMAX },
	{ SECT_SERVER, "log_level", KIND_LOG_LEVEL, 0, 0, 0 },
	{ SECT_SERVER, "api_tokens", KIND_TOKENS, 0, 0, 0 },
	{ SECT_SERVER, "api_token_file", KIND_TOKEN_FILE, 0, 0, 0 },
	{ SECT_SERVER, "user", KIND_USER, 0, 0, 0 },
	{ SECT_SERVER, "group", KIND_GROUP, 0, 0, 0 },

	{ SECT_REDIS, "addr", KIND_REDIS_ADDR, 0, 0, 0 },
	{ SECT_REDIS, "password", KIND_PASSWORD, 0, 0, 0 },
	{ SECT_REDIS, "db", KIND_INT, C(redis_db), 0, 1000000 },
	{ SECT_REDIS, "prefix", KIND_PREFIX, 0, 0, 0 },
	{ SECT_REDIS, "connect_timeout", KIND_DURATION, C(redis_timeout_ms),
	    1, DMAX },

	{ SECT_WORKERS, "count", KIND_INT, C(workers), 0, 1024 },
	{ SECT_WORKERS, "concurrency", KIND_INT, C(concurrency), 1, 1000 },
	{ SECT_WORKERS, "lease", KIND_DURATION, C(lease_ms), 1000, DMAX },
	{ SECT_WORKERS, "shutdown_timeout", KIND_DURATION,
	    C(shutdown_timeout_ms), 0, DMAX },

	{ SECT_DISPATCH, "timeout", KIND_DURATION, C(dispatch.timeout_ms),
	    1000, DMAX },
	{ SECT_DISPATCH, "max_retries", KIND_INT, C(dispatch.max_retries),
	    0, 1000 },
	{ SECT_DISPATCH, "min_backoff", KIND_DURATION,
	    C(dispatch.min_backoff_ms), 1, DMAX },
	{ SECT_DISPATCH, "max_backoff", KIND_DURATION,
	    C(dispatch.max_backoff_ms), 1, DMAX },
	{ SECT_DISPATCH, "done_retention", KIND_DURATION,
	    C(done_retention_ms), 0, DMAX },
	{ SECT_DISPATCH, "dead_retention", KIND_DURATION,
	    C(dead_retention_ms), 0, DMAX },
	{ SECT_DISPATCH, "allow_targets", KIND_TARGETS, C(allow_targets),
	    0, 0 },
	{ SECT_DISPATCH, "deny_targets", KIND_TARGETS, C(deny_targets),
	    0, 0 },

	{ SECT_CLOUDTASKS, "project", KIND_CT_PROJECT, 0, 0, 0 },
	{ SECT_CLOUDTASKS, "location", KIND_CT_LOCATION, 0, 0, 0 },
	{ SECT_CLOUDTASKS, "tombstone_ttl", KIND_DURATION,
	    C(tombstone_ttl_ms), 0, DMAX },

	{ SECT_DASHBOARD, "listen", KIND_DASH_LISTEN, 0, 0, 0 },
	{ SECT_DASHBOARD, "base_path", KIND_DASH_BASE, 0, 0, 0 },
	{ SECT_DASHBOARD, "users", KIND_DASH_USERS, 0, 0, 0 },
	{ SECT_DASHBOARD, "users_file", KIND_DASH_USERS_FILE, 0, 0, 0 },
	{ SECT_DASHBOARD, "read_only", KIND_BOOL, C(dash_read_only), 0, 1 },
	{ SECT_DASHBOARD, "redact_headers", KIND_DASH_REDACT, 0, 0, 0 },
	{ SECT_DASHBOARD, "allowed_hosts", KIND_DASH_HOSTS, 0, 0, 0 },
	{ SECT_DASHBOARD, "session_timeout", KIND_DURATION,
	    C(dash_session_ms), MS_PER_M, DMAX },

	{ SECT_QUEUE, "weight", KIND_INT, Q(weight), 1, 1000 },
	{ SECT_QUEUE, "timeout", KIND_DURATION, Q(dispatch.timeout_ms),
	    1000, DMAX },
	{ SECT_QUEUE, "max_retries", KIND_INT, Q(dispatch.max_retries),
	    0, 1000 },
	{ SECT_QUEUE, "min_backoff", KIND_DURATION,
	    Q(dispatch.min_backoff_ms), 1, DMAX },
	{ SECT_QUEUE, "max_backoff", KIND_DURATION,
	    Q(dispatch.max_backoff_ms), 1, DMAX },
};
#define NKEYS	TD_NELEM(conf_keys)

static const char *const sect_names[] = {
	[SECT_SERVER] = "server",
	[SECT_REDIS] = "redis",
	[SECT_WORKERS] = "workers",
	[SECT_DISPATCH] = "dispatch",
	[SECT_CLOUDTASKS] = "cloudtasks",
	[SECT_DASHBOARD] = "dashboard",
	[SECT_QUEUE] = "queue",
};

/* What one conf_load() knows while libinih runs. */
struct conf_ctx {
	struct conf	*conf;		/* the copy being filled */
	const char	*path;
	FILE		*fp;
	char		*err;
	size_t		 errlen;
	int		 lineno;	/* lines the reader has handed out */
	int		 failed;	/* err holds the first error */
	int		 errline;	/* its line, 0 if none */
	int		 badheader;	/* a "[name" line without ']' */
	char		 section[SECTION_MAX];
	/* line each key was set on: [0] the fixed sections, [1 + i] queue i */
	int		 line[TD_QUEUE_MAX + 1][NKEYS];
};

static char	*conf_read_line(char *, int, void *);
static int	 conf_handler(void *, const char *, const char *,
		    const char *);
static int	 conf_set(struct conf_ctx *, const char *, const char *,
		    const char *);
static int	 conf_section(struct conf_ctx *, const char *, enum sect *,
		    struct conf_queue **);
static const struct conf_key *conf_key_find(enum sect, const char *,
		    size_t *);
static int	 conf_value(struct conf *, const struct conf_key *, void *,
		    const char *, char *, size_t);
static int	 conf_number(const struct conf_key *, char *, const char *,
		    char *, size_t);
static int	 conf_prefix(struct conf *, const char *, char *, size_t);
static int	 conf_ct_id(char *, size_t, const char *, const char *,
		    const char *, char *, size_t);
static int	 conf_finish(struct conf_ctx *);
static int	 conf_tokens(struct conf *, const char *, char *, size_t);
typedef int	 conf_line_fn(struct conf *, const char *, size_t, char *,
		    size_t);
static int	 conf_token_line(struct conf *, const char *, size_t, char *,
		    size_t);
static int	 conf_secret_file(struct conf_ctx *, int, const char *,
		    const char *, const char *, conf_line_fn *);
static int	 conf_token_file(struct conf_ctx *);
static int	 dump_hidden(FILE *, const char *, int, const char *);
static int	 conf_ids(struct conf_ctx *);
static int	 conf_bool(int *, const char *, char *, size_t);
static int	 conf_dash_base(struct conf *, const char *, char *, size_t);
static int	 conf_dash_users(struct conf *, const char *, char *, size_t);
static int	 conf_dash_user(struct conf *, const char *, size_t, char *,
		    size_t);
static int	 conf_dash_users_file(struct conf_ctx *);
static int	 conf_words(const char *, char *, int, size_t, const char *,
		    const char *, const char *, int *, char *, size_t);
static int	 conf_dash_redact(struct conf *, const char *, char *, size_t);
static int	 conf_dash_check(struct conf_ctx *);
static size_t	 key_index(enum sect, const char *);
static int	 conf_check_backoff(struct conf_ctx *, const char *,
		    const struct conf_dispatch *, int);
static void	 conf_fail(struct conf_ctx *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 conf_seed_queue(struct conf *, const char *, int);
static int	 conf_queue_listed(const char *, const char *const *, size_t);
static int	 conf_valid_queue_name(const char *);
static int	 parse_int(const char *, long long *);
static size_t	 host_chars(const char *, size_t, int);
static int	 parse_port(const char *, int *);
static int	 parse_hostport(const char *, const char *, char *, size_t,
		    int *, char *, size_t);
static void	 fmt_duration(uint64_t, char *, size_t);
static void	 fmt_size(size_t, char *, size_t);
static void	 fmt_hostport(const char *, int, char *, size_t);
static void	 dump_key(const struct conf *, const struct conf_key *,
		    const void *, FILE *);

void
conf_defaults(struct conf *conf)
{
	char	msg[256];

	memset(conf, 0, sizeof(*conf));
	util_strlcpy(conf->listen_host, "0.0.0.0", sizeof(conf->listen_host));
	conf->listen_port = 8080;
	conf->max_body = 1 * MB;
	conf->max_header = 16 * KB;
	conf->max_connections = 1024;
	conf->idle_timeout_ms = 60 * MS_PER_S;
	conf->header_timeout_ms = 10 * MS_PER_S;
	conf->log_level = LOG_LEVEL_INFO;

	util_strlcpy(conf->redis_addr, "localhost:6379",
	    sizeof(conf->redis_addr));
	util_strlcpy(conf->redis_host, "localhost", sizeof(conf->redis_host));
	conf->redis_port = 6379;
	conf->redis_db = 0;
	util_strlcpy(conf->redis_prefix, "td", sizeof(conf->redis_prefix));
	conf->redis_timeout_ms = 5 * MS_PER_S;

	conf->workers = 10;
	conf->concurrency = 1;
	conf->lease_ms = 30 * MS_PER_S;
	conf->shutdown_timeout_ms = 30 * MS_PER_S;

	conf->dispatch.timeout_ms = 30 * MS_PER_M;
	conf->dispatch.max_retries = 5;
	conf->dispatch.min_backoff_ms = 1 * MS_PER_S;
	conf->dispatch.max_backoff_ms = 10 * MS_PER_M;
	conf->done_retention_ms = 1 * MS_PER_H;
	conf->dead_retention_ms = 7 * MS_PER_D;
	conf->tombstone_ttl_ms = 1 * MS_PER_H;

	util_strlcpy(conf->dash_host, "127.0.0.1", sizeof(conf->dash_host));
	conf->dash_port = 8081;
	util_strlcpy(conf->dash_base, "/", sizeof(conf->dash_base));
	conf->dash_session_ms = 12 * MS_PER_H;
	if (conf_dash_redact(conf, TD_DASH_REDACT_DEFAULT, msg,
	    sizeof(msg)) == -1)
		fatalx("conf: default redact_headers: %s", msg);
	if (netpolicy_parse_list(&conf->deny_targets, TD_DENY_TARGETS_DEFAULT,
	    msg, sizeof(msg)) == -1)
		fatalx("conf: default deny_targets: %s", msg);

	conf_seed_queue(conf, "critical", 6);
	conf_seed_queue(conf, "default", 3);
	conf_seed_queue(conf, "low", 1);
}

static void
conf_seed_queue(struct conf *conf, const char *name, int weight)
{
	struct conf_queue	*q = &conf->queues[conf->nqueues++];

	memset(q, 0, sizeof(*q));
	util_strlcpy(q->name, name, sizeof(q->name));
	q->weight = weight;
	q->dispatch = conf->dispatch;
}

/*
 * Parse into a copy so that a failed load (a bad reload) leaves the
 * caller's conf exactly as it was.
 */
int
conf_load(struct conf *conf, const char *path, char *err, size_t errlen)
{
	struct conf_ctx	*c;
	FILE		*fp;
	int		 rv;

	if (strlen(path) >= sizeof(conf->path)) {
		snprintf(err, errlen, "%.100s...: path too long", path);
		return -1;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	c->conf = xmalloc(sizeof(*c->conf));
	memcpy(c->conf, conf, sizeof(*conf));
	util_strlcpy(c->conf->path, path, sizeof(c->conf->path));
	c->path = path;
	c->fp = fp;
	c->err = err;
	c->errlen = errlen;

	rv = ini_parse_stream(conf_read_line, c, conf_handler, c);
	fclose(fp);
	if (rv == -2) {
		snprintf(err, errlen, "%s: out of memory", path);
		rv = -1;
	} else if (rv > 0 && (!c->failed || (c->errline > 0 &&
	    rv < c->errline))) {
		/* libinih found a line it could not parse before we failed. */
		snprintf(err, errlen, "%s:%d: %s", path, rv,
		    rv == c->badheader ? "section header without ']'" :
		    "syntax error (want [section] or key = value)");
		rv = -1;
	} else if (c->failed || conf_finish(c) == -1)
		rv = -1;
	else {
		memcpy(conf, c->conf, sizeof(*conf));
		rv = 0;
	}
	free(c->conf);
	free(c);
	return rv;
}

/*
 * libinih's fgets: one line per call, counted, checked for length and NUL
 * bytes, leading blanks (and a UTF-8 BOM) removed.
 */
static char *
conf_read_line(char *buf, int size, void *arg)
{
	struct conf_ctx	*c = arg;
	char		*p, *q;
	int		 ch, n;

	if (c->failed || (ch = getc(c->fp)) == EOF) {
		if (!c->failed && ferror(c->fp))
			conf_fail(c, 0, "%s", strerror(errno));
		return NULL;
	}
	c->lineno++;
	for (n = 0; ch != EOF; ch = getc(c->fp)) {
		if (ch == '\0') {
			conf_fail(c, c->lineno, "NUL byte in line");
			return NULL;
		}
		if (n + 1 >= size) {
			conf_fail(c, c->lineno, "line too long (over %d bytes)",
			    size - 2);
			return NULL;
		}
		buf[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	p = buf;
	if (c->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	p += strspn(p, " \t");
	memmove(buf, p, strlen(p) + 1);
	if (buf[0] == '[') {
		if ((q = strchr(buf + 1, ']')) == NULL)
			c->badheader = c->lineno;
		else
			snprintf(c->section, sizeof(c->section), "%.*s",
			    (int)(q - buf - 1), buf + 1);
	}
	return buf;
}

static int
conf_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct conf_ctx	*c = arg;

	if (c->failed)
		return 0;
	/* Builds with INI_CALL_HANDLER_ON_NEW_SECTION announce sections. */
	if (name == NULL || value == NULL)
		return 1;
	/* libinih truncates long section names; use the whole header. */
	if (strncmp(c->section, section, strlen(section)) == 0)
		section = c->section;
	if (conf_set(c, section, name, value) == -1)
		return 0;
	return 1;
}

static int
conf_set(struct conf_ctx *c, const char *section, const char *name,
    const char *value)
{
	const struct conf_key	*k;
	struct conf_queue	*q = NULL;
	enum sect		 s;
	size_t			 i;
	int			*line;
	char			 msg[512];

	if (section[0] == '\0') {
		conf_fail(c, c->lineno, "%s: not in a section", name);
		return -1;
	}
	if (conf_section(c, section, &s, &q) == -1)
		return -1;
	if (name[0] == '\0') {
		conf_fail(c, c->lineno, "[%s]: key name missing", section);
		return -1;
	}
	if ((k = conf_key_find(s, name, &i)) == NULL) {
		conf_fail(c, c->lineno, "[%s] %s: unknown key", section, name);
		return -1;
	}
	line = c->line[q == NULL ? 0 : 1 + (q - c->conf->queues)];
	if (line[i] != 0) {
		conf_fail(c, c->lineno, "[%s] %s: duplicate key (first on line "
		    "%d)", section, name, line[i]);
		return -1;
	}
	line[i] = c->lineno;
	if (conf_value(c->conf, k, q != NULL ? (void *)q : (void *)c->conf,
	    value, msg, sizeof(msg)) == -1) {
		conf_fail(c, c->lineno, "[%s] %s: %s", section, name, msg);
		return -1;
	}
	return 0;
}

/* Which section; a [queue.NAME] not seen before is added here. */
static int
conf_section(struct conf_ctx *c, const char *section, enum sect *s,
    struct conf_queue **qp)
{
	struct conf		*conf = c->conf;
	struct conf_queue	*q;
	const char		*name;
	int			 i;

	*qp = NULL;
	for (i = 0; i < SECT_QUEUE; i++)
		if (strcmp(section, sect_names[i]) == 0) {
			*s = (enum sect)i;
			return 0;
		}
	if (strncmp(section, "queue.", 6) != 0) {
		conf_fail(c, c->lineno, "[%s]: unknown section", section);
		return -1;
	}
	*s = SECT_QUEUE;
	name = section + 6;
	if (!conf_valid_queue_name(name)) {
		conf_fail(c, c->lineno, "[%s]: invalid queue name '%s' (want "
		    "1 to %d of A-Z a-z 0-9 _ -)", section, name,
		    TD_NAME_MAX - 1);
		return -1;
	}
	for (i = 0; i < conf->nqueues; i++)
		if (strcmp(conf->queues[i].name, name) == 0) {
			*qp = &conf->queues[i];
			return 0;
		}
	if (conf->nqueues >= TD_QUEUE_MAX) {
		conf_fail(c, c->lineno, "[%s]: too many queues (at most %d)",
		    section, TD_QUEUE_MAX);
		return -1;
	}
	q = &conf->queues[conf->nqueues++];
	memset(q, 0, sizeof(*q));
	util_strlcpy(q->name, name, sizeof(q->name));
	q->weight = 1;
	*qp = q;
	return 0;
}

static const struct conf_key *
conf_key_find(enum sect s, const char *name, size_t *idx)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (conf_keys[i].sect == s &&
		    strcmp(conf_keys[i].name, name) == 0) {
			*idx = i;
			return &conf_keys[i];
		}
	return NULL;
}

/* Parse value as key k and store it at base + k->off. */
static int
conf_value(struct conf *conf, const struct conf_key *k, void *base,
    const char *value, char *msg, size_t msglen)
{
	int	level;

	switch (k->kind) {
	case KIND_DURATION:
	case KIND_SIZE:
	case KIND_INT:
		return conf_number(k, (char *)base + k->off, value, msg,
		    msglen);
	case KIND_LOG_LEVEL:
		if ((level = log_level_parse(value)) == -1) {
			snprintf(msg, msglen, "invalid log level '%s' (want "
			    "err, warning, notice, info or debug)", value);
			return -1;
		}
		conf->log_level = level;
		return 0;
	case KIND_LISTEN:
		return parse_hostport(value, "0.0.0.0", conf->listen_host,
		    sizeof(conf->listen_host), &conf->listen_port, msg, msglen);
	case KIND_REDIS_ADDR:
		return conf_parse_redis_addr(conf, value, msg, msglen);
	case KIND_PASSWORD:
		if (strlen(value) >= sizeof(conf->redis_password)) {
			snprintf(msg, msglen, "too long (at most %zu bytes)",
			    sizeof(conf->redis_password) - 1);
			return -1;
		}
		util_strlcpy(conf->redis_password, value,
		    sizeof(conf->redis_password));
		return 0;
	case KIND_PREFIX:
		return conf_prefix(conf, value, msg, msglen);
	case KIND_TOKENS:
		return conf_tokens(conf, value, msg, msglen);
	case KIND_TOKEN_FILE:
		if (strlen(value) >= sizeof(conf->api_token_file)) {
			snprintf(msg, msglen, "path too long");
			return -1;
		}
		util_strlcpy(conf->api_token_file, value,
		    sizeof(conf->api_token_file));
		return 0;
	case KIND_USER:
	case KIND_GROUP:
		if (strlen(value) >= sizeof(conf->user)) {
			snprintf(msg, msglen, "name too long (at most %zu "
			    "bytes)", sizeof(conf->user) - 1);
			return -1;
		}
		util_strlcpy(k->kind == KIND_USER ? conf->user : conf->group,
		    value, sizeof(conf->user));
		return 0;
	case KIND_TARGETS:
		return netpolicy_parse_list((struct netpolicy_list *)(void *)
		    ((char *)base + k->off), value, msg, msglen);
	case KIND_CT_PROJECT:
		return conf_ct_id(conf->ct_project, sizeof(conf->ct_project),
		    value, "project", ".:", msg, msglen);
	case KIND_CT_LOCATION:
		return conf_ct_id(conf->ct_location,
		    sizeof(conf->ct_location), value, "location", "", msg,
		    msglen);
	case KIND_BOOL:
		return conf_bool((int *)(void *)((char *)base + k->off), value,
		    msg, msglen);
	case KIND_DASH_LISTEN:
		/* Empty turns the dashboard off. */
		if (value[0] == '\0') {
			conf->dash_host[0] = '\0';
			conf->dash_port = 0;
			return 0;
		}
		return parse_hostport(value, "0.0.0.0", conf->dash_host,
		    sizeof(conf->dash_host), &conf->dash_port, msg, msglen);
	case KIND_DASH_BASE:
		return conf_dash_base(conf, value, msg, msglen);
	case KIND_DASH_USERS:
		return conf_dash_users(conf, value, msg, msglen);
	case KIND_DASH_USERS_FILE:
		if (strlen(value) >= sizeof(conf->dash_users_file)) {
			snprintf(msg, msglen, "path too long");
			return -1;
		}
		util_strlcpy(conf->dash_users_file, value,
		    sizeof(conf->dash_users_file));
		return 0;
	case KIND_DASH_REDACT:
		return conf_dash_redact(conf, value, msg, msglen);
	case KIND_DASH_HOSTS:
		/* Host names, IP literals ([v6]), each with or without :port */
		return conf_words(value, &conf->dash_hosts[0][0],
		    TD_DASH_HOSTS_MAX, TD_DASH_HOST_MAX,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789.-:[]", "host", "a host name's characters, "
		    "':' and [ ]", &conf->ndash_hosts, msg, msglen);
	}
	snprintf(msg, msglen, "unhandled key");
	return -1;
}

/* A duration, size or int, checked against the key's range. */
static int
conf_number(const struct conf_key *k, char *dst, const char *value,
    char *msg, size_t msglen)
{
	char		 lo[32], hi[32];
	long long	 n;
	uint64_t	 ms;
	size_t		 sz;
	int		 i;

	if (k->kind == KIND_DURATION) {
		if (conf_parse_duration(value, &ms) == -1) {
			snprintf(msg, msglen, "invalid duration '%s'", value);
			return -1;
		}
		fmt_duration((uint64_t)k->min, lo, sizeof(lo));
		fmt_duration((uint64_t)k->max, hi, sizeof(hi));
		n = (long long)ms;
	} else if (k->kind == KIND_SIZE) {
		if (conf_parse_size(value, &sz) == -1 || sz > LLONG_MAX) {
			snprintf(msg, msglen, "invalid size '%s'", value);
			return -1;
		}
		fmt_size((size_t)k->min, lo, sizeof(lo));
		fmt_size((size_t)k->max, hi, sizeof(hi));
		n = (long long)sz;
	} else {
		if (parse_int(value, &n) == -1) {
			snprintf(msg, msglen, "invalid number '%s'", value);
			return -1;
		}
		snprintf(lo, sizeof(lo), "%lld", k->min);
		snprintf(hi, sizeof(hi), "%lld", k->max);
	}
	if (n < k->min || n > k->max) {
		snprintf(msg, msglen, "%s is out of range (%s to %s)", value,
		    lo, hi);
		return -1;
	}
	/* The field has the type of its kind; copy rather than cast. */
	if (k->kind == KIND_DURATION)
		memcpy(dst, &ms, sizeof(ms));
	else if (k->kind == KIND_SIZE)
		memcpy(dst, &sz, sizeof(sz));
	else {
		i = (int)n;
		memcpy(dst, &i, sizeof(i));
	}
	return 0;
}

/* Braces in the prefix would move keys out of their {queue} hash slot. */
static int
conf_prefix(struct conf *conf, const char *value, char *msg, size_t msglen)
{
	static const char	ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.:-";

	if (value[0] == '\0' || strlen(value) >= sizeof(conf->redis_prefix) ||
	    value[strspn(value, ok)] != '\0') {
		snprintf(msg, msglen, "invalid prefix '%s' (want 1 to %zu of "
		    "A-Z a-z 0-9 _ . : -)", value,
		    sizeof(conf->redis_prefix) - 1);
		return -1;
	}
	util_strlcpy(conf->redis_prefix, value, sizeof(conf->redis_prefix));
	return 0;
}

/*
 * A project or location ID as the /v2 paths carry it (ctroute.c takes no
 * other), or "" for any.  ':' and '.' are for domain-scoped projects
 * ("example.com:proj").
 */
static int
conf_ct_id(char *dst, size_t size, const char *value, const char *what,
    const char *extra, char *msg, size_t msglen)
{
	static const char	alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-";
	char			set[sizeof(alnum) + 8], words[32] = "";
	size_t			n, i;

	snprintf(set, sizeof(set), "%s%s", alnum, extra);
	n = strspn(value, set);
	if (value[n] != '\0' || n >= size) {
		for (i = 0; extra[i] != '\0' && 2 * i + 2 < sizeof(words);
		    i++) {
			words[2 * i] = ' ';
			words[2 * i + 1] = extra[i];
			words[2 * i + 2] = '\0';
		}
		snprintf(msg, msglen, "invalid %s ID '%s' (want at most %zu of "
		    "A-Z a-z 0-9 -%s, or nothing for any)", what, value,
		    size - 1, words);
		return -1;
	}
	util_strlcpy(dst, value, size);
	return 0;
}

/*
 * After the whole file: queue overrides are merged over [dispatch] here,
 * so the order of the sections in the file does not matter.
 */
static int
conf_finish(struct conf_ctx *c)
{
	struct conf		*conf = c->conf;
	struct conf_queue	*q;
	struct conf_dispatch	 d;
	const int		*set;
	char			 sect[sizeof("queue.") + TD_NAME_MAX];
	size_t			 kt, kr, klo, khi;
	int			 i, glo, ghi, line;

	glo = c->line[0][key_index(SECT_DISPATCH, "min_backoff")];
	ghi = c->line[0][key_index(SECT_DISPATCH, "max_backoff")];
	if (conf_check_backoff(c, "dispatch", &conf->dispatch,
	    TD_MAX(glo, ghi)) == -1)
		return -1;
	kt = key_index(SECT_QUEUE, "timeout");
	kr = key_index(SECT_QUEUE, "max_retries");
	klo = key_index(SECT_QUEUE, "min_backoff");
	khi = key_index(SECT_QUEUE, "max_backoff");
	for (i = 0; i < conf->nqueues; i++) {
		q = &conf->queues[i];
		set = c->line[1 + i];
		d = conf->dispatch;
		if (set[kt])
			d.timeout_ms = q->dispatch.timeout_ms;
		if (set[kr])
			d.max_retries = q->dispatch.max_retries;
		if (set[klo])
			d.min_backoff_ms = q->dispatch.min_backoff_ms;
		if (set[khi])
			d.max_backoff_ms = q->dispatch.max_backoff_ms;
		q->dispatch = d;

		/* Blame the later of the lines the two values came from. */
		line = TD_MAX(set[klo] ? set[klo] : glo, set[khi] ? set[khi] :
		    ghi);
		snprintf(sect, sizeof(sect), "queue.%s", q->name);
		if (conf_check_backoff(c, sect, &q->dispatch, line) == -1)
			return -1;
	}
	if (conf_token_file(c) == -1 || conf_dash_users_file(c) == -1 ||
	    conf_dash_check(c) == -1 || conf_ids(c) == -1)
		return -1;
	return 0;
}

/*
 * A comma- or blank-separated list.  Messages never quote a token: a
 * typo in one is still most of a secret.
 */
static int
conf_tokens(struct conf *conf, const char *value, char *msg, size_t msglen)
{
	char	tok[TD_TOKEN_MAX];
	size_t	len;
	int	n = 0;

	for (;;) {
		value += strspn(value, ", \t");
		if (*value == '\0')
			break;
		len = strcspn(value, ", \t");
		if (n >= TD_TOKENS_MAX) {
			snprintf(msg, msglen, "too many tokens (at most %d)",
			    TD_TOKENS_MAX);
			return -1;
		}
		if (len >= sizeof(tok)) {
			snprintf(msg, msglen, "token %d is too long (at most "
			    "%zu bytes)", n + 1, sizeof(tok) - 1);
			return -1;
		}
		memcpy(tok, value, len);
		tok[len] = '\0';
		value += len;
		if (!conf_token_valid(tok)) {
			snprintf(msg, msglen, "token %d is not a valid bearer "
			    "token (want A-Z a-z 0-9 - . _ ~ + / and "
			    "trailing =)", n + 1);
			return -1;
		}
		/* Zero-padded: api.c compares all TD_TOKEN_MAX bytes. */
		memset(conf->api_tokens[n], 0, TD_TOKEN_MAX);
		memcpy(conf->api_tokens[n++], tok, len);
	}
	explicit_bzero(tok, sizeof(tok));
	conf->napi_tokens = conf->napi_tokens_inline = n;
	return 0;
}

int
conf_token_valid(const char *s)
{
	static const char	b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-._~+/";
	size_t			n = strspn(s, b64);

	if (n == 0 || strlen(s) >= TD_TOKEN_MAX)
		return 0;
	return s[n + strspn(s + n, "=")] == '\0';
}

/* A line of api_token_file: one more token. */
static int
conf_token_line(struct conf *conf, const char *p, size_t len, char *msg,
    size_t msglen)
{
	if (conf->napi_tokens >= TD_TOKENS_MAX) {
		snprintf(msg, msglen, "too many tokens");
		return -1;
	}
	if (!conf_token_valid(p)) {
		snprintf(msg, msglen, "not a valid bearer token");
		return -1;
	}
	memset(conf->api_tokens[conf->napi_tokens], 0, TD_TOKEN_MAX);
	memcpy(conf->api_tokens[conf->napi_tokens++], p, len);
	return 0;
}

/*
 * Each line of a file of secrets (api_token_file, users_file) to fn;
 * blank lines and lines starting with '#' are skipped.  A file that
 * names nothing is an error: the operator meant to close a door with it,
 * and it would be open.  The line buffer held secrets: it is wiped.
 */
static int
conf_secret_file(struct conf_ctx *c, int kline, const char *what,
    const char *path, const char *item, conf_line_fn *fn)
{
	FILE	*fp;
	char	 buf[TD_USER_MAX + TD_DASH_HASH_MAX + TD_TOKEN_MAX], msg[256];
	char	*p;
	size_t	 len;
	int	 lineno = 0, found = 0, rv = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		conf_fail(c, kline, "%s: %s: %s", what, path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		lineno++;
		len = strlen(buf);
		if (len > 0 && buf[len - 1] != '\n' && !feof(fp)) {
			conf_fail(c, kline, "%s: %s:%d: line too long", what,
			    path, lineno);
			rv = -1;
			break;
		}
		while (len > 0 && isspace((unsigned char)buf[len - 1]))
			buf[--len] = '\0';
		p = buf + strspn(buf, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		if (fn(c->conf, p, strlen(p), msg, sizeof(msg)) == -1) {
			conf_fail(c, kline, "%s: %s:%d: %s", what, path,
			    lineno, msg);
			rv = -1;
			break;
		}
		found++;
	}
	if (rv == 0 && ferror(fp)) {
		conf_fail(c, kline, "%s: %s: %s", what, path, strerror(errno));
		rv = -1;
	}
	fclose(fp);
	explicit_bzero(buf, sizeof(buf));
	if (rv == 0 && found == 0) {
		conf_fail(c, kline, "%s: %s: no %s in the file", what, path,
		    item);
		rv = -1;
	}
	return rv;
}

/* The tokens of api_token_file, after the api_tokens ones. */
static int
conf_token_file(struct conf_ctx *c)
{
	struct conf	*conf = c->conf;

	conf->napi_tokens = conf->napi_tokens_inline;
	if (conf->api_token_file[0] == '\0')
		return 0;
	return conf_secret_file(c, c->line[0][key_index(SECT_SERVER,
	    "api_token_file")], "[server] api_token_file",
	    conf->api_token_file, "token", conf_token_line);
}

/*
 * user and group become ids here, so that -t and a reload both refuse a
 * name this host does not know.  (The one lookup outside the file in this
 * module: the ids must be known before anything runs.)
 */
static int
conf_ids(struct conf_ctx *c)
{
	struct conf	*conf = c->conf;
	struct passwd	*pw;
	struct group	*gr;

	if (conf->user[0] != '\0') {
		errno = 0;
		if ((pw = getpwnam(conf->user)) == NULL) {
			conf_fail(c, c->line[0][key_index(SECT_SERVER, "user")],
			    "[server] user: unknown user '%s'", conf->user);
			return -1;
		}
		conf->uid = pw->pw_uid;
		conf->gid = pw->pw_gid;
	}
	if (conf->group[0] != '\0') {
		errno = 0;
		if ((gr = getgrnam(conf->group)) == NULL) {
			conf_fail(c, c->line[0][key_index(SECT_SERVER,
			    "group")], "[server] group: unknown group '%s'",
			    conf->group);
			return -1;
		}
		conf->gid = gr->gr_gid;
	}
	return 0;
}

/* yes/no, true/false, on/off, 1/0, in any case. */
static int
conf_bool(int *dst, const char *value, char *msg, size_t msglen)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t			 i;

	for (i = 0; i < TD_NELEM(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0) {
			*dst = 1;
			return 0;
		}
		if (strcasecmp(value, no[i]) == 0) {
			*dst = 0;
			return 0;
		}
	}
	snprintf(msg, msglen, "invalid boolean '%s' (want yes or no)", value);
	return -1;
}

/*
 * "/", "/tasks/": the prefix every dashboard URL has, normalised to start
 * and end with '/' so that "tasks" and "/tasks" mean the same.  Only the
 * unreserved characters and '/': the path goes verbatim into Set-Cookie
 * and Location lines, and a reverse proxy matches it byte for byte.
 */
static int
conf_dash_base(struct conf *conf, const char *value, char *msg,
    size_t msglen)
{
	static const char	ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-._~/";
	char			buf[TD_DASH_BASE_MAX + 2];
	const char		*seg;
	size_t			n = strlen(value), sl;

	if (value[strspn(value, ok)] != '\0') {
		snprintf(msg, msglen, "invalid path '%s' (want A-Z a-z 0-9 "
		    "- . _ ~ and /)", value);
		return -1;
	}
	if (n + 2 >= sizeof(conf->dash_base)) {
		snprintf(msg, msglen, "path too long (at most %zu bytes)",
		    sizeof(conf->dash_base) - 3);
		return -1;
	}
	/* Empty is the root, as "/" is. */
	snprintf(buf, sizeof(buf), "%s%s%s", value[0] == '/' ? "" : "/",
	    value, n > 0 && value[n - 1] == '/' ? "" : "/");
	if (strcmp(buf, "//") == 0)
		buf[1] = '\0';
	/* Every segment between the slashes: none empty, "." or "..". */
	for (seg = buf + 1; *seg != '\0'; seg += sl + 1) {
		sl = strcspn(seg, "/");
		if (sl == 0 || (sl == 1 && seg[0] == '.') || (sl == 2 &&
		    seg[0] == '.' && seg[1] == '.')) {
			snprintf(msg, msglen, "invalid path '%s' (no empty, "
			    "'.' or '..' segments)", value);
			return -1;
		}
	}
	util_strlcpy(conf->dash_base, buf, sizeof(conf->dash_base));
	return 0;
}

/* "alice:$y$... bob:$6$...": blank- or comma-separated pairs. */
static int
conf_dash_users(struct conf *conf, const char *value, char *msg,
    size_t msglen)
{
	size_t	len;

	conf->ndash_users = 0;
	for (;;) {
		value += strspn(value, ", \t");
		if (*value == '\0')
			break;
		len = strcspn(value, ", \t");
		if (conf_dash_user(conf, value, len, msg, msglen) == -1)
			return -1;
		value += len;
	}
	conf->ndash_users_inline = conf->ndash_users;
	return 0;
}

/*
 * One "user:hash" pair of len bytes, appended to the table.  The hash is
 * checked for form only (crypt_r in the listener says whether it works):
 * a '$'-prefixed crypt(3) hash, printable, no blanks.  "token" is the
 * name API-token logins go by, so no user may take it.
 */
static int
conf_dash_user(struct conf *conf, const char *pair, size_t len, char *msg,
    size_t msglen)
{
	static const char	namechars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._@-";
	struct conf_dash_user	*u;
	const char		*colon;
	size_t			 nl, hl, i;
	int			 j;

	if ((colon = memchr(pair, ':', len)) == NULL) {
		snprintf(msg, msglen, "user %d: want user:hash",
		    conf->ndash_users + 1);
		return -1;
	}
	nl = (size_t)(colon - pair);
	hl = len - nl - 1;
	if (nl == 0 || nl >= TD_USER_MAX || strspn(pair, namechars) < nl) {
		snprintf(msg, msglen, "user %d: invalid user name (want 1 to "
		    "%d of A-Z a-z 0-9 . _ @ -)", conf->ndash_users + 1,
		    TD_USER_MAX - 1);
		return -1;
	}
	if (nl == 5 && strncmp(pair, "token", 5) == 0) {
		snprintf(msg, msglen, "user %d: the name 'token' is reserved "
		    "for API-token logins", conf->ndash_users + 1);
		return -1;
	}
	for (i = 0; i < hl; i++)
		if (colon[1 + i] <= ' ' || colon[1 + i] >= 0x7f)
			break;
	if (hl < 2 || hl >= TD_DASH_HASH_MAX || colon[1] != '$' || i < hl) {
		snprintf(msg, msglen, "user '%.*s': want a crypt(3) hash such "
		    "as $y$... or $6$... (mkpasswd, openssl passwd -6)",
		    (int)nl, pair);
		return -1;
	}
	for (j = 0; j < conf->ndash_users; j++)
		if (strlen(conf->dash_users[j].name) == nl &&
		    strncmp(conf->dash_users[j].name, pair, nl) == 0) {
			snprintf(msg, msglen, "user '%.*s' is listed twice",
			    (int)nl, pair);
			return -1;
		}
	if (conf->ndash_users >= TD_DASH_USERS_MAX) {
		snprintf(msg, msglen, "too many users (at most %d)",
		    TD_DASH_USERS_MAX);
		return -1;
	}
	u = &conf->dash_users[conf->ndash_users++];
	snprintf(u->name, sizeof(u->name), "%.*s", (int)nl, pair);
	snprintf(u->hash, sizeof(u->hash), "%.*s", (int)hl, colon + 1);
	return 0;
}

/* The users of users_file, after the users ones. */
static int
conf_dash_users_file(struct conf_ctx *c)
{
	struct conf	*conf = c->conf;

	conf->ndash_users = conf->ndash_users_inline;
	if (conf->dash_users_file[0] == '\0')
		return 0;
	return conf_secret_file(c, c->line[0][key_index(SECT_DASHBOARD,
	    "users_file")], "[dashboard] users_file", conf->dash_users_file,
	    "user", conf_dash_user);
}

/*
 * Header-name globs (fnmatch, matched without regard to case): the token
 * characters of a header name plus * ? [ ] !.  Replaces the default list;
 * empty leaves only Authorization and Cookie, which are always masked.
 */
/*
 * A blank- or comma-separated list of words into *np (at most nmax) rows
 * of dst, each wmax bytes wide, lowercased: every byte of a word from ok.
 * what names a word and okdesc says what ok is, in the error.
 */
static int
conf_words(const char *value, char *dst, int nmax, size_t wmax,
    const char *ok, const char *what, const char *okdesc, int *np,
    char *msg, size_t msglen)
{
	size_t	len, i;
	int	n = 0;

	for (;;) {
		value += strspn(value, ", \t");
		if (*value == '\0')
			break;
		len = strcspn(value, ", \t");
		if (n >= nmax) {
			snprintf(msg, msglen, "too many %ss (at most %d)",
			    what, nmax);
			return -1;
		}
		for (i = 0; i < len && strchr(ok, value[i]) != NULL; i++)
			;
		if (len >= wmax || i < len) {
			snprintf(msg, msglen, "invalid %s '%.*s' (want at "
			    "most %zu of %s)", what, (int)TD_MIN(len, 80),
			    value, wmax - 1, okdesc);
			return -1;
		}
		for (i = 0; i < len; i++)
			dst[(size_t)n * wmax + i] =
			    (char)tolower((unsigned char)value[i]);
		dst[(size_t)n++ * wmax + len] = '\0';
		value += len;
	}
	*np = n;
	return 0;
}

/* Header-name globs: a header name's characters and * ? [ ]. */
static int
conf_dash_redact(struct conf *conf, const char *value, char *msg,
    size_t msglen)
{
	return conf_words(value, &conf->dash_redact[0][0], TD_DASH_GLOBS_MAX,
	    TD_DASH_GLOB_MAX, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~?[]",
	    "pattern", "a header name's characters and * ? [ ]",
	    &conf->ndash_redact, msg, msglen);
}

/* Settings of [dashboard] that only make sense together with others. */
static int
conf_dash_check(struct conf_ctx *c)
{
	struct conf	*conf = c->conf;

	if (conf->dash_port != 0 && conf->dash_port == conf->listen_port &&
	    strcmp(conf->dash_host, conf->listen_host) == 0) {
		conf_fail(c, c->line[0][key_index(SECT_DASHBOARD, "listen")],
		    "[dashboard] listen: the same address as [server] listen");
		return -1;
	}
	return 0;
}

static size_t
key_index(enum sect s, const char *name)
{
	size_t	i;

	if (conf_key_find(s, name, &i) == NULL)
		fatalx("conf: no key %s", name);
	return i;
}

static int
conf_check_backoff(struct conf_ctx *c, const char *sect,
    const struct conf_dispatch *d, int line)
{
	char	lo[32], hi[32];

	if (d->min_backoff_ms <= d->max_backoff_ms)
		return 0;
	fmt_duration(d->min_backoff_ms, lo, sizeof(lo));
	fmt_duration(d->max_backoff_ms, hi, sizeof(hi));
	conf_fail(c, line, "[%s] min_backoff (%s) is greater than "
	    "max_backoff (%s)", sect, lo, hi);
	return -1;
}

/* The first error wins: "path:line: msg", or "path: msg" without a line. */
static void
conf_fail(struct conf_ctx *c, int line, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (c->failed)
		return;
	c->failed = 1;
	c->errline = line;
	if (line > 0)
		n = snprintf(c->err, c->errlen, "%s:%d: ", c->path, line);
	else
		n = snprintf(c->err, c->errlen, "%s: ", c->path);
	if (n < 0 || (size_t)n >= c->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

int
conf_apply_env(struct conf *conf, const char *(*getenv_fn)(const char *),
    char *err, size_t errlen)
{
	const char	*v;
	char		 msg[512];
	int		 port;

	if (getenv_fn == NULL)
		return 0;
	/* An empty variable counts as unset, as in most process managers. */
	if ((v = getenv_fn("PORT")) != NULL && v[0] != '\0') {
		if (parse_port(v, &port) == -1) {
			snprintf(err, errlen, "PORT: invalid port '%s' (want "
			    "1 to 65535)", v);
			return -1;
		}
		conf->listen_port = port;
	}
	if ((v = getenv_fn("REDIS_ADDR")) != NULL && v[0] != '\0') {
		if (conf_parse_redis_addr(conf, v, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "REDIS_ADDR: %s", msg);
			return -1;
		}
	}
	return 0;
}

const struct conf_queue *
conf_queue_find(const struct conf *conf, const char *name)
{
	int	i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < conf->nqueues; i++)
		if (strcmp(conf->queues[i].name, name) == 0)
			return &conf->queues[i];
	return NULL;
}

int
conf_queue_sync(struct conf *conf, const char *const *names, size_t n)
{
	struct conf_queue	*q;
	size_t			 i;
	int			 j, k, changed = 0;

	/* Drop first: a slot freed may take a new queue at the limit. */
	for (j = k = 0; j < conf->nqueues; j++) {
		q = &conf->queues[j];
		if (q->dynamic && !conf_queue_listed(q->name, names, n)) {
			changed = 1;
			continue;
		}
		if (k != j)
			conf->queues[k] = *q;
		k++;
	}
	conf->nqueues = k;
	for (i = 0; i < n; i++) {
		if (names[i] == NULL || !conf_valid_queue_name(names[i]) ||
		    conf_queue_find(conf, names[i]) != NULL ||
		    conf->nqueues >= TD_QUEUE_MAX)
			continue;
		q = &conf->queues[conf->nqueues++];
		memset(q, 0, sizeof(*q));
		util_strlcpy(q->name, names[i], sizeof(q->name));
		q->weight = 1;
		q->dispatch = conf->dispatch;
		q->dynamic = 1;
		changed = 1;
	}
	return changed;
}

static int
conf_queue_listed(const char *name, const char *const *names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

static int
conf_valid_queue_name(const char *s)
{
	size_t	n = strlen(s);

	return n > 0 && n < TD_NAME_MAX && s[strspn(s,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-")] == '\0';
}

/*
 * Digits, an optional fraction and a unit.  Written out rather than with
 * strtod so that the locale, "1e3", "inf" and hex floats never sneak in.
 */
int
conf_parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char	*suffix;
		uint64_t	 ms;
	} units[] = {
		{ "", MS_PER_S }, { "ms", 1 }, { "s", MS_PER_S },
		{ "m", MS_PER_M }, { "h", MS_PER_H }, { "d", MS_PER_D },
	};
	uint64_t	 whole = 0, frac = 0, scale = 1, unit = 0, v, f;
	size_t		 i;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return -1;
		/* Nine decimals are finer than a millisecond of a day. */
		for (; isdigit((unsigned char)*s); s++)
			if (scale < 1000000000ULL) {
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
	}
	for (i = 0; i < TD_NELEM(units); i++)
		if (strcmp(s, units[i].suffix) == 0)
			unit = units[i].ms;
	if (unit == 0)
		return -1;
	if (__builtin_mul_overflow(whole, unit, &v))
		return -1;
	f = (frac * unit + scale / 2) / scale;
	if (__builtin_add_overflow(v, f, &v) || v > DURATION_MAX_MS)
		return -1;
	*ms = v;
	return 0;
}

int
conf_parse_size(const char *s, size_t *size)
{
	uint64_t	v = 0, mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s == 'k' || *s == 'K')
		mult = KB;
	else if (*s == 'm' || *s == 'M')
		mult = MB;
	if (mult != 1)
		s++;
	if (*s != '\0' || __builtin_mul_overflow(v, mult, &v) || v > SIZE_MAX)
		return -1;
	*size = (size_t)v;
	return 0;
}

int
conf_parse_redis_addr(struct conf *conf, const char *s, char *err,
    size_t errlen)
{
	char	host[TD_HOST_MAX], msg[256];
	int	port;

	if (strlen(s) >= sizeof(conf->redis_addr)) {
		snprintf(err, errlen, "address too long");
		return -1;
	}
	if (s[0] == '/') {
		if (strlen(s) >= sizeof(conf->redis_unix)) {
			snprintf(err, errlen, "socket path '%s' too long (at "
			    "most %zu bytes)", s, sizeof(conf->redis_unix) - 1);
			return -1;
		}
		util_strlcpy(conf->redis_unix, s, sizeof(conf->redis_unix));
		conf->redis_host[0] = '\0';
		conf->redis_port = 0;
	} else {
		if (parse_hostport(s, "localhost", host, sizeof(host), &port,
		    msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s (or an absolute socket "
			    "path)", msg);
			return -1;
		}
		util_strlcpy(conf->redis_host, host, sizeof(conf->redis_host));
		conf->redis_port = port;
		conf->redis_unix[0] = '\0';
	}
	util_strlcpy(conf->redis_addr, s, sizeof(conf->redis_addr));
	return 0;
}

/*
 * "host:port", "[v6]:port", ":port" or "port"; an empty host becomes
 * defhost.  An IPv6 address must be in brackets: "::1:80" is ambiguous.
 */
static int
parse_hostport(const char *s, const char *defhost, char *host,
    size_t hostlen, int *port, char *msg, size_t msglen)
{
	const char	*colon, *h = s, *p;
	size_t		 hl;

	if (s[0] == '[') {
		if ((p = strchr(s, ']')) == NULL || p[1] != ':') {
			snprintf(msg, msglen, "invalid address '%s' (want "
			    "[v6addr]:port)", s);
			return -1;
		}
		h = s + 1;
		hl = (size_t)(p - h);
		p += 2;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		hl = (size_t)(colon - s);
		p = colon + 1;
	} else {
		hl = 0;
		p = s;
	}
	if (parse_port(p, port) == -1) {
		snprintf(msg, msglen, "invalid address '%s' (want host:port, "
		    "port 1 to 65535)", s);
		return -1;
	}
	if (hl == 0 && s[0] == '[') {
		snprintf(msg, msglen, "invalid address '%s': empty brackets",
		    s);
		return -1;
	}
	if (hl >= hostlen) {
		snprintf(msg, msglen, "invalid address '%s': host too long", s);
		return -1;
	}
	if (host_chars(h, hl, s[0] == '[') != hl) {
		snprintf(msg, msglen, "invalid address '%s': bad host name%s",
		    s, s[0] != '[' && memchr(h, ':', hl) != NULL ? " (an IPv6 "
		    "address needs [brackets])" : "");
		return -1;
	}
	if (hl == 0)
		util_strlcpy(host, defhost, hostlen);
	else
		snprintf(host, hostlen, "%.*s", (int)hl, h);
	return 0;
}

/* How many of the n bytes at h may be in a host name (or in [v6]). */
static size_t
host_chars(const char *h, size_t n, int v6)
{
	static const char	name[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789.-_";
	size_t			i;

	for (i = 0; i < n; i++)
		if (strchr(name, h[i]) == NULL && (!v6 || (h[i] != ':' &&
		    h[i] != '%')))
			break;
	return i;
}

static int
parse_port(const char *s, int *port)
{
	long long	v;

	if (!isdigit((unsigned char)s[0]) || parse_int(s, &v) == -1 ||
	    v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* A whole decimal number, optionally negative, and nothing else. */
static int
parse_int(const char *s, long long *v)
{
	char	*end;

	if (*s != '-' && !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	return 0;
}

/* The largest unit that divides exactly: "30m", "250ms", "0s". */
static void
fmt_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		uint64_t	 ms;
		const char	*unit;
	} units[] = {
		{ MS_PER_D, "d" }, { MS_PER_H, "h" }, { MS_PER_M, "m" },
		{ MS_PER_S, "s" }, { 1, "ms" },
	};
	size_t	i;

	/* The last unit, ms, always fits. */
	for (i = 0; i + 1 < TD_NELEM(units); i++)
		if (ms % units[i].ms == 0 && (ms != 0 ||
		    units[i].ms == MS_PER_S))
			break;
	snprintf(buf, len, "%llu%s", (unsigned long long)(ms / units[i].ms),
	    units[i].unit);
}

static void
fmt_size(size_t n, char *buf, size_t len)
{
	if (n != 0 && n % MB == 0)
		snprintf(buf, len, "%zum", n / (size_t)MB);
	else if (n != 0 && n % KB == 0)
		snprintf(buf, len, "%zuk", n / (size_t)KB);
	else
		snprintf(buf, len, "%zu", n);
}

static void
fmt_hostport(const char *host, int port, char *buf, size_t len)
{
	if (strchr(host, ':') != NULL)
		snprintf(buf, len, "[%s]:%d", host, port);
	else
		snprintf(buf, len, "%s:%d", host, port);
}

/*
 * The effective configuration as INI that conf_load() reads back to the
 * same struct.  A queue lists only the settings that differ from
 * [dispatch].  The password is printed: -t -v is asked for by someone
 * who can read the file anyway (nginx -T does the same).  API tokens are
 * not: they also travel in every client's requests, and a dump pasted
 * into a bug report must not hand out access to the API.
 */
void
conf_dump(const struct conf *conf, FILE *fp)
{
	const struct conf_queue	*q;
	const struct conf_key	*k;
	enum sect		 s;
	size_t			 i;
	int			 n;

	for (s = SECT_SERVER; s < SECT_QUEUE; s++) {
		fprintf(fp, "%s[%s]\n", s == SECT_SERVER ? "" : "\n",
		    sect_names[s]);
		for (i = 0; i < NKEYS; i++)
			if (conf_keys[i].sect == s)
				dump_key(conf, &conf_keys[i], conf, fp);
	}
	for (n = 0; n < conf->nqueues; n++) {
		q = &conf->queues[n];
		/* Not the file's: read back, it would make them so. */
		if (q->dynamic)
			continue;
		fprintf(fp, "\n[queue.%s]\n", q->name);
		for (i = 0; i < NKEYS; i++) {
			k = &conf_keys[i];
			if (k->sect != SECT_QUEUE)
				continue;
			/* Same offsets within conf_dispatch either way. */
			if (k->off != Q(weight) && memcmp((const char *)q +
			    k->off, (const char *)&conf->dispatch + (k->off -
			    Q(dispatch)), k->kind == KIND_INT ? sizeof(int) :
			    sizeof(uint64_t)) == 0)
				continue;
			dump_key(conf, k, q, fp);
		}
	}
}

/*
 * A list of secrets given inline (tokens, users) as a comment with their
 * number: the dump reads back as a config without them.  0 when there
 * are none to hide.
 */
static int
dump_hidden(FILE *fp, const char *name, int n, const char *what)
{
	if (n == 0)
		return 0;
	fprintf(fp, ";%s = (%d %s%s, not shown)\n", name, n, what,
	    n == 1 ? "" : "s");
	return 1;
}

static void
dump_key(const struct conf *conf, const struct conf_key *k, const void *base,
    FILE *fp)
{
	const char	*p = (const char *)base + k->off;
	const struct netpolicy_list *l;
	char		 buf[TD_NETRULES_MAX * (TD_NETHOST_MAX + 1) + PATH_MAX];
	uint64_t	 ms;
	size_t		 sz, len;
	int		 n;

	switch (k->kind) {
	case KIND_DURATION:
		memcpy(&ms, p, sizeof(ms));
		fmt_duration(ms, buf, sizeof(buf));
		break;
	case KIND_SIZE:
		memcpy(&sz, p, sizeof(sz));
		fmt_size(sz, buf, sizeof(buf));
		break;
	case KIND_INT:
		memcpy(&n, p, sizeof(n));
		snprintf(buf, sizeof(buf), "%d", n);
		break;
	case KIND_LOG_LEVEL:
		util_strlcpy(buf, log_level_name(conf->log_level), sizeof(buf));
		break;
	case KIND_LISTEN:
		fmt_hostport(conf->listen_host, conf->listen_port, buf,
		    sizeof(buf));
		break;
	case KIND_REDIS_ADDR:
		if (conf->redis_unix[0] != '\0')
			util_strlcpy(buf, conf->redis_unix, sizeof(buf));
		else
			fmt_hostport(conf->redis_host, conf->redis_port, buf,
			    sizeof(buf));
		break;
	case KIND_PASSWORD:
		util_strlcpy(buf, conf->redis_password, sizeof(buf));
		break;
	case KIND_PREFIX:
		util_strlcpy(buf, conf->redis_prefix, sizeof(buf));
		break;
	case KIND_TOKENS:
		if (dump_hidden(fp, k->name, conf->napi_tokens_inline,
		    "token"))
			return;
		buf[0] = '\0';
		break;
	case KIND_TOKEN_FILE:
		util_strlcpy(buf, conf->api_token_file, sizeof(buf));
		break;
	case KIND_USER:
		util_strlcpy(buf, conf->user, sizeof(buf));
		break;
	case KIND_GROUP:
		util_strlcpy(buf, conf->group, sizeof(buf));
		break;
	case KIND_CT_PROJECT:
		util_strlcpy(buf, conf->ct_project, sizeof(buf));
		break;
	case KIND_CT_LOCATION:
		util_strlcpy(buf, conf->ct_location, sizeof(buf));
		break;
	case KIND_BOOL:
		memcpy(&n, p, sizeof(n));
		util_strlcpy(buf, n ? "yes" : "no", sizeof(buf));
		break;
	case KIND_DASH_LISTEN:
		buf[0] = '\0';
		if (conf->dash_port != 0)
			fmt_hostport(conf->dash_host, conf->dash_port, buf,
			    sizeof(buf));
		break;
	case KIND_DASH_BASE:
		util_strlcpy(buf, conf->dash_base, sizeof(buf));
		break;
	case KIND_DASH_USERS:
		/* Hashes can be cracked offline: like tokens, not shown. */
		if (dump_hidden(fp, k->name, conf->ndash_users_inline,
		    "user"))
			return;
		buf[0] = '\0';
		break;
	case KIND_DASH_USERS_FILE:
		util_strlcpy(buf, conf->dash_users_file, sizeof(buf));
		break;
	case KIND_DASH_REDACT:
		buf[0] = '\0';
		for (n = 0, len = 0; n < conf->ndash_redact; n++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    "%s%s", n > 0 ? " " : "", conf->dash_redact[n]);
		break;
	case KIND_DASH_HOSTS:
		buf[0] = '\0';
		for (n = 0, len = 0; n < conf->ndash_hosts && len < sizeof(buf);
		    n++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    "%s%s", n > 0 ? " " : "", conf->dash_hosts[n]);
		break;
	case KIND_TARGETS:
		l = (const struct netpolicy_list *)(const void *)p;
		buf[0] = '\0';
		for (n = 0, len = 0; n < l->n; n++) {
			if (n > 0)
				buf[len++] = ' ';
			netpolicy_rule_fmt(&l->rules[n], buf + len,
			    sizeof(buf) - len);
			len += strlen(buf + len);
		}
		break;
	}
	/* After a blank, libinih would take a leading ';' for a comment. */
	fprintf(fp, "%s =%s%s\n", k->name, buf[0] == ';' ? "" : " ", buf);
}
