/*
 * dash.c: the web dashboard's requests, in the listener (see dash.h).
 * dashroute.c decides what a request is for; this file does what needs
 * the config, the clock, the key, crypt(3) and the api.
 *
 * Who may in.  Authentication is needed as soon as [dashboard] users or
 * [server] api_tokens are set: an open dashboard in front of a closed
 * API would be a way around its tokens.  A request is let in by a valid
 * session cookie or by "Authorization: Bearer <api token>" (scripts and
 * tests need no login).  A mutating request that came with the cookie
 * must also carry "X-TD-CSRF: 1": a browser sends a custom header to
 * another origin only after a CORS preflight, which we never answer, so
 * a form on a hostile page cannot act with the operator's cookie.  The
 * same holds for an open dashboard, where there is no cookie but a page
 * could still post to 127.0.0.1.
 *
 * Logins are checked with crypt_r(3), which takes milliseconds by design
 * (yescrypt, SHA-512 rounds) and runs in the listener's loop: a login is
 * rare, and a second process would buy little for its complexity.  That
 * loop also serves the API, so what a client who is not logged in can
 * make it hash is bounded: the body and the password are short (SHA-512
 * crypt hashes the password once per round: a megabyte would take the
 * loop for seconds), and password logins share a token bucket, which
 * also slows a guesser down.  An unknown user is hashed too, with the
 * first user's setting (same method, same cost), so that the time taken
 * does not tell which names exist.
 */
#include <sys/socket.h>

#include <crypt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json.h>
#include <openssl/crypto.h>

#include "dash.h"
#include "dashroute.h"
#include "log.h"
#include "route.h"
#include "util.h"

#ifndef VERSION
#define VERSION		"unknown"
#endif

/* crypt_r's setting for an unknown user: hashed, never matched. */
#define DUMMY_SETTING	"$6$tdUnknownUser$"
#define BAD_LOGIN	"wrong user name, password or token"
#define CSRF_MISSING	"missing X-TD-CSRF: 1 header"
#define LOGIN_BODY_MAX	4096	/* a login's JSON body */
#define PASSWORD_MAX	1024	/* longer is wrong, and never hashed */
#define LOGIN_RATE	5	/* password logins a second, ... */
#define LOGIN_BURST	20	/* ...and at once */
#define LIMIT_LOG_MS	60000	/* "too many logins" at most this often */
/* A session may be this much younger than the timeout: clock steps. */
#define SESSION_SLACK_S	300

enum auth {
	AUTH_FAIL = 0,	/* needed and not given */
	AUTH_OPEN,	/* not needed */
	AUTH_BEARER,	/* an API token in Authorization */
	AUTH_COOKIE	/* a session */
};

struct dash {
	const struct conf	*conf;
	struct api		*api;
	struct dash_bucket	 logins;	/* crypt_r calls */
	uint64_t		 limit_logged;	/* last "too many" line */
};

/* A request forwarded to the api. */
struct dash_req {
	api_done_fn	*done;
	void		*conn;
	struct api_req	*areq;
	const struct conf *conf;
	int		 in_call;	/* inside api_handle_trusted() */
	int		 answered;	/* ...and answered there */
};

static unsigned char	session_key[DASH_KEY_LEN];

static int	auth_required(const struct conf *);
static enum auth who(struct dash *, const struct http_request *, char *,
		    size_t);
static void	asset(struct dash *, const struct dash_match *,
		    const struct http_request *, api_done_fn *, void *);
static void	redirect(struct dash *, api_done_fn *, void *);
static void	session(struct dash *, const struct http_request *,
		    api_done_fn *, void *);
static void	login(struct dash *, const struct http_request *, int,
		    api_done_fn *, void *);
static int	login_check(const struct conf *, json_object *, char *,
		    size_t, const char **);
static int	is_json(const struct http_request *);
static int	password_ok(const char *, const char *);
static void	logout(struct dash *, const struct http_request *,
		    api_done_fn *, void *);
static const char *secure(const struct http_request *);
static int	csrf_ok(const struct http_request *);
static struct dash_req *forward(struct dash *, struct dash_match *,
		    const struct http_request *, api_done_fn *, void *);
static void	on_api(void *, int, const char *, const char *, size_t,
		    const char *);
static void	answer_json(api_done_fn *, void *, int, json_object *,
		    const char *);
static void	peer_name(int, char *, size_t);
static uint64_t	now_s(void);

void
dash_key_init(void)
{
	util_random(session_key, sizeof(session_key));
}

void
dash_key_forget(void)
{
	explicit_bzero(session_key, sizeof(session_key));
}

struct dash *
dash_new(const struct conf *conf, struct api *api)
{
	struct dash	*d = xcalloc(1, sizeof(*d));

	d->conf = conf;
	d->api = api;
	return d;
}

void
dash_free(struct dash *d)
{
	free(d);
}

struct dash_req *
dash_handle(struct dash *d, const struct http_request *req, int fd,
    api_done_fn *done, void *conn)
{
	struct dash_match	 m;
	char			 allow[64];

	if (!dashroute_host_ok(http_header_get(req, "Host"),
	    d->conf->dash_hosts, d->conf->ndash_hosts,
	    !auth_required(d->conf))) {
		api_error(done, conn, 403, "this dashboard does not answer "
		    "to that host name: list it in [dashboard] allowed_hosts",
		    NULL);
		return NULL;
	}
	dashroute_match(d->conf->dash_base, req->method, req->target != NULL ?
	    req->target : "", req->targetlen, &m);
	if (m.status == 405) {
		snprintf(allow, sizeof(allow), "Allow: %s\r\n", m.allow);
		api_error(done, conn, 405, "method not allowed", allow);
		return NULL;
	}
	switch (m.id) {
	case DASH_REDIRECT:
		redirect(d, done, conn);
		break;
	case DASH_ASSET:
		asset(d, &m, req, done, conn);
		break;
	case DASH_SESSION:
		session(d, req, done, conn);
		break;
	case DASH_LOGIN:
		login(d, req, fd, done, conn);
		break;
	case DASH_LOGOUT:
		logout(d, req, done, conn);
		break;
	case DASH_API:
		return forward(d, &m, req, done, conn);
	case DASH_NONE:
		api_error(done, conn, 404, "no such resource", NULL);
		break;
	}
	return NULL;
}

void
dash_cancel(struct dash_req *r)
{
	if (r == NULL)
		return;
	api_cancel(r->areq);
	free(r);
}

static int
auth_required(const struct conf *conf)
{
	return conf->ndash_users > 0 || conf->napi_tokens > 0;
}

/*
 * How req is let in; the user's name ("token" for an API token) goes to
 * user.  A bearer token that is wrong does not fall back on the cookie:
 * a client that sends one means it.
 */
static enum auth
who(struct dash *d, const struct http_request *req, char *user,
    size_t userlen)
{
	const struct conf	*conf = d->conf;
	const char		*h, *tok;
	char			 cookie[DASH_TOKEN_MAX];
	uint64_t		 expiry, now = now_s();
	uint64_t		 ttl = conf->dash_session_ms / 1000;
	size_t			 toklen;
	int			 i, ok = 0;

	user[0] = '\0';
	if (!auth_required(conf))
		return AUTH_OPEN;
	if (api_bearer(req, &tok, &toklen)) {
		if (api_token_find(conf, tok, toklen) < 0)
			return AUTH_FAIL;
		util_strlcpy(user, "token", userlen);
		return AUTH_BEARER;
	}
	if ((h = http_header_get(req, "Cookie")) == NULL ||
	    dashroute_cookie(h, DASH_COOKIE, cookie, sizeof(cookie)) == -1 ||
	    dashroute_session_parse(cookie, user, userlen, &expiry) == -1 ||
	    expiry > now + ttl + SESSION_SLACK_S) {
		/* Too far ahead: made before session_timeout was cut. */
		explicit_bzero(cookie, sizeof(cookie));
		user[0] = '\0';
		return AUTH_FAIL;
	}
	if (strcmp(user, "token") == 0) {
		/* Each token is tried: the cookie does not say which. */
		for (i = 0; i < conf->napi_tokens; i++)
			ok |= dashroute_session_check(session_key, cookie,
			    conf->api_tokens[i], now);
	} else
		for (i = 0; i < conf->ndash_users; i++)
			if (strcmp(conf->dash_users[i].name, user) == 0)
				ok = dashroute_session_check(session_key,
				    cookie, conf->dash_users[i].hash, now);
	explicit_bzero(cookie, sizeof(cookie));
	if (!ok)
		user[0] = '\0';
	return ok ? AUTH_COOKIE : AUTH_FAIL;
}

/*
 * A built-in file.  "no-cache" with an ETag: the browser asks each time
 * and gets a 304 while the binary is the same, and a new version's files
 * the moment it runs.
 */
static void
asset(struct dash *d, const struct dash_match *m,
    const struct http_request *req, api_done_fn *done, void *conn)
{
	const struct dash_asset	*a = NULL;
	const char		*inm;
	char			 extra[512];
	size_t			 i;
	int			 html;

	(void)d;
	for (i = 0; i < dash_nassets; i++)
		if (strcmp(dash_assets[i].name, m->name) == 0)
			a = &dash_assets[i];
	if (a == NULL) {
		api_error(done, conn, 404, "no such resource", NULL);
		return;
	}
	html = strncmp(a->ctype, "text/html", 9) == 0;
	/*
	 * Everything is served from here: no other origin is ever needed,
	 * and no one may frame the page (clickjacking the action buttons).
	 */
	snprintf(extra, sizeof(extra), "ETag: %s\r\nCache-Control: "
	    "no-cache\r\nX-Content-Type-Options: nosniff\r\n%s", a->etag,
	    html ? "Content-Security-Policy: default-src 'self'; "
	    "img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
	    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'\r\n"
	    "X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n" : "");
	inm = http_header_get(req, "If-None-Match");
	if (inm != NULL && (strstr(inm, a->etag) != NULL ||
	    strcmp(inm, "*") == 0)) {
		/* No body; Content-Length still says the file's size. */
		done(conn, 304, a->ctype, NULL, a->len, extra);
		return;
	}
	done(conn, 200, a->ctype, (const char *)a->data, a->len, extra);
}

static void
redirect(struct dash *d, api_done_fn *done, void *conn)
{
	char	extra[TD_DASH_BASE_MAX + 32];

	snprintf(extra, sizeof(extra), "Location: %s\r\n",
	    d->conf->dash_base);
	done(conn, 301, "text/plain; charset=utf-8", "", 0, extra);
}

/* Never 401: the page asks this first, to know whether to show login. */
static void
session(struct dash *d, const struct http_request *req, api_done_fn *done,
    void *conn)
{
	json_object	*o = json_object_new_object();
	char		 user[TD_USER_MAX];
	enum auth	 a = who(d, req, user, sizeof(user));

	json_object_object_add(o, "auth_required",
	    json_object_new_boolean(auth_required(d->conf)));
	json_object_object_add(o, "logged_in",
	    json_object_new_boolean(a != AUTH_FAIL));
	json_object_object_add(o, "user", user[0] != '\0' ?
	    json_object_new_string(user) : NULL);
	json_object_object_add(o, "read_only",
	    json_object_new_boolean(d->conf->dash_read_only));
	json_object_object_add(o, "version", json_object_new_string(VERSION));
	answer_json(done, conn, 200, o, "Cache-Control: no-store\r\n");
}

/*
 * {"user":"u","password":"p"} or {"token":"t"}: a cookie for the user,
 * or 401 with the same words whichever part was wrong.
 */
static void
login(struct dash *d, const struct http_request *req, int fd,
    api_done_fn *done, void *conn)
{
	const struct conf	*conf = d->conf;
	json_object		*body, *o;
	const char		*cred = NULL;
	char			 user[TD_USER_MAX], peer[TD_HOST_MAX + 16];
	char			 tok[DASH_TOKEN_MAX], extra[DASH_TOKEN_MAX +
				    TD_DASH_BASE_MAX + 128];
	uint64_t		 ttl = conf->dash_session_ms / 1000;

	/*
	 * JSON only: a form on another site can post text/plain, but not
	 * application/json without a CORS preflight, which we never answer.
	 */
	if (!is_json(req)) {
		api_error(done, conn, 400, "Content-Type: want "
		    "application/json", NULL);
		return;
	}
	if (req->bodylen > LOGIN_BODY_MAX) {
		api_error(done, conn, 413, "body: too large for a login",
		    NULL);
		return;
	}
	body = req->body != NULL ? json_tokener_parse(req->body) : NULL;
	if (body == NULL || !json_object_is_type(body, json_type_object)) {
		json_object_put(body);
		api_error(done, conn, 400, "body: want {\"user\":..., "
		    "\"password\":...} or {\"token\":...}", NULL);
		return;
	}
	if (!auth_required(conf)) {
		/* Nothing to log in to: say so, set no cookie. */
		json_object_put(body);
		o = json_object_new_object();
		json_object_object_add(o, "user", NULL);
		json_object_object_add(o, "read_only",
		    json_object_new_boolean(conf->dash_read_only));
		answer_json(done, conn, 200, o, NULL);
		return;
	}
	/* A token is compared, not hashed: only passwords cost. */
	if ((!json_object_object_get_ex(body, "token", &o) ||
	    !json_object_is_type(o, json_type_string)) &&
	    !dashroute_bucket_take(&d->logins, util_mono_ms(), LOGIN_RATE,
	    LOGIN_BURST)) {
		json_object_put(body);
		if (d->limit_logged == 0 || util_mono_ms() - d->limit_logged >=
		    LIMIT_LOG_MS) {
			peer_name(fd, peer, sizeof(peer));
			log_warnx("dashboard: too many logins; refusing some "
			    "peer=%s", peer);
			d->limit_logged = util_mono_ms();
		}
		api_error(done, conn, 429, "too many logins; try again "
		    "in a moment", "Retry-After: 1\r\n");
		return;
	}
	if (!login_check(conf, body, user, sizeof(user), &cred)) {
		json_object_put(body);
		peer_name(fd, peer, sizeof(peer));
		log_notice("dashboard: login failed user=%s peer=%s", user,
		    peer);
		api_error(done, conn, 401, BAD_LOGIN, NULL);
		return;
	}
	json_object_put(body);
	if (dashroute_session_make(session_key, user, now_s() + ttl, cred,
	    tok, sizeof(tok)) == -1) {
		api_error(done, conn, 500, "cannot make a session", NULL);
		return;
	}
	log_info("dashboard: login user=%s", user);
	snprintf(extra, sizeof(extra), "Set-Cookie: %s=%s; Path=%s; "
	    "HttpOnly; SameSite=Strict; Max-Age=%llu%s\r\nCache-Control: "
	    "no-store\r\n", DASH_COOKIE, tok, conf->dash_base,
	    (unsigned long long)ttl, secure(req));
	explicit_bzero(tok, sizeof(tok));
	o = json_object_new_object();
	json_object_object_add(o, "user", json_object_new_string(user));
	json_object_object_add(o, "read_only",
	    json_object_new_boolean(conf->dash_read_only));
	answer_json(done, conn, 200, o, extra);
	explicit_bzero(extra, sizeof(extra));
}

/*
 * 1 when body holds good credentials: user gets the name, *cred the
 * credential the session is bound to.  On failure user still names who
 * tried (printable, for the log).
 */
static int
login_check(const struct conf *conf, json_object *body, char *user,
    size_t userlen, const char **cred)
{
	json_object	*ju, *jp, *jt;
	const char	*name, *pw, *hash;
	size_t		 i, n;
	int		 t, found = 0, ok;

	util_strlcpy(user, "-", userlen);
	if (json_object_object_get_ex(body, "token", &jt) &&
	    json_object_is_type(jt, json_type_string)) {
		util_strlcpy(user, "token", userlen);
		pw = json_object_get_string(jt);
		n = strlen(pw);
		if ((t = api_token_find(conf, pw, n)) >= 0)
			*cred = conf->api_tokens[t];
		return t >= 0;
	}
	if (!json_object_object_get_ex(body, "user", &ju) ||
	    !json_object_object_get_ex(body, "password", &jp) ||
	    !json_object_is_type(ju, json_type_string) ||
	    !json_object_is_type(jp, json_type_string))
		return 0;
	name = json_object_get_string(ju);
	pw = json_object_get_string(jp);
	/* Whatever they typed goes to the log: printable, bounded. */
	for (i = 0; name[i] != '\0' && i + 1 < userlen; i++)
		user[i] = name[i] > ' ' && name[i] < 0x7f ? name[i] : '?';
	user[i] = '\0';
	/* An unknown name costs what a known one does. */
	hash = conf->ndash_users > 0 ? conf->dash_users[0].hash :
	    DUMMY_SETTING;
	for (t = 0; t < conf->ndash_users; t++)
		if (strcmp(conf->dash_users[t].name, name) == 0) {
			hash = conf->dash_users[t].hash;
			found = 1;
		}
	if (strlen(pw) > PASSWORD_MAX)
		return 0;
	ok = password_ok(pw, hash) && found;
	if (ok)
		*cred = hash;
	return ok;
}

/* "application/json", perhaps with parameters ("; charset=utf-8"). */
static int
is_json(const struct http_request *req)
{
	const char	*ct = http_header_get(req, "Content-Type");
	size_t		 n = sizeof("application/json") - 1;

	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	return strncasecmp(ct, "application/json", n) == 0 &&
	    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/* crypt_r(3) of pw with hash's setting gives hash itself. */
static int
password_ok(const char *pw, const char *hash)
{
	struct crypt_data	*cd;
	const char		*h;
	size_t			 n = strlen(hash);
	int			 ok;

	/* Some 32 KB: too much for the stack. */
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_r(pw, hash, cd);
	/* libxcrypt fails with a string starting with '*', or NULL. */
	ok = h != NULL && h[0] != '*' && strlen(h) == n &&
	    CRYPTO_memcmp(h, hash, n) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

static void
logout(struct dash *d, const struct http_request *req, api_done_fn *done,
    void *conn)
{
	char	extra[TD_DASH_BASE_MAX + 128];

	/* As any other POST under api/: no page elsewhere may log us out. */
	if (!csrf_ok(req)) {
		api_error(done, conn, 403, CSRF_MISSING, NULL);
		return;
	}
	snprintf(extra, sizeof(extra), "Set-Cookie: %s=; Path=%s; HttpOnly; "
	    "SameSite=Strict; Max-Age=0%s\r\nCache-Control: no-store\r\n",
	    DASH_COOKIE, d->conf->dash_base, secure(req));
	done(conn, 200, NULL, "{}", 2, extra);
}

/*
 * "; Secure" behind a reverse proxy that terminates TLS and says so: the
 * browser then never sends the cookie in clear.  Believing the header is
 * safe, since all it can do is restrict the cookie.
 */
static const char *
secure(const struct http_request *req)
{
	const char	*p = http_header_get(req, "X-Forwarded-Proto");

	return p != NULL && strcasecmp(p, "https") == 0 ? "; Secure" : "";
}

/* "X-TD-CSRF: 1", which a page of another origin cannot send (no CORS). */
static int
csrf_ok(const struct http_request *req)
{
	const char	*h = http_header_get(req, "X-TD-CSRF");

	return h != NULL && strcmp(h, "1") == 0;
}

/* api/v1/...: checked here, answered by the api as /v1/... */
static struct dash_req *
forward(struct dash *d, struct dash_match *m, const struct http_request *req,
    api_done_fn *done, void *conn)
{
	struct http_request	*copy;
	struct dash_req		*r;
	struct api_req		*areq;
	char			 user[TD_USER_MAX];
	enum auth		 a = who(d, req, user, sizeof(user));
	int			 mut = dashroute_mutating(req->method);

	if (a == AUTH_FAIL) {
		free(m->target);
		api_error(done, conn, 401, "log in first", NULL);
		return NULL;
	}
	if (mut && d->conf->dash_read_only) {
		free(m->target);
		api_error(done, conn, 403, "the dashboard is read-only",
		    NULL);
		return NULL;
	}
	if (mut && a != AUTH_BEARER && !csrf_ok(req)) {
		free(m->target);
		api_error(done, conn, 403, CSRF_MISSING, NULL);
		return NULL;
	}
	/* The api copies what it keeps: a shallow copy will do. */
	copy = xmalloc(sizeof(*copy));
	memcpy(copy, req, sizeof(*copy));
	copy->target = m->target;
	copy->targetlen = m->targetlen;
	r = xcalloc(1, sizeof(*r));
	r->done = done;
	r->conn = conn;
	r->conf = d->conf;
	r->in_call = 1;
	areq = api_handle_trusted(d->api, copy, on_api, r);
	r->in_call = 0;
	free(copy);
	free(m->target);
	if (r->answered) {
		free(r);
		return NULL;
	}
	r->areq = areq;
	return r;
}

/*
 * The api's answer, masked.  Every JSON answer is, whatever its path or
 * status: which answers carry task headers is the api's business, and it
 * may change; masking one that carries none costs a parse.  One that
 * cannot be parsed but may hold headers is not passed on.
 */
static void
on_api(void *arg, int status, const char *ctype, const char *body,
    size_t len, const char *extra)
{
	struct dash_req	*r = arg;
	api_done_fn	*done = r->done;
	void		*conn = r->conn;
	char		*masked = NULL, *hdrs;
	size_t		 mlen = 0;
	int		 rc = 0;

	if (ctype == NULL && body != NULL && len > 0)
		rc = dashroute_redact(body, len, r->conf->dash_redact,
		    r->conf->ndash_redact, &masked, &mlen);
	if (r->in_call)
		r->answered = 1;
	else
		free(r);
	if (rc == -1 && memmem(body, len, "headers", 7) != NULL) {
		log_warnx("dashboard: an api answer is not JSON; not sent "
		    "status=%d", status);
		api_error(done, conn, 500, "cannot mask the answer", NULL);
		return;
	}
	/*
	 * Task bodies and URLs are for the operator: no cache along the way
	 * keeps them, and no browser takes the JSON for something else.
	 */
	xasprintf(&hdrs, "Cache-Control: no-store\r\nX-Content-Type-Options: "
	    "nosniff\r\n%s", extra != NULL ? extra : "");
	done(conn, status, ctype, masked != NULL ? masked : body,
	    masked != NULL ? mlen : len, hdrs);
	free(hdrs);
	free(masked);
}

static void
answer_json(api_done_fn *done, void *conn, int status, json_object *o,
    const char *extra)
{
	const char	*s;
	size_t		 len;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	done(conn, status, NULL, s, len, extra);
	json_object_put(o);
}

/* "203.0.113.5:51234", "[::1]:5000", or "?" */
static void
peer_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof(ss);
	char			h[NI_MAXHOST], s[NI_MAXSERV];

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), s,
	    sizeof(s), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		util_strlcpy(buf, "?", len);
		return;
	}
	snprintf(buf, len, strchr(h, ':') != NULL ? "[%s]:%s" : "%s:%s", h,
	    s);
}

static uint64_t
now_s(void)
{
	return util_wall_ms() / 1000;
}
