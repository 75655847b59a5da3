/*
 * dashroute.h: the pure half of the web dashboard.  Which of the
 * dashboard's routes a request is for (under [dashboard] base_path), the
 * session cookie (made, read and checked with an HMAC), header-name
 * globs and the masking of secret header values in task JSON.  No
 * sockets, no clock, no randomness: the time and the key come in as
 * arguments, so the unit tests drive all of it.
 */
#ifndef TD_DASHROUTE_H
#define TD_DASHROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define DASH_KEY_LEN		32	/* the session key's bytes */
#define DASH_COOKIE		"td_session"
#define DASH_TOKEN_MAX		256	/* a session cookie's value + NUL */
#define DASH_REDACTED		"<redacted>"

enum dash_route {
	DASH_NONE = 0,		/* 404, or status says otherwise */
	DASH_REDIRECT,		/* base_path without its '/': 301 to it */
	DASH_ASSET,		/* a built-in file: name */
	DASH_SESSION,		/* GET api/session */
	DASH_LOGIN,		/* POST api/login */
	DASH_LOGOUT,		/* POST api/logout */
	DASH_API		/* api/v1/...: forwarded as target */
};

struct dash_match {
	enum dash_route	 id;
	int		 status;	/* 405 for a known path, wrong method */
	const char	*allow;		/* with a 405 */
	/* DASH_ASSET: the file's name, "index.html" for base_path itself */
	char		 name[64];
	/* DASH_API: "/v1/...?query", malloc'd; the caller frees it */
	char		*target;
	size_t		 targetlen;
	int		 tasks;		/* DASH_API: a path with a "tasks"
					 * segment (for the log and tests:
					 * every answer is masked) */
};

/*
 * Match method and target (path and query, len bytes) against the routes
 * under base ("/" or "/x/.../", as conf normalised it).  Always fills m;
 * returns m->id.
 */
enum dash_route	dashroute_match(const char *base, const char *method,
		    const char *target, size_t len, struct dash_match *m);

/* Does the method change anything (anything but GET and HEAD)? */
int	dashroute_mutating(const char *method);

/*
 * The value of cookie name in a Cookie header, into out; -1 when absent,
 * empty or too long for outlen.
 */
int	dashroute_cookie(const char *header, const char *name, char *out,
	    size_t outlen);

/*
 * A session token "user.expiry.mac": expiry in seconds since the epoch,
 * mac the HMAC-SHA256 (hex) under key of user, expiry and cred, the
 * user's current credential (password hash or API token), so that a
 * changed password or a removed user ends the sessions made with the old
 * one.  -1 when out is too small.
 */
int	dashroute_session_make(const unsigned char key[DASH_KEY_LEN],
	    const char *user, uint64_t expiry, const char *cred, char *out,
	    size_t outlen);
/* Split a token: user into user (userlen), the expiry; -1 if malformed. */
int	dashroute_session_parse(const char *token, char *user,
	    size_t userlen, uint64_t *expiry);
/*
 * Is token a well-formed, unexpired (expiry > now) session of its user
 * made with cred?  The MAC is compared in constant time.
 */
int	dashroute_session_check(const unsigned char key[DASH_KEY_LEN],
	    const char *token, const char *cred, uint64_t now);

/*
 * May a request naming host (its Host header, NULL if none) be served?
 * With allowed_hosts set (n > 0): only those, each matching the whole
 * Host or its name without the port.  Without: any host when a login is
 * required; an open dashboard (open = 1) only under "localhost" or an
 * IP literal, so a page elsewhere cannot reach it by pointing a name of
 * its own at 127.0.0.1 (DNS rebinding).
 */
int	dashroute_host_ok(const char *host,
	    const char (*allowed)[TD_DASH_HOST_MAX], int n, int open);

/*
 * Is header name to be masked: Authorization, Cookie, or a match of one
 * of the n globs (fnmatch, case-insensitive)?
 */
int	dashroute_header_secret(const char *name,
	    const char (*globs)[TD_DASH_GLOB_MAX], int n);

/*
 * Mask the secret headers in an API answer: every "headers" object found
 * in the JSON document (a task, the tasks of a list, or anything else
 * that holds one) gets "<redacted>" for the value of each secret header.
 * Returns how many values were masked, with the new malloc'd document in
 * *out (*outlen its length); 0 with *out NULL when there is nothing to
 * mask (the caller passes the answer on as it was); -1 when json is not
 * JSON, which the caller must not pass on if it might hold a header.
 */
int	dashroute_redact(const char *json, size_t len,
	    const char (*globs)[TD_DASH_GLOB_MAX], int n, char **out,
	    size_t *outlen);

/*
 * A token bucket for the work an unauthenticated client can make us do
 * (crypt(3) on a login): rate tokens a second, up to burst.  Time comes
 * in as now_ms, so the tests drive it.
 */
struct dash_bucket {
	uint64_t	last_ms;	/* when tokens was last topped up */
	uint64_t	milli;		/* tokens, in thousandths */
	int		primed;		/* 0: full at the first take */
};

/* Take one token: 1, or 0 when the bucket is empty. */
int	dashroute_bucket_take(struct dash_bucket *, uint64_t now_ms,
	    unsigned rate, unsigned burst);

#endif
