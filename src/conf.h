/*
 * conf.h: the INI configuration (libinih) as one struct, with its
 * defaults, validation and environment overrides.  Pure: no sockets, no
 * Redis.  Every key here is documented in taskdispatcher.conf(5) and the
 * sample etc/taskdispatcher.conf; a test keeps the three in step.
 */
#ifndef TD_CONF_H
#define TD_CONF_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netpolicy.h"

/* Where the daemon and tdctl look for the configuration by default. */
#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#define TD_CONF_DEFAULT	SYSCONFDIR "/taskdispatcher/taskdispatcher.conf"

#define TD_QUEUE_MAX	256	/* queues in all: the file's and the API's */
#define TD_NAME_MAX	64	/* queue name incl. NUL: [A-Za-z0-9_-]{1,63} */
#define TD_HOST_MAX	256
#define TD_PATH_MAX	108	/* sun_path */
#define TD_TOKENS_MAX	16	/* API tokens, inline and from the file */
#define TD_TOKEN_MAX	256	/* one token incl. NUL */
#define TD_USER_MAX	64	/* user or group name incl. NUL */
#define TD_CT_PROJECT_MAX 128	/* incl. NUL: [A-Za-z0-9-:.]{0,127} */
#define TD_CT_LOCATION_MAX 64	/* incl. NUL: [A-Za-z0-9-]{0,63} */
#define TD_DASH_USERS_MAX 32	/* dashboard users, inline and from the file */
#define TD_DASH_HASH_MAX 256	/* one crypt(3) hash incl. NUL */
#define TD_DASH_BASE_MAX 128	/* base_path incl. NUL */
#define TD_DASH_GLOBS_MAX 32	/* redact_headers patterns */
#define TD_DASH_GLOB_MAX 64	/* one pattern incl. NUL */
#define TD_DASH_HOSTS_MAX 16	/* allowed_hosts entries */
#define TD_DASH_HOST_MAX 256	/* one of them incl. NUL */
/* The patterns redact_headers has unless set. */
#define TD_DASH_REDACT_DEFAULT	"proxy-authorization x-api-key *token* " \
	"*secret* *password*"

/*
 * Targets refused unless deny_targets says otherwise: "this network", the
 * link-local blocks (every cloud's metadata service lives at
 * 169.254.169.254; AWS also at fd00:ec2::254), Alibaba's and Oracle's
 * metadata addresses, multicast, the reserved 240/4 and the unspecified
 * IPv6 address.  Loopback and private networks stay allowed: dispatching
 * to services on the same host or network is what the daemon is for.
 */
#define TD_DENY_TARGETS_DEFAULT	"0.0.0.0/8 169.254.0.0/16 " \
	"100.100.100.200 192.0.0.192 224.0.0.0/4 240.0.0.0/4 ::/128 " \
	"fe80::/10 fd00:ec2::254 ff00::/8"

/* Per-queue dispatch policy; [dispatch] holds the defaults. */
struct conf_dispatch {
	uint64_t	timeout_ms;	/* timeout = 30m */
	int		max_retries;	/* max_retries = 5 (retries after the
					 * first attempt) */
	uint64_t	min_backoff_ms;	/* min_backoff = 1s */
	uint64_t	max_backoff_ms;	/* max_backoff = 10m */
};

struct conf_queue {
	char			name[TD_NAME_MAX];
	int			weight;		/* weight = 1..1000 */
	struct conf_dispatch	dispatch;	/* [dispatch] merged with the
						 * [queue.NAME] overrides */
	int			dynamic;	/* 1: created over the API (the
						 * set P:queues), not in the
						 * file; see conf_queue_sync */
};

/* A [dashboard] user: name and crypt(3) hash of the password. */
struct conf_dash_user {
	char	name[TD_USER_MAX];
	char	hash[TD_DASH_HASH_MAX];
};

struct conf {
	char		path[PATH_MAX];		/* file it came from */

	/* [server] */
	char		listen_host[TD_HOST_MAX];	/* listen = 0.0.0.0:8080 */
	int		listen_port;
	size_t		max_body;		/* max_body = 1m */
	size_t		max_header;		/* max_header = 16k */
	int		max_connections;	/* max_connections = 1024 */
	uint64_t	idle_timeout_ms;	/* idle_timeout = 60s */
	uint64_t	header_timeout_ms;	/* header_timeout = 10s */
	int		log_level;		/* log_level = info */
	/*
	 * api_tokens, then the lines of api_token_file (read by conf_load,
	 * so a reload reads it again).  None: the API is open.
	 */
	char		api_tokens[TD_TOKENS_MAX][TD_TOKEN_MAX];
	int		napi_tokens;
	int		napi_tokens_inline;	/* how many from api_tokens */
	char		api_token_file[PATH_MAX];
	/* user = and group =, resolved by conf_load; "" = do not change */
	char		user[TD_USER_MAX];
	char		group[TD_USER_MAX];
	uid_t		uid;			/* valid if user[0] */
	gid_t		gid;			/* if user[0] or group[0] */

	/* [redis] */
	char		redis_addr[TD_PATH_MAX + TD_HOST_MAX];	/* as written */
	char		redis_host[TD_HOST_MAX];	/* host of host:port, or */
	int		redis_port;
	char		redis_unix[TD_PATH_MAX];	/* a unix socket path */
	char		redis_password[256];
	int		redis_db;
	char		redis_prefix[64];		/* prefix = td */
	uint64_t	redis_timeout_ms;		/* connect_timeout = 5s */

	/* [workers] */
	int		workers;		/* count = 10 (0 = API only) */
	int		concurrency;		/* concurrency = 1 per worker */
	uint64_t	lease_ms;		/* lease = 30s */
	uint64_t	shutdown_timeout_ms;	/* shutdown_timeout = 30s */

	/* [dispatch] */
	struct conf_dispatch	dispatch;
	uint64_t	done_retention_ms;	/* done_retention = 1h */
	uint64_t	dead_retention_ms;	/* dead_retention = 7d */
	struct netpolicy_list	allow_targets;	/* allow_targets = (any) */
	struct netpolicy_list	deny_targets;	/* deny_targets = link-local,
						 * metadata, multicast... */

	/* [cloudtasks]: "" = any project (location) is accepted, and
	 * answers name the one asked for */
	char		ct_project[TD_CT_PROJECT_MAX];	/* project = */
	char		ct_location[TD_CT_LOCATION_MAX]; /* location = */
	uint64_t	tombstone_ttl_ms;	/* tombstone_ttl = 1h */

	/* [dashboard] */
	char		dash_host[TD_HOST_MAX];	/* listen = 127.0.0.1:8081 */
	int		dash_port;		/* 0: listen = (off) */
	char		dash_base[TD_DASH_BASE_MAX];	/* base_path = / */
	/* users, then the lines of users_file (read by conf_load) */
	struct conf_dash_user dash_users[TD_DASH_USERS_MAX];
	int		ndash_users;
	int		ndash_users_inline;	/* how many from users */
	char		dash_users_file[PATH_MAX];
	int		dash_read_only;		/* read_only = no */
	char		dash_redact[TD_DASH_GLOBS_MAX][TD_DASH_GLOB_MAX];
	int		ndash_redact;		/* redact_headers = ... */
	char		dash_hosts[TD_DASH_HOSTS_MAX][TD_DASH_HOST_MAX];
	int		ndash_hosts;		/* allowed_hosts = */
	uint64_t	dash_session_ms;	/* session_timeout = 12h */

	/*
	 * [queue.NAME]; critical/default/low exist unless redefined.  In a
	 * running child, the queues created over the API follow them (see
	 * conf_queue_sync): the table changes under the process, so keep a
	 * queue's name, not its index or address, across a callback.
	 */
	struct conf_queue	queues[TD_QUEUE_MAX];
	int			nqueues;
};

/* Fill in every default, including the three seed queues. */
void	conf_defaults(struct conf *);

/*
 * Load path over the defaults, then validate.  On error return -1 and
 * write "path:line: message" (or "path: message") into err.
 */
int	conf_load(struct conf *, const char *path, char *err, size_t errlen);

/*
 * Apply REDIS_ADDR and PORT from the environment (given as a getenv-like
 * function so tests need not touch the real environment).  -1 on a bad
 * value, with the message in err.
 */
int	conf_apply_env(struct conf *, const char *(*getenv_fn)(const char *),
	    char *err, size_t errlen);

const struct conf_queue *conf_queue_find(const struct conf *, const char *);

/*
 * Bring the dynamic queues in line with names, the n members of P:queues:
 * a name the table lacks is added (weight 1, the [dispatch] settings,
 * dynamic = 1) and a dynamic queue not among names is dropped.  Queues of
 * the file are never dropped, nor made dynamic; the queues kept stay in
 * their order, the new ones follow.  Invalid names and names beyond
 * TD_QUEUE_MAX are skipped.  Returns 1 when the table changed, else 0.
 */
int	conf_queue_sync(struct conf *, const char *const *names, size_t n);

/* "250ms", "30s", "5m", "1h", "7d", bare number = seconds. */
int	conf_parse_duration(const char *, uint64_t *ms);
/* "512", "64k", "1m". */
int	conf_parse_size(const char *, size_t *);
/* "host:port", "[v6]:port", ":port", "port", or an absolute socket path. */
int	conf_parse_redis_addr(struct conf *, const char *, char *, size_t);

/*
 * Is s a well-formed bearer token (RFC 6750 b64token: A-Z a-z 0-9 - . _ ~
 * + / then '=' padding, under TD_TOKEN_MAX bytes)?
 */
int	conf_token_valid(const char *);

/*
 * Print the effective configuration as INI (for -t -v, and tests).  API
 * tokens are not printed: the line says how many there are, as a comment.
 */
void	conf_dump(const struct conf *, FILE *);

#endif
