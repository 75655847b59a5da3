/*
 * dashroute.c: the pure half of the web dashboard (see dashroute.h).
 *
 * Every dashboard URL lives under base_path, so that the dashboard can
 * sit behind a reverse proxy at /tasks/ with the proxy passing paths on
 * unchanged.  What is under it is fixed: the built-in files, three
 * session endpoints and api/v1/, the operator API, forwarded as /v1/.
 * Nothing else of the API (/health, /metrics, /v2) is reachable here.
 *
 * A session is a stateless cookie: the listener keeps no table, so any
 * listener of the same master (a reload starts new ones) accepts it,
 * and there is nothing to expire or to lose.  Its MAC covers the user's
 * credential, which makes a password change or a removed user end that
 * user's sessions with no revocation list.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dashroute.h"
#include "util.h"

#define MAC_HEX		64	/* SHA-256, in hex */
/*
 * How deep a "headers" object is looked for: as deep as json-c parses,
 * so that none is ever left unmasked for being too deep.
 */
#define REDACT_DEPTH	JSON_TOKENER_DEFAULT_DEPTH

static int	path_has_segment(const char *, size_t, const char *);
static int	session_mac(const unsigned char *, const char *, uint64_t,
		    const char *, char *);
static int	redact_walk(json_object *, const char (*)[TD_DASH_GLOB_MAX],
		    int, int);
static int	user_valid(const char *, size_t);

enum dash_route
dashroute_match(const char *base, const char *method, const char *target,
    size_t len, struct dash_match *m)
{
	const char	*rest, *q;
	size_t		 blen = strlen(base), plen, rlen;
	int		 get;

	memset(m, 0, sizeof(*m));
	m->id = DASH_NONE;
	m->status = 404;
	get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	q = memchr(target, '?', len);
	plen = q != NULL ? (size_t)(q - target) : len;
	/* "/tasks" for "/tasks/": relative URLs need the slash. */
	if (blen > 1 && plen == blen - 1 && strncmp(target, base,
	    plen) == 0) {
		m->id = DASH_REDIRECT;
		m->status = get ? 301 : 405;
		m->allow = "GET, HEAD";
		return m->id;
	}
	if (plen < blen || strncmp(target, base, blen) != 0)
		return m->id;
	rest = target + blen;
	rlen = plen - blen;
	if (rlen >= 7 && strncmp(rest, "api/v1/", 7) == 0) {
		/* "api/v1/x?q" becomes "/v1/x?q": skip "api". */
		m->id = DASH_API;
		m->status = 0;
		m->targetlen = len - blen - 3;
		m->target = xstrndup(rest + 3, m->targetlen);
		m->tasks = path_has_segment(rest + 3, rlen - 3, "tasks");
		return m->id;
	}
	if ((rlen == 11 && strncmp(rest, "api/session", 11) == 0) ||
	    (rlen == 9 && strncmp(rest, "api/login", 9) == 0) ||
	    (rlen == 10 && strncmp(rest, "api/logout", 10) == 0)) {
		m->id = rest[4] == 's' ? DASH_SESSION : rlen == 9 ?
		    DASH_LOGIN : DASH_LOGOUT;
		m->allow = m->id == DASH_SESSION ? "GET, HEAD" : "POST";
		m->status = (m->id == DASH_SESSION ? get :
		    strcmp(method, "POST") == 0) ? 0 : 405;
		return m->id;
	}
	/* The files are flat: no directories, and "api" is not one. */
	if (memchr(rest, '/', rlen) != NULL || rlen >= sizeof(m->name) ||
	    (rlen == 3 && strncmp(rest, "api", 3) == 0))
		return m->id;
	m->id = DASH_ASSET;
	m->status = get ? 0 : 405;
	m->allow = "GET, HEAD";
	if (rlen == 0)
		util_strlcpy(m->name, "index.html", sizeof(m->name));
	else
		snprintf(m->name, sizeof(m->name), "%.*s", (int)rlen, rest);
	return m->id;
}

int
dashroute_mutating(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/*
 * Is seg one of the path's segments, ending at a '/', a ':' (the custom
 * methods, "tasks:retry") or the end?
 */
static int
path_has_segment(const char *path, size_t len, const char *seg)
{
	size_t	sl = strlen(seg), i;

	for (i = 0; i + sl < len; i++)
		if (path[i] == '/' && strncmp(path + i + 1, seg, sl) == 0 &&
		    (i + 1 + sl == len || path[i + 1 + sl] == '/' ||
		    path[i + 1 + sl] == ':'))
			return 1;
	return 0;
}

/* "a=1; td_session=xyz; b=2" (RFC 6265 cookie-string). */
int
dashroute_cookie(const char *header, const char *name, char *out,
    size_t outlen)
{
	const char	*p = header, *eq;
	size_t		 nl = strlen(name), pl, vl;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t;");
		pl = strcspn(p, ";");
		eq = memchr(p, '=', pl);
		if (eq != NULL && (size_t)(eq - p) == nl &&
		    strncmp(p, name, nl) == 0) {
			vl = pl - nl - 1;
			while (vl > 0 && (eq[vl] == ' ' || eq[vl] == '\t'))
				vl--;
			if (vl == 0 || vl >= outlen)
				return -1;
			memcpy(out, eq + 1, vl);
			out[vl] = '\0';
			return 0;
		}
		p += pl;
	}
	return -1;
}

int
dashroute_session_make(const unsigned char key[DASH_KEY_LEN],
    const char *user, uint64_t expiry, const char *cred, char *out,
    size_t outlen)
{
	char	mac[MAC_HEX + 1];
	int	n;

	if (!user_valid(user, strlen(user)) ||
	    session_mac(key, user, expiry, cred, mac) == -1)
		return -1;
	n = snprintf(out, outlen, "%s.%llu.%s", user,
	    (unsigned long long)expiry, mac);
	explicit_bzero(mac, sizeof(mac));
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Split from the right: a user name may hold dots, the rest cannot. */
int
dashroute_session_parse(const char *token, char *user, size_t userlen,
    uint64_t *expiry)
{
	const char		*mac, *exp;
	unsigned long long	 v = 0;
	size_t			 ul, i;

	if ((mac = strrchr(token, '.')) == NULL || mac == token)
		return -1;
	for (exp = mac - 1; exp > token && exp[-1] != '.'; exp--)
		;
	if (exp == token || exp == mac)
		return -1;
	ul = (size_t)(exp - 1 - token);
	if (strlen(mac + 1) != MAC_HEX ||
	    strspn(mac + 1, "0123456789abcdef") != MAC_HEX ||
	    !user_valid(token, ul) || ul >= userlen ||
	    (size_t)(mac - exp) > 19)
		return -1;
	for (i = 0; exp + i < mac; i++) {
		if (!isdigit((unsigned char)exp[i]))
			return -1;
		v = v * 10 + (unsigned long long)(exp[i] - '0');
	}
	memcpy(user, token, ul);
	user[ul] = '\0';
	*expiry = v;
	return 0;
}

int
dashroute_session_check(const unsigned char key[DASH_KEY_LEN],
    const char *token, const char *cred, uint64_t now)
{
	char		user[TD_USER_MAX], mac[MAC_HEX + 1];
	uint64_t	expiry;
	int		ok;

	if (dashroute_session_parse(token, user, sizeof(user),
	    &expiry) == -1 || expiry <= now ||
	    session_mac(key, user, expiry, cred, mac) == -1)
		return 0;
	/* parse checked the length: the MAC is the last MAC_HEX bytes. */
	ok = CRYPTO_memcmp(mac, token + strlen(token) - MAC_HEX,
	    MAC_HEX) == 0;
	explicit_bzero(mac, sizeof(mac));
	return ok;
}

/*
 * HMAC-SHA256 over "user\0expiry\0cred", in lower-case hex.  The NULs
 * keep ("ab", "c") and ("a", "bc") apart; none of the three holds one.
 */
static int
session_mac(const unsigned char *key, const char *user, uint64_t expiry,
    const char *cred, char *hex)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0, i;
	char		*msg;
	size_t		 ul = strlen(user), cl = strlen(cred), n;
	int		 el;
	char		 exp[24];

	el = snprintf(exp, sizeof(exp), "%llu", (unsigned long long)expiry);
	n = ul + 1 + (size_t)el + 1 + cl;
	msg = xmalloc(n);
	memcpy(msg, user, ul + 1);
	memcpy(msg + ul + 1, exp, (size_t)el + 1);
	memcpy(msg + ul + 1 + (size_t)el + 1, cred, cl);
	if (HMAC(EVP_sha256(), key, DASH_KEY_LEN, (unsigned char *)msg, n, md,
	    &mdlen) == NULL || mdlen * 2 != MAC_HEX) {
		explicit_bzero(msg, n);
		free(msg);
		return -1;
	}
	explicit_bzero(msg, n);
	free(msg);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	explicit_bzero(md, sizeof(md));
	return 0;
}

/* As conf takes them: 1 to 63 of A-Z a-z 0-9 . _ @ -. */
static int
user_valid(const char *s, size_t n)
{
	static const char	ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._@-";
	size_t			i;

	if (n == 0 || n >= TD_USER_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(ok, s[i]) == NULL)
			return 0;
	return 1;
}

int
dashroute_header_secret(const char *name,
    const char (*globs)[TD_DASH_GLOB_MAX], int n)
{
	int	i;

	if (strcasecmp(name, "authorization") == 0 ||
	    strcasecmp(name, "cookie") == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], name, FNM_CASEFOLD) == 0)
			return 1;
	return 0;
}

int
dashroute_redact(const char *json, size_t len,
    const char (*globs)[TD_DASH_GLOB_MAX], int n, char **out,
    size_t *outlen)
{
	json_tokener	*tok;
	json_object	*o;
	const char	*s;
	size_t		 sl, end;
	int		 count;

	*out = NULL;
	*outlen = 0;
	if (len > INT32_MAX || (tok = json_tokener_new()) == NULL)
		return -1;
	o = json_tokener_parse_ex(tok, json, (int)len);
	/* All of it must be one document: no trailing bytes unmasked. */
	end = o != NULL ? json_tokener_get_parse_end(tok) : len;
	while (end < len && strchr(" \t\r\n", json[end]) != NULL &&
	    json[end] != '\0')
		end++;
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    end != len)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	if (o == NULL)
		return -1;
	if ((count = redact_walk(o, globs, n, 0)) > 0) {
		s = json_object_to_json_string_length(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &sl);
		*out = xstrndup(s, sl);
		*outlen = sl;
	}
	json_object_put(o);
	return count;
}

int
dashroute_bucket_take(struct dash_bucket *b, uint64_t now_ms, unsigned rate,
    unsigned burst)
{
	uint64_t	max = (uint64_t)burst * 1000;

	if (!b->primed || now_ms < b->last_ms) {
		/* First use, or the clock went back: start full. */
		b->primed = 1;
		b->milli = max;
	} else
		b->milli = TD_MIN(max, b->milli + (now_ms - b->last_ms) *
		    rate);
	b->last_ms = now_ms;
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}

/*
 * Mask in every "headers" object below o; returns how many values were
 * masked.  Replacing the value of a key being iterated is safe in json-c:
 * the entry stays where it is.
 */
static int
redact_walk(json_object *o, const char (*globs)[TD_DASH_GLOB_MAX], int n,
    int depth)
{
	size_t	i, alen;
	int	count = 0;

	if (depth > REDACT_DEPTH)
		return 0;
	if (json_object_is_type(o, json_type_array)) {
		alen = json_object_array_length(o);
		for (i = 0; i < alen; i++)
			count += redact_walk(json_object_array_get_idx(o, i),
			    globs, n, depth + 1);
		return count;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, key, val) {
		if (strcmp(key, "headers") != 0 ||
		    !json_object_is_type(val, json_type_object)) {
			count += redact_walk(val, globs, n, depth + 1);
			continue;
		}
		json_object_object_foreach(val, hname, hval) {
			(void)hval;
			if (!dashroute_header_secret(hname, globs, n))
				continue;
			json_object_object_add(val, hname,
			    json_object_new_string(DASH_REDACTED));
			count++;
		}
	}
	return count;
}

int
dashroute_host_ok(const char *host, const char (*allowed)[TD_DASH_HOST_MAX],
    int n, int open)
{
	char		 name[TD_DASH_HOST_MAX], addr[16];
	const char	*end;
	size_t		 nlen;
	int		 i;

	if (host == NULL || *host == '\0')
		return n == 0 && !open;
	/* The name: up to the port, a [v6] literal with its brackets. */
	if (*host == '[')
		end = (end = strchr(host, ']')) != NULL ? end + 1 : host;
	else
		end = host + strcspn(host, ":");
	nlen = (size_t)(end - host);
	if (nlen == 0 || nlen >= sizeof(name) || (*end != '\0' &&
	    (*end != ':' || end[1 + strspn(end + 1, "0123456789")] != '\0')))
		return 0;
	memcpy(name, host, nlen);
	name[nlen] = '\0';
	if (n > 0) {
		for (i = 0; i < n; i++)
			if (strcasecmp(allowed[i], host) == 0 ||
			    strcasecmp(allowed[i], name) == 0)
				return 1;
		return 0;
	}
	if (!open)
		return 1;
	if (strcasecmp(name, "localhost") == 0 ||
	    inet_pton(AF_INET, name, addr) == 1)
		return 1;
	if (name[0] == '[' && nlen > 2) {
		name[nlen - 1] = '\0';
		return inet_pton(AF_INET6, name + 1, addr) == 1;
	}
	return 0;
}
